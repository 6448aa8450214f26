// Builds the Loco API: database (migrated), GitOps store, first-start bootstrap, the
// deployment runner, and the route plugins under /api/v1 with their OpenAPI document at /docs.
// `buildApp` is for fastify.inject() tests; `startServer` listens (npm start, end-to-end tests).

import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { openApiTransform, openApiTransformObject } from './http/openapi.ts';
import { openDatabase } from './db/orm.ts';
import { createGitopsStore } from './gitops/index.ts';
import { bootstrap } from './bootstrap.ts';
import { EventBus } from './deployments/bus.ts';
import { DeploymentRunner } from './deployments/runner.ts';
import { createArgoCdAccess } from './argocd-access.ts';
import { createPreflight } from './kubernetes/preflight.ts';
import { createMetrics } from './metrics.ts';
import { stopTelemetry } from './telemetry.ts';
import metricsRoutes from './routes/metrics.ts';
import { SseRegistry } from './http/sse.ts';
import { registerProblemHandlers, problemSchema } from './http/problem.ts';
import { registerNulGuard } from './http/nul-guard.ts';
import { registerAuthentication } from './auth/authenticate.ts';
import { systemClock } from './argocd/clock.ts';
import { DeploysFirst } from './http/deploys-first.ts';
import { prepareDeployStatements } from './deployments/deploy-statements.ts';
import { deploymentSchema, eventSchema } from './routes/schemas.ts';
import { defaultInstanceId, type LocoOptions } from './options.ts';
import type { LocoServices } from './services.ts';
import './services.ts';
import meRoutes from './routes/me.ts';
import orgRoutes from './routes/orgs.ts';
import memberRoutes from './routes/members.ts';
import domainRoutes from './routes/domains.ts';
import { DEFAULT_CERTIFICATE_ISSUER } from './routing/custom-domains.ts';
import appRoutes from './routes/apps.ts';
import appSettingsRoutes from './routes/app-settings.ts';
import secretsRoutes from './routes/secrets.ts';
import deploymentRoutes from './routes/deployments.ts';
import imageRoutes from './routes/images.ts';
import registryRoutes from './routes/registry.ts';
import eventRoutes from './routes/events.ts';
import historyRoutes from './routes/history.ts';
import authRoutes from './routes/auth.ts';
import promotionRoutes from './routes/promotions.ts';
import auditRoutes from './routes/audit.ts';
import doraRoutes from './routes/dora.ts';
import webhookRoutes from './routes/webhooks.ts';
import webPlugin from '../web/plugin.ts';
import healthRoutes from './routes/health.ts';
import { bindTenant, tenantOfRequest } from './http/request-log.ts';

export type { LocoOptions } from './options.ts';

