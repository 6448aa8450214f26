// Typed client of the Loco REST API (COMMON.md "REST API"): the only way the CLI talks to the
// service. Every failure arrives as a LocoError: problem+json keeps the API's code and hint, and
// no answer at all is 'unreachable.api' so the CLI can tell "unreachable" from "failed".

import ky, { TimeoutError, type KyInstance, type Options } from 'ky';
import { LocoError, isLocoError } from '../../generator/errors.ts';
import { errorFromResponse, unreachable } from './errors.ts';
import { readSse } from './sse.ts';
import type { DoraReport } from '../dora/compute.ts';
import type { PruneResult as ImagePrune } from '../images/retention.ts';
import {
  isFinished,
  type AppStatus,
  type AuditReport,
  type AppSummary,
  type CreateDeploymentBody,
  type Deployment,
  type DeploymentEvent,
  type HistoryEntry,
  type Invitation,
  type IssuedToken,
  type Me,
  type Member,
  type Domain,
  type Promotion,
  type PromotionRules,
  type RegistryCredential,
  type ScaleBody,
  type SecretsOfProfile,
  type TokenSummary,
  type WorkspaceRef,
  type WorkspaceDeleted,
  type WorkspaceSummary,
} from './types.ts';

export * from './types.ts';

export interface ClientOptions {
  /** Base URL of the service, e.g. http://127.0.0.1:7420 (without /api/v1). */
  url: string;
  token?: string;
  /** Per-request timeout in ms (the event stream has none). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Called with one line per request and response, for --debug. */
  log?: (line: string) => void;
}

type Query = Record<string, string | number | boolean | undefined>;

export interface FollowOptions {
  signal?: AbortSignal;
  /** Told before each reconnect, with the attempt number and why. */
  onReconnect?: (attempt: number, reason: string) => void;
  /** Reconnect attempts in a row before giving up with 'unreachable.api'. */
  maxReconnects?: number;
}

