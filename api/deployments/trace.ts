// A deployment's trace: the deploy request's span (made by @fastify/otel) is recorded on the
// deployment's first event, and the runner's commit and the tracker's outcome become spans of
// that same trace, linked to the request, with loco.* attributes. Without an SDK running, the
// API's tracer is a no-op and nothing here costs more than a function call.

import { context, SpanStatusCode, trace, TraceFlags, isSpanContextValid } from '@opentelemetry/api';

export interface TraceRef {
  traceId: string;
  spanId: string;
}

const tracer = trace.getTracer('loco');

/** The active span (the deploy request's), to store on the deployment; it gets the deployment's loco.* attributes. */
export function activeTraceRef(d: DeploymentSpanInfo): TraceRef | undefined {
  const span = trace.getActiveSpan();
  const ref = span?.spanContext();
  if (!span || !ref || !isSpanContextValid(ref)) return undefined;
  span.setAttributes(locoAttributes(d));
  return { traceId: ref.traceId, spanId: ref.spanId };
}

export interface DeploymentSpanInfo {
  id: string;
  /** `<org>/<workspace>` */
  workspace: string;
  app: string;
  profile: string;
}

const locoAttributes = (d: DeploymentSpanInfo) => ({ 'loco.workspace': d.workspace, 'loco.app': d.app, 'loco.profile': d.profile, 'loco.deployment': d.id });

/** Runs `work` in a span of the deployment's trace (a child of, and linked to, the request span). */
export async function inDeploymentSpan<T>(name: string, d: DeploymentSpanInfo, parent: TraceRef | undefined, work: () => Promise<T>): Promise<T> {
  const remote = parent ? { traceId: parent.traceId, spanId: parent.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true } : undefined;
  const ctx = remote ? trace.setSpanContext(context.active(), remote) : context.active();
  return tracer.startActiveSpan(name, { attributes: locoAttributes(d), links: remote ? [{ context: remote }] : [] }, ctx, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

export const tracingOn = () => Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