export async function buildApp(options: LocoOptions): Promise<FastifyInstance> {
  const database = await openDatabase({ dataDir: options.dataDir, ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}) });
  const app = Fastify({
    logger: options.logger ?? false,
    // One line per request, written when it ends (as a router's access log; the onResponse hook
    // below): fastify's pair ("incoming request" + "request completed") doubled the log volume and
    // was ~8 % of the API's CPU in bench/deploy's burst of 200 deploys. Errors are logged by
    // Loco's own error handler (problem.ts), which this does not silence.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => `req_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true, useDefaults: true } },
  });
  try {
    const em = () => database.orm.em.fork();
    const metrics = createMetrics({ em });
    const argocd = options.argocd ? createArgoCdAccess(options.argocd, metrics.observedFetch('argocd'), metrics.observeTrackerLag) : null;
    const store = createGitopsStore({
      dataDir: options.dataDir, ...(options.github ? { github: { ...options.github, fetch: metrics.observedFetch('github') } } : {}),
      packing: { log: (message) => app.log.warn(message) },
    });
    const clock = options.clock ?? systemClock;
    const boot = await bootstrap(em(), options.dataDir, new Date(clock.now()));
    for (const slug of boot.slugs) await store.ensureRepository(slug);
    const bus = new EventBus();
    bus.onStatusChange((notice) => {
      metrics.observeStatus(notice);
      const { deploymentId, workspace, app: appName, profile, changeType, status, reason } = notice;
      app.log.info({ deploymentId, workspace, app: appName, profile, changeType, status, ...(reason ? { reason } : {}) }, `deployment ${status}`);
    });
    const preflight = createPreflight(options.kubernetes, app.log);
    const runner = new DeploymentRunner({
      orm: database.orm,
      bus,
      store,
      log: app.log,
      instanceId: options.instanceId ?? defaultInstanceId(),
      ...(options.platform ? { platform: options.platform } : {}),
      ...(argocd ? { track: argocd.track } : {}),
      preflight,
      ...(options.endpoints ? { endpoints: options.endpoints } : {}),
      leaseSeconds: options.runner?.leaseSeconds ?? 30,
      scanIntervalMs: options.runner?.scanIntervalMs ?? 5000,
      certificateIssuer: options.certificateIssuer ?? DEFAULT_CERTIFICATE_ISSUER,
      progressDeadlineSeconds: options.progressDeadlineSeconds ?? 600,
      ...(options.runner?.holdAfterCommit ? { holdAfterCommit: true } : {}),
      ...(options.runner?.pauseAfterCommit ? { pauseAfterCommit: true } : {}),
      soleProcess: database.kind === 'pglite',
    });
    const services: LocoServices = { options, database, em, store, bus, runner, argocd, preflight, bootstrap: boot, metrics, streams: new SseRegistry(), deploysFirst: new DeploysFirst(options.streamStartClock ?? systemClock), clock };
    app.decorate('loco', services);

    app.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    app.addHook('onResponse', async (request, reply) => {
      // The route template (not the URL) keeps the label bounded; unknown URLs share one value.
      metrics.observeHttp(request.method, request.routeOptions.url ?? '(unmatched)', reply.statusCode, reply.elapsedTime / 1000);
      reply.log.info({ req: { method: request.method, url: request.url, remoteAddress: request.ip }, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, 'request completed');
    });
    // Every log line of a request names the tenant it concerns, once the route's params are known.
    app.addHook('preHandler', async (request, reply) => {
      bindTenant(request, reply, tenantOfRequest(request.routeOptions.url, request.params, request.query, request.body));
    });
    registerProblemHandlers(app);
    registerNulGuard(app);
    registerAuthentication(app, em, clock);
    app.addSchema(problemSchema);
    app.addSchema(deploymentSchema);
    app.addSchema(eventSchema);
    await app.register(swagger, {
      openapi: {
        info: { title: 'Loco API', version: '1', description: 'Deploy apps to Kubernetes the GitOps way. Errors are application/problem+json.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
      transform: openApiTransform,
      transformObject: openApiTransformObject,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    await app.register(metricsRoutes);
    await app.register(webPlugin);
    await app.register(healthRoutes);
    await app.register(async (api) => {
      for (const plugin of [meRoutes, orgRoutes, memberRoutes, appRoutes, appSettingsRoutes, secretsRoutes, deploymentRoutes, imageRoutes, registryRoutes, eventRoutes, historyRoutes, authRoutes, promotionRoutes, auditRoutes, doraRoutes, webhookRoutes, domainRoutes]) {
        await api.register(plugin);
      }
    }, { prefix: '/api/v1' });

    app.addHook('onReady', async () => {
      if (options.runner?.disabled) return;
      // before any tracking: a crash between a commit and its record must not leave them apart
      await runner.reconcile();
      runner.start();
    });
    // Before the listener closes: followers get a last `reconnect` event (fastify would otherwise
    // wait for these long-lived responses forever), then the runner hands its leases back.
    app.addHook('preClose', async () => {
      services.streams.endAll();
    });
    app.addHook('onClose', async () => {
      await runner.stop();
      await database.close();
      await stopTelemetry(); // flush the last spans (a no-op without OTEL_EXPORTER_OTLP_ENDPOINT)
    });
  } catch (error) {
    await database.close();
    throw error;
  }
  return app;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startServer(options: LocoOptions): Promise<RunningServer> {
  const app = await buildApp(options);
  await prepareDeployStatements(app.loco.em());
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 7420 });
  return { app, url: address, close: () => app.close() };
}