export function createLocoClient(options: ClientOptions) {
  const apiUrl = options.url.replace(/\/+$/, '');
  const log = options.log ?? (() => {});
  const http: KyInstance = ky.create({
    prefixUrl: `${apiUrl}/api/v1`,
    retry: 0,
    timeout: options.timeoutMs ?? 30_000,
    throwHttpErrors: false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    headers: {
      accept: 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
  });

  async function send(method: string, path: string, init: Options = {}): Promise<Response> {
    log(`-> ${method} ${path}`);
    let response: Response;
    try {
      response = await http(path.replace(/^\//, ''), { method, ...init });
    } catch (error) {
      if ((error as Error)?.name === 'AbortError') throw error;
      if (error instanceof TimeoutError) {
        throw new LocoError('unreachable.timeout', `the Loco API at ${apiUrl} did not answer ${method} ${path} in time`, 'check that the API is running and reachable, then try again', { cause: error });
      }
      throw unreachable(apiUrl, error);
    }
    log(`<- ${response.status} ${method} ${path}`);
    if (!response.ok) throw errorFromResponse(response.status, await response.text(), response.url, apiUrl);
    return response;
  }

  async function json<T>(method: string, path: string, init: Options = {}): Promise<T> {
    const response = await send(method, path, init);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /**
   * The event stream is fetched without ky: ky ties the caller's signal in through
   * AbortSignal.any(), whose combined signal Node may garbage-collect during a long stream, and
   * then --timeout could not stop it. Plain fetch holds the caller's signal directly.
   */
  async function openStream(path: string, lastSeq: number, signal?: AbortSignal): Promise<Response> {
    log(`-> GET ${path} (stream${lastSeq >= 0 ? `, Last-Event-ID ${lastSeq}` : ''})`);
    let response: Response;
    try {
      response = await (options.fetch ?? fetch)(`${apiUrl}/api/v1${path}`, {
        headers: {
          accept: 'text/event-stream',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(lastSeq >= 0 ? { 'last-event-id': String(lastSeq) } : {}),
        },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw unreachable(apiUrl, error);
    }
    log(`<- ${response.status} GET ${path}`);
    if (!response.ok) throw errorFromResponse(response.status, await response.text(), response.url, apiUrl);
    return response;
  }

  const get = <T>(path: string, query?: Query) => json<T>('GET', path, query ? { searchParams: clean(query) } : {});
  const post = <T>(path: string, body?: unknown) => json<T>('POST', path, body === undefined ? {} : { json: body });

  const ws = (w: WorkspaceRef) => `/orgs/${enc(w.org)}/workspaces/${enc(w.workspace)}`;
  const app = (w: WorkspaceRef, name: string) => `${ws(w)}/apps/${enc(name)}`;

  const client = {
    url: apiUrl,
    me: () => get<Me>('/me'),
    /** A personal token (the secret is in this answer only); 90 days unless expiresInSeconds. */
    createToken: (name: string, expiresInSeconds?: number) => post<IssuedToken>('/tokens', { name, ...(expiresInSeconds ? { expiresInSeconds } : {}) }),
    listTokens: () => get<TokenSummary[]>('/tokens'),
    revokeToken: (idOrName: string) => json<{ revoked: string; name: string }>('DELETE', `/tokens/${enc(idOrName)}`),
    /** A deploy token for CI: one app in one profile, five minutes unless expiresInSeconds. */
    createDeployToken: (w: WorkspaceRef, body: { app: string; profile: string; expiresInSeconds?: number }) => post<IssuedToken>(`${ws(w)}/deploy-tokens`, body),
    /** A new invitation code for a user (adding them as a member when they are not one). */
    createInvitation: (w: WorkspaceRef, body: { user: string; role?: string; expiresInSeconds?: number }) => post<Member & { invitation: Invitation }>(`${ws(w)}/invitations`, body),
    /** Spends an invitation code for the invited user's first token; needs no token. */
    redeemInvitation: (code: string) => post<{ token: string; expiresAt: string; user: string; org: string; workspace: string; role: string }>('/auth/invitations/redeem', { code }),
    /** Starts a GitHub device-flow login; 'unavailable.github-login' when the API has none configured. */
    startDeviceFlow: () => post<{ deviceCode: string; userCode: string; verificationUri: string; interval?: number; expiresIn?: number }>('/auth/github/device'),
    pollDeviceFlow: (deviceCode: string) => post<{ status: 'pending' | 'slow_down' | 'complete'; interval?: number; token?: string }>('/auth/github/token', { deviceCode }),

    listOrgs: () => get<{ name: string; role: string }[]>('/orgs'),
    listWorkspaces: (org: string) => get<WorkspaceSummary[]>(`/orgs/${enc(org)}/workspaces`),
    /** Creates the workspace and its GitOps repository (org admins); the caller becomes its admin. */
    createWorkspace: (org: string, name: string) => post<WorkspaceSummary>(`/orgs/${enc(org)}/workspaces`, { name }),
    deleteWorkspace: (org: string, name: string) => json<WorkspaceDeleted>('DELETE', `/orgs/${enc(org)}/workspaces/${enc(name)}`, { searchParams: { confirm: 'true' } }),
    getWorkspace: (w: WorkspaceRef) => get<Record<string, unknown>>(ws(w)),

    verifyAudit: (w: WorkspaceRef) => get<AuditReport>(`${ws(w)}/audit/verify`),
    /** Deletes (or, dry run, lists) the workspace's images no recent release references. */
    pruneImages: (w: WorkspaceRef, body: { keep: number; dryRun: boolean }) => post<ImagePrune>(`${ws(w)}/images/prune`, body),
    getDora: (w: WorkspaceRef, since: string) => get<DoraReport>(`${ws(w)}/dora`, { since }),
    listMembers: (w: WorkspaceRef) => get<Member[]>(`${ws(w)}/members`),
    /** Adds a member, or changes their role when they are one. */
    setMember: (w: WorkspaceRef, user: string, role: string) => post<Member & { invitation?: Invitation }>(`${ws(w)}/members`, { user, role }),
    removeMember: (w: WorkspaceRef, user: string) => json<{ removed: string }>('DELETE', `${ws(w)}/members/${enc(user)}`),

    listDomains: (w: WorkspaceRef) => get<Domain[]>(`${ws(w)}/domains`),
    /** Adds a custom domain; the answer holds the TXT record to publish. */
    addDomain: (w: WorkspaceRef, domain: string) => post<Domain>(`${ws(w)}/domains`, { domain }),
    verifyDomain: (w: WorkspaceRef, domain: string) => post<Domain>(`${ws(w)}/domains/${enc(domain)}/verify`),
    removeDomain: (w: WorkspaceRef, domain: string) => json<{ removed: string }>('DELETE', `${ws(w)}/domains/${enc(domain)}`),

    listApps: (w: WorkspaceRef) => get<AppSummary[]>(`${ws(w)}/apps`),
    getApp: (w: WorkspaceRef, name: string) => get<Record<string, unknown>>(app(w, name)),
    deleteApp: (w: WorkspaceRef, name: string) => json<unknown>('DELETE', app(w, name), { searchParams: { confirm: 'true' } }),

    createDeployment: (w: WorkspaceRef, name: string, body: CreateDeploymentBody) => post<Deployment>(`${app(w, name)}/deployments`, body),
    /** Everything a deploy would check (access, protection, config, render), recording nothing. */
    checkDeployment: (w: WorkspaceRef, name: string, body: CreateDeploymentBody) =>
      post<{ dryRun: true; app: string; profile: string; configDigest: string }>(`${app(w, name)}/deployments`, { ...body, dryRun: true }),
    registryCredential: (w: WorkspaceRef, name: string, profile: string) => post<RegistryCredential>(`${app(w, name)}/registry-credential`, { profile }),
    listDeployments: (w: WorkspaceRef, name: string, query?: Query) => get<Deployment[]>(`${app(w, name)}/deployments`, query),
    getDeployment: (id: string) => get<Deployment>(`/deployments/${enc(id)}`),
    listEvents: (id: string) => get<DeploymentEvent[]>(`/deployments/${enc(id)}/events`),
    rollback: (id: string) => post<Deployment>(`/deployments/${enc(id)}/rollback`, {}),

    status: (w: WorkspaceRef, name: string, profile: string) => get<AppStatus>(`${app(w, name)}/status`, { profile }),
    getEnv: (w: WorkspaceRef, name: string, profile: string) => get<Record<string, unknown>>(`${app(w, name)}/env`, { profile }),
    patchEnv: (w: WorkspaceRef, name: string, profile: string, change: { set?: Record<string, string>; unset?: string[] }) =>
      json<Deployment>('PATCH', `${app(w, name)}/env`, { searchParams: { profile }, json: change }),
    /** Sealing target (certificate, namespace, label) and the sealed names with their times; never values. */
    getSecrets: (w: WorkspaceRef, name: string, profile: string) => get<SecretsOfProfile>(`${app(w, name)}/secrets`, { profile }),
    /** Values in `set` are ciphertext sealed with getSecrets' certificate and label. */
    patchSecrets: (w: WorkspaceRef, name: string, profile: string, change: { set?: Record<string, string>; unset?: string[] }) =>
      json<Deployment>('PATCH', `${app(w, name)}/secrets`, { searchParams: { profile }, json: change }),
    scale: (w: WorkspaceRef, name: string, body: ScaleBody) => post<Deployment>(`${app(w, name)}/scale`, body),
    /**
     * Log lines as the pods write them (SSE), until `signal` aborts or the API ends the stream
     * (the pods ended). An `error` event becomes the LocoError it describes.
     */
    async *followLogs(w: WorkspaceRef, name: string, query: Query, signal?: AbortSignal): AsyncGenerator<{ pod: string; time?: string; line: string }> {
      const search = new URLSearchParams(Object.entries(clean({ ...query, follow: true })).map(([k, v]): [string, string] => [k, String(v)]));
      const response = await openStream(`${app(w, name)}/logs?${search}`, -1, signal);
      if (!response.body) return;
      for await (const message of readSse(response.body)) {
        const data = JSON.parse(message.data) as Record<string, string>;
        if (message.event === 'error') throw new LocoError(data.code ?? 'upstream.logs', data.message ?? 'the log stream failed', data.hint ?? 'try again');
        if (message.event === 'log') yield data as { pod: string; time?: string; line: string };
      }
    },
    logs: async (w: WorkspaceRef, name: string, query: Query) => (await send('GET', `${app(w, name)}/logs`, { searchParams: clean(query), headers: { accept: 'application/json, text/plain' } })),
    history: (w: WorkspaceRef, query: Query) => get<HistoryEntry[] | { entries: HistoryEntry[] }>(`${ws(w)}/history`, query),

    /** Rolls a profile back to a deployment's files: directly, or as a pull request on a protected profile. */
    requestRollback: (w: WorkspaceRef, name: string, body: { deployment: string; emergency?: boolean; confirmPrune?: boolean }) =>
      post<{ mode: 'direct' | 'emergency'; deployment: Deployment } | { mode: 'pull-request'; promotion: Promotion }>(`${app(w, name)}/rollbacks`, body),

    createPromotion: (w: WorkspaceRef, name: string, body: { from: string; to: string; deployment?: string; confirmPrune?: boolean }) => post<Promotion>(`${app(w, name)}/promotions`, body),
    listPromotions: (w: WorkspaceRef, query: Query) => get<Promotion[]>(`${ws(w)}/promotions`, query),
    getPromotion: (id: string) => get<Promotion>(`/promotions/${enc(id)}`),
    approvePromotion: (id: string) => post<Promotion>(`/promotions/${enc(id)}/approve`, {}),
    mergePromotion: (id: string) => post<{ promotion: Promotion; deployment: Deployment }>(`/promotions/${enc(id)}/merge`, {}),
    closePromotion: (id: string) => post<Promotion>(`/promotions/${enc(id)}/close`, {}),
    getPromotionRules: (w: WorkspaceRef) => get<PromotionRules>(`${ws(w)}/promotion-rules`),
    /** Replaces the rules: send every profile's rule (getPromotionRules first to change one). */
    setPromotionRules: (w: WorkspaceRef, rules: Partial<PromotionRules>) => json<PromotionRules>('PUT', `${ws(w)}/promotion-rules`, { json: rules }),

    /**
     * Every event of a deployment, live: reads the SSE stream and, when it drops, reconnects
     * with Last-Event-ID so nothing is missed or repeated. Ends once the deployment has its
     * outcome. Gives up with 'unreachable.api' after maxReconnects failures in a row.
     */
    async *followEvents(id: string, opts: FollowOptions = {}): AsyncGenerator<DeploymentEvent> {
      let lastSeq = -1;
      let failures = 0;
      const maxReconnects = opts.maxReconnects ?? 5;
      for (;;) {
        let dropped: unknown = null;
        try {
          const response = await openStream(`/deployments/${enc(id)}/events`, lastSeq, opts.signal);
          if (!response.body) throw new Error('event stream without a body');
          for await (const message of readSse(response.body)) {
            const event = parseEvent(message.data);
            if (!event || event.seq <= lastSeq) continue;
            lastSeq = event.seq;
            failures = 0;
            yield event;
          }
        } catch (error) {
          if (opts.signal?.aborted) throw error;
          if (isLocoError(error) && error.family !== 'unreachable') throw error;
          dropped = error;
        }
        if (!dropped) {
          // A clean end: the server closes after the outcome. Confirm it, and pick up any event
          // that raced the close, so a dropped proxy connection is not mistaken for the end.
          const deployment = await client.getDeployment(id);
          if (isFinished(deployment)) {
            for (const event of await client.listEvents(id)) {
              if (event.seq > lastSeq) {
                lastSeq = event.seq;
                yield event;
              }
            }
            return;
          }
          dropped = new Error('the event stream ended before the outcome');
        }
        failures += 1;
        if (failures > maxReconnects) throw isLocoError(dropped) ? dropped : unreachable(apiUrl, dropped);
        opts.onReconnect?.(failures, dropped instanceof Error ? dropped.message : String(dropped));
        await delay(Math.min(250 * 2 ** (failures - 1), 4000), opts.signal);
      }
    },
  };
  return client;
}

export type LocoClient = ReturnType<typeof createLocoClient>;

function parseEvent(data: string): DeploymentEvent | null {
  try {
    const value = JSON.parse(data) as DeploymentEvent;
    return typeof value?.seq === 'number' && typeof value.type === 'string' ? value : null;
  } catch {
    return null;
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function clean(query: Query): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
