// Deployments: create (validate, record, answer 202 — the render, prune guard, commit and outcome
// follow in the background), list, get, and rollback to an earlier deployment's files.

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { LocoError } from '../../generator/errors.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { workspaceAccess } from '../auth/access.ts';
import { Deployment } from '../db/entities.ts';
import { createDeployment, requestHash } from '../deployments/create.ts';
import { refuseDirectDeploy, refuseDirectRollback } from '../promotions/protect.ts';
import { loadDeployment } from '../deployments/load.ts';
import { bindTenant, tenantOfDeployment } from '../http/request-log.ts';
import { checkDeployRequest, currentScopeFiles, refuseWidePrune, renderAndGuard } from '../deployments/prepare.ts';
import { deploymentJson } from '../deployments/records.ts';
import { takeClaims } from '../routing/claims.ts';
import { DEFAULT_CERTIFICATE_ISSUER, hostDomains } from '../routing/custom-domains.ts';
import { accessWithHostDomains } from '../deployments/deploy-read.ts';
import { workspaceSlug } from '../../generator/names.ts';
import { refuseForeignHosts } from '../routing/platform-domains.ts';
import { checkImagePolicy, pinImage } from '../images/pin.ts';
import { DEFAULT_PLATFORM, workspaceImagePolicy } from '../images/policy.ts';
import { appParams, deploymentParams, name, problemResponses } from './schemas.ts';

const deploymentRef = { $ref: 'Deployment#' } as const;

/** What `run` returned, or what it threw: a refusal to answer later, in its turn. */
function attempt<T>(run: () => T): { value?: T; error?: unknown } {
  try {
    return { value: run() };
  } catch (error) {
    return { error };
  }
}

