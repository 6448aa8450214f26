// Argo CD REST client (ky): token auth, the calls the tracker needs, and Argo CD's quirks
// handled in one place (contracts/argocd-behaviour.md): `?project=` so a missing app is a 404
// rather than a 403, JSON content type on every non-GET, a client timeout on refresh (the
// server blocks until reconciled, with no timeout of its own), NDJSON streams.

import ky, { HTTPError, TimeoutError, type KyInstance } from 'ky';
import { LocoError } from '../../generator/errors.ts';
import {
  parseApplication,
  parseApplicationTree,
  parseLogEntry,
  parseWatchEvent,
  type Application,
  type ApplicationTree,
  type LogEntry,
  type StreamError,
  type WatchEvent,
} from './types.ts';

export interface ArgoCdClientOptions {
  url: string;
  token: string;
  fetch?: typeof globalThis.fetch;
  /** Timeout for ordinary calls (default 30 s). */
  timeoutMs?: number;
  /** Timeout for `?refresh=normal`, which blocks until Argo CD has reconciled (default 60 s). */
  refreshTimeoutMs?: number;
}

export interface AppQuery {
  /** The app's project; without it a missing app answers 403 instead of 404. */
  project: string;
  signal?: AbortSignal;
}

export interface LogQuery extends AppQuery {
  namespace?: string;
  podName?: string;
  kind?: string;
  group?: string;
  resourceName?: string;
  container?: string;
  tailLines?: number;
  sinceSeconds?: number;
  follow?: boolean;
  /** The previous (crashed) container's logs, as `kubectl logs --previous`. */
  previous?: boolean;
}

export interface ArgoCdClient {
  readonly url: string;
  /** Requests made so far (streams count once per connection): for benchmarks and tests. */
  readonly stats: { calls: number };
  getApplication(name: string, query: AppQuery): Promise<Application>;
  /** Ask Argo CD to compare the app with git now (no waiting for its 3-minute poll). */
  refreshApplication(name: string, query: AppQuery & { timeoutMs?: number }): Promise<Application>;
  getResourceTree(name: string, query: AppQuery): Promise<ApplicationTree>;
  /** One connection of the watch stream; ends when the server closes it. */
  watchApplication(name: string, query: AppQuery & { resourceVersion?: string }): AsyncGenerator<WatchEvent>;
  streamLogs(name: string, query: LogQuery): AsyncGenerator<LogEntry>;
}

/**
 * Settings from the environment (DESIGN "Fixed conventions"): both unset means no Argo CD
 * (undefined); one without the other is a configuration error naming the missing variable.
 */
export function argoCdSettingsFromEnv(env: Record<string, string | undefined> = process.env): { url: string; token: string } | undefined {
  const url = env.LOCO_ARGOCD_URL?.trim();
  const token = env.LOCO_ARGOCD_TOKEN?.trim();
  if (!url && !token) return undefined;
  checkSettings(url, token);
  return { url: url!, token: token! };
}

function checkSettings(url: string | undefined, token: string | undefined): void {
  if (!url) {
    throw new LocoError('config.argocd-url', 'LOCO_ARGOCD_URL is not set but LOCO_ARGOCD_TOKEN is', 'set LOCO_ARGOCD_URL to the Argo CD API server, e.g. https://argocd.example.com, or unset both to run without Argo CD');
  }
  if (!/^https?:\/\/[^\s/]+/.test(url)) {
    throw new LocoError('config.argocd-url', `LOCO_ARGOCD_URL "${url}" is not an http(s) URL`, 'set LOCO_ARGOCD_URL to e.g. https://argocd.example.com');
  }
  if (!token) {
    throw new LocoError('config.argocd-token', 'LOCO_ARGOCD_TOKEN is not set but LOCO_ARGOCD_URL is', 'create a token with `argocd account generate-token --account loco` and set LOCO_ARGOCD_TOKEN');
  }
}

