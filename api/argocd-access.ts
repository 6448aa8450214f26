// Argo CD as the API uses it: the tracker the runner hands commits to, and the status and log
// reads behind `loco status` / `loco logs`. Built once from LOCO_ARGOCD_URL/TOKEN.

import { LocoError } from '../generator/errors.ts';
import { createArgoCdClient, getAppStatus, getLogs, trackDeployment } from './argocd/index.ts';
import type { AppStatus, ArgoCdClient, LogLine, TrackOptions } from './argocd/index.ts';
import type { TrackFn } from './deployments/tracking.ts';
import type { ArgoCdSettings } from './options.ts';

export interface ArgoCdAccess {
  client: ArgoCdClient;
  /** The Application's page in the Argo CD web UI (served by the same server as its API). */
  dashboardUrl(application: string): string;
  track: TrackFn;
  status(ref: { application: string; project: string; signal?: AbortSignal }): Promise<AppStatus>;
  logs(ref: { application: string; project: string }, opts: { tail?: number; since?: number; signal?: AbortSignal }): Promise<LogLine[]>;
  /** Recent lines, then new ones as the pods write them, until `signal` aborts or the pods end. */
  followLogs(ref: { application: string; project: string }, opts: { tail?: number; since?: number; signal: AbortSignal }): AsyncGenerator<LogLine>;
}

export function createArgoCdAccess(settings: ArgoCdSettings, fetch?: typeof globalThis.fetch, onLag?: (seconds: number) => void): ArgoCdAccess {
  if (!settings.token) {
    throw new LocoError('config.argocd-token', 'LOCO_ARGOCD_URL is set but LOCO_ARGOCD_TOKEN is not', 'set LOCO_ARGOCD_TOKEN to an Argo CD API token (or unset LOCO_ARGOCD_URL to run without Argo CD)');
  }
  const client = createArgoCdClient({ url: settings.url, token: settings.token, ...(fetch ? { fetch } : {}) });
  const tracking: TrackOptions = {
    ...(settings.healthySeconds !== undefined ? { healthyDebounceMs: settings.healthySeconds * 1000 } : {}),
    ...(settings.failureGraceSeconds !== undefined ? { causeGraceMs: settings.failureGraceSeconds * 1000 } : {}),
    ...(onLag ? { onLag } : {}),
  };
  const ui = settings.url.replace(/\/+$/, '');
  return {
    client,
    dashboardUrl: (application) => `${ui}/applications/${encodeURIComponent(application)}`,
    track: (request, onEvent) => trackDeployment(client, request, onEvent, tracking),
    status: (ref) => getAppStatus(client, ref),
    followLogs: (ref, opts) => getLogs(client, ref, { ...opts, follow: true }),
    async logs(ref, opts) {
      const lines: LogLine[] = [];
      for await (const line of getLogs(client, ref, { ...opts, follow: false })) lines.push(line);
      return lines;
    },
  };
}