const deploymentRoutes: FastifyPluginAsync = async (app) => {
  // these two record a deployment: event-stream starts wait while they are answered (http/deploys-first.ts)
  const counted = async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.raw.once('close', app.loco.deploysFirst.begin());
  };
  app.post('/orgs/:org/workspaces/:ws/apps/:app/deployments', {
    onRequest: counted,
    schema: {
      summary: 'Deploy an app to a profile: validates now; renders, prune-checks, commits and tracks in the background (a dry run renders and prune-checks now)',
      params: appParams,
      body: {
        type: 'object',
        required: ['config', 'profile', 'image'],
        additionalProperties: false,
        properties: {
          config: { type: 'string', minLength: 1, maxLength: 262144, description: 'the text of loco.toml' },
          profile: name,
          image: { type: 'string', minLength: 1, maxLength: 512 },
          envFile: { type: 'string', maxLength: 262144, description: 'text of the dotenv file that Env.File names, when it names one' },
          idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 },
          confirmPrune: { type: 'boolean' },
          dryRun: { type: 'boolean', description: 'check everything a deploy checks (access, protection, config, render, prune guard) and record nothing: 200' },
        },
      },
      response: {
        202: deploymentRef,
        200: { type: 'object', properties: { dryRun: { type: 'boolean' }, app: { type: 'string' }, profile: { type: 'string' }, configDigest: { type: 'string' } } },
        ...problemResponses,
      },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const body = request.body as { config: string; profile: string; image: string; envFile?: string; idempotencyKey?: string; confirmPrune?: boolean; dryRun?: boolean };
    const em = app.loco.em();
    // Only what must be answered now; the render and the prune guard run in the commit step
    // (commit.ts), whose refusal reaches `loco deploy` as the deployment's failed event.
    // The config is checked first, so that access and the hosts' custom domains are one read; a
    // refusal of the config is still answered only after access (a caller without it learns nothing).
    const slug = workspaceSlug(org, ws);
    const checking = attempt(() => checkDeployRequest({ app: appName, ...body }, slug));
    const read = await accessWithHostDomains(em, principal, org, ws, checking.value?.claims.map((c) => c.host) ?? [], 'deploy', { deployTokenApp: appName, deployTokenProfile: body.profile });
    const { access } = read;
    refuseDirectDeploy(access, appName, body.profile);
    if ('error' in checking) throw checking.error;
    let checked = checking.value!;
    let domains = read.domains;
    if (access.slug !== slug) {
      // every workspace's slug is workspaceSlug(org, ws) (orgs.ts); should one differ, the hosts do too
      checked = checkDeployRequest({ app: appName, ...body }, access.slug);
      domains = await hostDomains(em, access.workspaceId, checked.claims.map((c) => c.host));
    }
    const { config, claims, configDigest, warnings, url } = checked;
    const hosts = claims.map((c) => c.host);
    const { verified: customDomains, foreign } = domains;
    const hash = requestHash({ app: appName, profile: body.profile, image: body.image, config: body.config, envFile: body.envFile ?? null, confirmPrune: Boolean(body.confirmPrune) });
    refuseForeignHosts(hosts, { baseDomains: app.loco.options.baseDomains, slug: access.slug, verifiedDomains: customDomains, ...(foreign ? { foreign } : {}) });
    const images = { image: body.image, settings: app.loco.options.images ?? { registries: null, platform: DEFAULT_PLATFORM }, policy: workspaceImagePolicy(access.settings), org, workspace: ws };
    // `loco deploy` asks this before a long image build, so a refusal costs seconds, not the build:
    // it renders and prune-checks now. The image does not exist yet, so only its registry and prefix are checked.
    if (body.dryRun) {
      const tls = { customDomains, issuer: app.loco.options.certificateIssuer ?? DEFAULT_CERTIFICATE_ISSUER };
      await renderAndGuard(app.loco.store, access.slug, { app: appName, ...body }, config, tls, app.loco.options.endpoints, app.loco.options.platform);
      checkImagePolicy(images);
      // a dry run checks the route claims as the deploy would, and takes none
      await takeClaims(em, { workspaceId: access.workspaceId, appId: null, app: appName, profile: body.profile, claims }, { dryRun: true });
      return reply.code(200).send({ dryRun: true, app: appName, profile: body.profile, configDigest });
    }
    const pinned = await pinImage({ ...images, now: new Date() });
    // The file deploys, but the user should hear what Loco ignored in it (as `loco validate` says);
    // these events and the image's are recorded with the deployment, in its one statement.
    const warningEvents = warnings.map((w) => {
      const where = w.at ? `loco.toml:${w.at.line}:${w.at.column} ` : '';
      return { type: 'warning', message: `${where}${w.message} (${w.hint})`, data: { config: true, code: w.code, ...(w.path ? { path: w.path } : {}), ...(w.at ? { line: w.at.line, column: w.at.column } : {}) } };
    });
    const { deployment, created } = await createDeployment(em, app.loco.bus, {
      access, principal, app: appName, profile: body.profile, changeType: 'deploy', claims, image: pinned.image, configText: body.config, envFile: body.envFile ?? null, configDigest,
      ...(pinned.vulnWaivers ? { change: { vulnWaivers: pinned.vulnWaivers } } : {}),
      requestHash: hash, confirmPrune: Boolean(body.confirmPrune), ...(body.idempotencyKey ? { idempotencyKey: body.idempotencyKey } : {}),
      summary: `deploy ${appName}@${body.profile}: ${body.image} (requested by ${principal.userName})`,
      events: [...warningEvents, ...pinned.events],
    });
    bindTenant(request, reply, { deploymentId: deployment.id });
    if (created) app.loco.runner.kick(deployment.id, { workspaceId: deployment.workspaceId });
    // the URL comes from the spec checkDeployRequest resolved (deploymentJson would parse the config again)
    return reply.code(202).header('location', `/api/v1/deployments/${deployment.id}`).send(deploymentJson(deployment, org, ws, { url }));
  });

  app.get('/orgs/:org/workspaces/:ws/apps/:app/deployments', {
    schema: {
      summary: 'Deployments of an app, newest first',
      params: appParams,
      querystring: { type: 'object', additionalProperties: false, properties: { profile: name, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } } },
      response: { 200: { type: 'array', items: deploymentRef }, ...problemResponses },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const { profile, limit } = request.query as { profile?: string; limit: number };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'read', { deployTokenApp: appName, deployTokenProfile: profile });
    const rows = await em.find(Deployment, { workspaceId: access.workspaceId, app: appName, ...(profile ? { profile } : {}) }, { orderBy: { createdAt: 'desc' }, limit });
    return rows.map((d) => deploymentJson(d, org, ws));
  });

  app.get('/deployments/:id', {
    schema: { summary: 'One deployment', params: deploymentParams, response: { 200: deploymentRef, ...problemResponses } },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { id } = request.params as { id: string };
    const { deployment, access } = await loadDeployment(app.loco.em(), principal, id, 'read');
    bindTenant(request, reply, tenantOfDeployment(deployment, access));
    return deploymentJson(deployment, access.org, access.workspace);
  });

  app.post('/deployments/:id/rollback', {
    onRequest: counted,
    schema: {
      summary: "Restore a deployment's files for its profile as a new commit, tracked like a deployment",
      params: deploymentParams,
      body: { type: 'object', additionalProperties: false, properties: { confirmPrune: { type: 'boolean' }, idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 } } },
      response: { 202: deploymentRef, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { id } = request.params as { id: string };
    const body = (request.body ?? {}) as { confirmPrune?: boolean; idempotencyKey?: string };
    const em = app.loco.em();
    const { deployment: target, access } = await loadDeployment(em, principal, id, 'deploy');
    bindTenant(request, reply, tenantOfDeployment(target, access));
    if (!target.commit || target.changeType === 'delete') {
      throw new LocoError('conflict.rollback-target', `deployment ${id} made no commit to return to (status ${target.status})`, 'roll back to a deployment that was committed: see `loco history`');
    }
    refuseDirectRollback(access, target.app, target.profile, id);
    const store = app.loco.store;
    const head = (await store.head(access.slug)) ?? target.commit;
    const [before, after] = await Promise.all([
      currentScopeFiles(store, access.slug, head, target.app, target.profile),
      currentScopeFiles(store, access.slug, target.commit, target.app, target.profile),
    ]);
    refuseWidePrune(before, after, body.confirmPrune, `rolling ${target.app}@${target.profile} back to ${id}`);
    const { deployment, created } = await createDeployment(em, app.loco.bus, {
      access, principal, app: target.app, profile: target.profile, changeType: 'rollback',
      change: { target: target.id, targetCommit: target.commit }, image: target.image, configText: target.configText, envFile: target.envFile, configDigest: target.configDigest,
      requestHash: requestHash({ rollback: id, confirmPrune: Boolean(body.confirmPrune) }), confirmPrune: Boolean(body.confirmPrune),
      ...(body.idempotencyKey ? { idempotencyKey: body.idempotencyKey } : {}),
      summary: `rollback ${target.app}@${target.profile} to ${id} (commit ${target.commit.slice(0, 7)}, ${target.image}), requested by ${principal.userName}`,
    });
    if (created) app.loco.runner.kick(deployment.id, { workspaceId: deployment.workspaceId });
    return reply.code(202).header('location', `/api/v1/deployments/${deployment.id}`).send(deploymentJson(deployment, access.org, access.workspace));
  });
};

export default deploymentRoutes;