export function createArgoCdClient(options: ArgoCdClientOptions): ArgoCdClient {
  checkSettings(options.url, options.token);
  const url = options.url.replace(/\/+$/, '');
  const stats = { calls: 0 };
  const http: KyInstance = ky.create({
    prefixUrl: `${url}/api/v1/`,
    timeout: options.timeoutMs ?? 30_000,
    retry: 0,
    fetch: options.fetch,
    hooks: {
      beforeRequest: [
        (request) => {
          stats.calls += 1;
          request.headers.set('Authorization', `Bearer ${options.token}`);
          // grpc-gateway answers 415 to any non-GET without it, DELETE included.
          if (request.method !== 'GET') request.headers.set('Content-Type', 'application/json');
        },
      ],
    },
  });

  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw await toLocoError(error, what, url);
    }
  }

  const app = (name: string) => `applications/${encodeURIComponent(name)}`;

  return {
    url,
    stats,
    getApplication: (name, q) =>
      call(`reading application ${name}`, async () =>
        parseApplication(await http.get(app(name), { searchParams: { project: q.project }, signal: q.signal }).json()),
      ),
    refreshApplication: (name, q) =>
      call(`refreshing application ${name}`, async () =>
        parseApplication(
          await http
            .get(app(name), {
              searchParams: { project: q.project, refresh: 'normal' },
              timeout: q.timeoutMs ?? options.refreshTimeoutMs ?? 60_000,
              signal: q.signal,
            })
            .json(),
        ),
      ),
    getResourceTree: (name, q) =>
      call(`reading the resource tree of ${name}`, async () =>
        parseApplicationTree(
          await http.get(`${app(name)}/resource-tree`, { searchParams: { project: q.project }, signal: q.signal }).json(),
        ),
      ),
    async *watchApplication(name, q) {
      const searchParams = new URLSearchParams({ name, projects: q.project });
      if (q.resourceVersion) searchParams.set('resourceVersion', q.resourceVersion);
      const what = `watching application ${name}`;
      const response = await call(what, () => http.get('stream/applications', { searchParams, signal: q.signal, timeout: options.timeoutMs ?? 30_000 }));
      for await (const line of ndjson(response, what, url)) yield parseWatchEvent(line);
    },
    async *streamLogs(name, q) {
      const searchParams = new URLSearchParams({ project: q.project });
      const optional: Record<string, string | number | boolean | undefined> = {
        namespace: q.namespace,
        podName: q.podName,
        kind: q.kind,
        group: q.group,
        resourceName: q.resourceName,
        container: q.container,
        tailLines: q.tailLines,
        sinceSeconds: q.sinceSeconds,
        follow: q.follow,
        previous: q.previous,
      };
      for (const [k, v] of Object.entries(optional)) if (v !== undefined) searchParams.set(k, String(v));
      const what = `reading logs of ${name}`;
      const response = await call(what, () => http.get(`${app(name)}/logs`, { searchParams, signal: q.signal, timeout: options.timeoutMs ?? 30_000 }));
      for await (const line of ndjson(response, what, url)) {
        const entry = parseLogEntry(line);
        if (entry.last) return;
        yield entry;
      }
    },
  };
}

/** Reads grpc-gateway's stream framing: one `{"result":…}` or final `{"error":…}` per line. */
async function* ndjson(response: Response, what: string, url: string): AsyncGenerator<unknown> {
  if (!response.body) return;
  let buffer = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (text) yield streamItem(text, what, url);
      }
    }
  } catch (error) {
    if (error instanceof LocoError) throw error;
    throw await toLocoError(error, what, url);
  }
  if (buffer.trim()) yield streamItem(buffer.trim(), what, url);
}

function streamItem(text: string, what: string, url: string): unknown {
  let parsed: { result?: unknown; error?: StreamError };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new LocoError('upstream.argocd-response', `Argo CD sent a stream line that is not JSON while ${what}`, 'check that LOCO_ARGOCD_URL points at the Argo CD API server, not a proxy page');
  }
  if (parsed.error) throw errorForStatus(parsed.error.http_code ?? 500, parsed.error.message ?? 'stream error', what, url);
  return parsed.result;
}

/** Error statuses where the watch stream is unusable, so the caller should poll instead. */
export const STREAM_UNAVAILABLE_STATUSES = [404, 405, 406, 415, 501, 502, 503, 504];

async function toLocoError(error: unknown, what: string, url: string): Promise<LocoError> {
  if (error instanceof LocoError) return error;
  if (error instanceof HTTPError) {
    let message = error.response.statusText;
    try {
      const body = (await error.response.json()) as { message?: string; error?: string };
      message = body.message || body.error || message;
    } catch {
      // not JSON (e.g. a proxy's HTML page): keep the status text
    }
    return errorForStatus(error.response.status, message, what, url);
  }
  if (error instanceof TimeoutError) {
    return new LocoError('unavailable.argocd-timeout', `Argo CD at ${url} did not answer in time while ${what}`, 'check that Argo CD is up (LOCO_ARGOCD_URL) and not overloaded', { cause: error });
  }
  if ((error as Error)?.name === 'AbortError') return Object.assign(new LocoError('unavailable.aborted', `stopped while ${what}`, 'nothing to do'), { cause: error });
  return new LocoError('unavailable.argocd', `cannot reach Argo CD at ${url} while ${what}: ${(error as Error)?.message ?? error}`, 'check LOCO_ARGOCD_URL and that the Argo CD API server is reachable from Loco', { cause: error });
}

function errorForStatus(status: number, message: string, what: string, url: string): LocoError {
  const data = { status, argocdMessage: message };
  if (status === 401) {
    return new LocoError('upstream.argocd-unauthorized', `Argo CD at ${url} refused LOCO_ARGOCD_TOKEN (401 ${message}) while ${what}`, 'the token is missing, expired or revoked: create one with `argocd account generate-token --account loco` and set LOCO_ARGOCD_TOKEN', { data });
  }
  if (status === 403) {
    return new LocoError('upstream.argocd-forbidden', `Argo CD denied LOCO_ARGOCD_TOKEN while ${what} (403 ${message})`, "grant the token's account read access to the workspace's project (argocd/README.md installs the policy), or fix LOCO_ARGOCD_TOKEN", { data });
  }
  if (status === 404) {
    return new LocoError('not-found.argocd-application', `Argo CD has no such application (${what}): ${message}`, "the workspace's ApplicationSet creates it once apps/<app>/overlays/<profile> is on main; check the workspace is installed in Argo CD (argocd/README.md)", { data });
  }
  return new LocoError('upstream.argocd', `Argo CD at ${url} answered ${status} while ${what}: ${message}`, 'check the Argo CD API server logs; Loco retries streams and reads on its own', { data });
}
