// Follows one Application: the watch stream while it works, reconnecting from the last
// resourceVersion when it drops (NDJSON mode has no keepalive, so idle connections get cut),
// with backoff; plain GETs at a modest interval when streaming is unavailable. Never a tight loop.

import { LocoError } from '../../generator/errors.ts';
import type { ArgoCdClient } from './client.ts';
import { STREAM_UNAVAILABLE_STATUSES } from './client.ts';
import { sleep, type Clock } from './clock.ts';
import type { Application } from './types.ts';

export interface FollowOptions {
  clock: Clock;
  signal: AbortSignal;
  /** First reconnect delay (the Argo CD CLI uses 1 s); doubles per drop without data. */
  reconnectMs: number;
  maxReconnectMs: number;
  /** Consecutive connections that bring nothing before falling back to polling. */
  maxStreamFailures: number;
  pollIntervalMs: number;
}

export interface FollowHandlers {
  onApplication(app: Application): void;
  onNotice(type: 'stream-reconnect' | 'stream-fallback' | 'argocd-unreachable', message: string, data?: Record<string, unknown>): void;
  /** Auth errors: waiting will not fix them. */
  onFatal(error: LocoError): void;
}

const isFatal = (e: unknown) => e instanceof LocoError && (e.code === 'upstream.argocd-unauthorized' || e.code === 'upstream.argocd-forbidden');
const statusOf = (e: unknown) => (e instanceof LocoError ? (e.data?.status as number | undefined) : undefined);

export async function followApplication(
  client: ArgoCdClient,
  name: string,
  project: string,
  options: FollowOptions,
  handlers: FollowHandlers,
): Promise<void> {
  const { clock, signal } = options;
  let resourceVersion: string | undefined;
  let failures = 0;
  let polling = false;
  while (!signal.aborted) {
    if (polling) {
      try {
        handlers.onApplication(await client.getApplication(name, { project, signal }));
      } catch (error) {
        if (signal.aborted) return;
        if (isFatal(error)) return handlers.onFatal(error as LocoError);
        if (statusOf(error) !== 404) handlers.onNotice('argocd-unreachable', (error as Error).message);
      }
      await sleep(clock, options.pollIntervalMs, signal);
      continue;
    }
    let received = false;
    let why = 'the stream ended';
    try {
      for await (const event of client.watchApplication(name, { project, resourceVersion, signal })) {
        received = true;
        failures = 0;
        resourceVersion = event.application.metadata.resourceVersion ?? resourceVersion;
        if (event.type !== 'DELETED') handlers.onApplication(event.application);
      }
    } catch (error) {
      if (signal.aborted) return;
      if (isFatal(error)) return handlers.onFatal(error as LocoError);
      why = (error as Error).message;
      if (STREAM_UNAVAILABLE_STATUSES.includes(statusOf(error) ?? 0)) failures = options.maxStreamFailures;
    }
    if (signal.aborted) return;
    if (!received) failures += 1;
    if (failures >= options.maxStreamFailures) {
      polling = true;
      handlers.onNotice('stream-fallback', `the Argo CD watch stream is unavailable (${why}); reading the application every ${options.pollIntervalMs / 1000} s instead`);
      continue;
    }
    const delay = Math.min(options.maxReconnectMs, options.reconnectMs * 2 ** Math.max(0, failures - 1));
    handlers.onNotice('stream-reconnect', `${why}; reconnecting in ${delay / 1000} s from resourceVersion ${resourceVersion ?? '(start)'}`, { resourceVersion, delayMs: delay });
    await sleep(clock, delay, signal);
  }
}
