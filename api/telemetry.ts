// OpenTelemetry tracing of the API, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set (the
// standard SDK variables apply: OTEL_SERVICE_NAME, OTEL_BSP_SCHEDULE_DELAY …). Imported first by
// main.ts, so the SDK is running before fastify and pg load: @fastify/otel registers itself on
// every fastify instance, the http and pg instrumentations patch their modules. Off, nothing of
// the SDK is even loaded (it is ~200 modules).

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
let shutdown: (() => Promise<void>) | undefined;

if (endpoint) {
  const [{ NodeSDK }, { OTLPTraceExporter }, { HttpInstrumentation }, { PgInstrumentation }, { FastifyOtelInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
    import('@fastify/otel'),
  ]);
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME || 'loco-api',
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [new HttpInstrumentation(), new PgInstrumentation(), new FastifyOtelInstrumentation({ registerOnInitialization: true })],
  });
  sdk.start();
  shutdown = () => sdk.shutdown();
}

/** Flushes spans still buffered (on SIGTERM, before exit). */
export async function stopTelemetry(): Promise<void> {
  await shutdown?.().catch(() => undefined);
}
