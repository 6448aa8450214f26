// The seam between the runner and the Argo CD tracker (api/argocd): the runner hands over a
// committed revision and receives state changes and one outcome. Shapes from COMMON.md.

export interface TrackerEvent {
  type: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface TrackerOutcome {
  status: 'succeeded' | 'failed';
  reason?: string;
  message: string;
  nextStep?: string;
  data?: Record<string, unknown>;
}

export interface TrackRequest {
  application: string;
  project: string;
  revision: string;
  progressDeadlineSeconds: number;
  signal: AbortSignal;
}

/** Follows one Argo CD application to the outcome for `revision`. */
export type TrackFn = (request: TrackRequest, onEvent: (event: TrackerEvent) => void | Promise<void>) => Promise<TrackerOutcome>;
