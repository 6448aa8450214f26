// A deployment event as the API shows it (the events route, SSE data lines) and as the event bus
// hands it to followers — its own module, since both records.ts and bus.ts need it.

export interface EventJson {
  seq: number;
  deploymentId: string;
  time: string;
  type: string;
  message: string;
  data?: Record<string, unknown>;
}
