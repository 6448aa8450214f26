// OpenTelemetry tracing of the API, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set (the
// standard SDK variables apply: OTEL_SERVICE_NAME, OTEL_BSP_SCHEDULE_DELAY …). It is the
// preload: `node --import ./api/telemetry.ts api/main.ts` (npm start, the image, the test
// harness). Loaded before main.ts's module graph, it registers the import-in-the-middle loader
// hook and starts the SDK, so the pg instrumentation can patch `pg` when MikroORM imports it (an
// ES import, which only a loader hook sees) and the http instrumentation can patch node:http
// before fastify and isomorphic-git require it. @fastify/otel and the undici instrumentation
// (Argo CD, GitHub and registry calls go through fetch) need no patching: they listen on
// diagnostics channels. Off, the preload reads one variable and loads nothing of the SDK (it is
// ~200 modules). main.ts imports this module too (the same URL, so it runs once); started
// without the preload, requests, commits, outcomes and fetch calls are still traced, database
// queries are not.

import { redactSqlLiterals } from './redact-sql.ts';

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
let shutdown: (() => Promise<void>) | undefined;
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

if (endpoint) {
  const [{ register }, { createAddHookMessageChannel }] = await Promise.all([import('node:module'), import('import-in-the-middle')]);
  // The hook intercepts only the modules instrumentations ask for (pg), not every module the
  // API loads; it must be registered before the SDK creates those instrumentations.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const [{ NodeSDK }, { OTLPTraceExporter }, { HttpInstrumentation }, { PgInstrumentation }, { UndiciInstrumentation }, { FastifyOtelInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-undici'),
    import('@fastify/otel'),
  ]);
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME || 'loco-api',
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      // the server span continues a caller's traceparent (@fastify/otel's route spans nest in
      // it); probes and scrapes would be a trace each every few seconds
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0]) }),
      new UndiciInstrumentation(),
      // a query outside any span (the tracker's and lease loops) would be a trace of its own;
      // the recorded text keeps the statement, not the values MikroORM inlined into it
      new PgInstrumentation({ requireParentSpan: true, requestHook: (span, { query }) => span.setAttribute('db.query.text', redactSqlLiterals(query.text)) }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  shutdown = () => sdk.shutdown();
}

/** Flushes spans still buffered (on SIGTERM, before exit). */
export async function stopTelemetry(): Promise<void> {
  await shutdown?.().catch(() => undefined);
}
