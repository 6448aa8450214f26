// A small client of the OCI Distribution API (the registry side of `docker pull`): manifests by
// tag or digest, tag lists and manifest deletion, with the Bearer token flow registries answer
// with (401 + `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, distribution's token spec).
// Only what digest pinning and retention need; errors are LocoErrors that name the registry.

import { createHash } from 'node:crypto';
import { LocoError } from '../../generator/errors.ts';

/** Every manifest type a pull may meet; without them a registry may answer a converted schema-1 manifest. */
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface Manifest {
  /** sha256 of the bytes the registry served: the digest a pull by this reference gets. */
  digest: string;
  mediaType: string;
  isIndex: boolean;
  /** Image manifests: the layers; indexes: none. */
  layers: Descriptor[];
  /** Indexes: one entry per platform. */
  manifests: Descriptor[];
}

export interface RegistryEndpoint {
  /** host[:port] as written in the image reference (Docker Hub: registry-1.docker.io). */
  host: string;
  /** `http://host:port` entries of LOCO_IMAGE_REGISTRIES are reached over plain HTTP. */
  plainHttp: boolean;
}

export interface RegistryClientOptions {
  fetch?: typeof globalThis.fetch;
  /** Per request; a registry that does not answer in time counts as unreachable. */
  timeoutMs?: number;
  /** A token Loco signs itself for a scope (the registry Loco is the realm of), instead of asking the realm. */
  ownToken?: (scope: string) => string | undefined;
}

interface Challenge {
  realm: string;
  service?: string;
  scope?: string;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (quoted values may hold commas). */
export function parseBearerChallenge(header: string | null): Challenge | null {
  if (!header || !/^bearer\s/i.test(header)) return null;
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([A-Za-z]+)="([^"]*)"|([A-Za-z]+)=([^,\s]+)/g)) params[(m[1] ?? m[3]).toLowerCase()] = m[2] ?? m[4];
  if (!params.realm) return null;
  return { realm: params.realm, ...(params.service ? { service: params.service } : {}), ...(params.scope ? { scope: params.scope } : {}) };
}

export class RegistryClient {
  readonly #endpoint: RegistryEndpoint;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;
  readonly #ownToken: ((scope: string) => string | undefined) | undefined;
  /** Tokens by scope, reused for the next request of the same repository and action. */
  readonly #tokens = new Map<string, string>();

  constructor(endpoint: RegistryEndpoint, options: RegistryClientOptions = {}) {
    this.#endpoint = endpoint;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#ownToken = options.ownToken;
  }

  get base(): string {
    return `${this.#endpoint.plainHttp ? 'http' : 'https'}://${this.#endpoint.host}`;
  }

  /** The manifest `reference` (tag or digest) names, or null when the registry has no such tag or digest. */
  async manifest(repository: string, reference: string): Promise<Manifest | null> {
    const response = await this.#request('GET', `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull`, { accept: MANIFEST_TYPES.join(', ') });
    if (response.status === 404) return null;
    await this.#expectOk(response, `read ${repository}:${reference}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const claimed = response.headers.get('docker-content-digest');
    if (claimed && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new LocoError('upstream.registry', `${this.#endpoint.host} served a manifest for ${repository}:${reference} whose bytes do not match its digest ${claimed}`, 'the registry or a proxy in front of it altered the manifest; check it before deploying');
    }
    let body: { mediaType?: string; layers?: Descriptor[]; manifests?: Descriptor[] };
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new LocoError('upstream.registry', `${this.#endpoint.host} answered ${repository}:${reference} with a manifest that is not JSON`, 'check that the image was pushed as an OCI or Docker v2 image');
    }
    const mediaType = body.mediaType ?? response.headers.get('content-type')?.split(';')[0] ?? '';
    return { digest, mediaType, isIndex: INDEX_TYPES.has(mediaType), layers: body.layers ?? [], manifests: body.manifests ?? [] };
  }

  /** The repository's tags (empty when the repository does not exist). */
  async tags(repository: string): Promise<string[]> {
    const response = await this.#request('GET', `/v2/${repository}/tags/list`, `repository:${repository}:pull`);
    if (response.status === 404) return [];
    await this.#expectOk(response, `list the tags of ${repository}`);
    const body = (await response.json()) as { tags?: string[] | null };
    return body.tags ?? [];
  }

  /**
   * The registry's repositories whose names start with `prefix` (the catalog API, followed page
   * by page); null when the registry does not offer its catalog to Loco (401/403/404), so the
   * caller falls back to what it knows.
   */
  async repositories(prefix: string): Promise<string[] | null> {
    const found: string[] = [];
    let path: string | null = `/v2/_catalog?n=1000`;
    while (path) {
      const response = await this.#request('GET', path, 'registry:catalog:*');
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      await this.#expectOk(response, 'list its repositories');
      const body = (await response.json()) as { repositories?: string[] | null };
      for (const name of body.repositories ?? []) if (name.startsWith(prefix)) found.push(name);
      // RFC 5988 Link: </v2/_catalog?last=x&n=1000>; rel="next"
      const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '');
      path = next ? next[1] : null;
    }
    return found;
  }

  /** Deletes a manifest by digest (every tag pointing at it goes with it); false when it was already gone. */
  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const response = await this.#request('DELETE', `/v2/${repository}/manifests/${digest}`, `repository:${repository}:delete`);
    if (response.status === 404) return false;
    if (response.status === 405) {
      throw new LocoError('upstream.registry-delete-disabled', `${this.#endpoint.host} does not allow deleting manifests (405)`, 'enable deletion on the registry (distribution: storage.delete.enabled: true)');
    }
    await this.#expectOk(response, `delete ${repository}@${digest}`);
    return true;
  }

  async #expectOk(response: Response, doing: string): Promise<void> {
    if (response.ok) return;
    const text = (await response.text().catch(() => '')).slice(0, 200);
    if (response.status === 401 || response.status === 403) {
      throw new LocoError('upstream.registry-auth', `${this.#endpoint.host} refused to ${doing} (HTTP ${response.status})`, 'the registry needs credentials Loco does not have, or the repository is private to someone else');
    }
    throw new LocoError('upstream.registry', `${this.#endpoint.host} failed to ${doing} (HTTP ${response.status}${text ? `: ${text.replace(/\s+/g, ' ')}` : ''})`, 'retry; if it persists, check the registry');
  }

  async #request(method: string, path: string, scope: string, headers: Record<string, string> = {}): Promise<Response> {
    const cached = this.#tokens.get(scope);
    let response = await this.#send(method, path, { ...headers, ...(cached ? { authorization: `Bearer ${cached}` } : {}) });
    if (response.status !== 401) return response;
    const challenge = parseBearerChallenge(response.headers.get('www-authenticate'));
    if (!challenge) return response;
    await response.body?.cancel();
    const token = this.#ownToken?.(challenge.scope ?? scope) ?? await this.#token(challenge, scope);
    this.#tokens.set(scope, token);
    response = await this.#send(method, path, { ...headers, authorization: `Bearer ${token}` });
    return response;
  }

  /** Asks the challenge's realm for a token (anonymous: Loco holds no registry credentials yet). */
  async #token(challenge: Challenge, scope: string): Promise<string> {
    const url = new URL(challenge.realm);
    if (challenge.service) url.searchParams.set('service', challenge.service);
    // the scope the registry named for this request, or ours when it named none
    url.searchParams.set('scope', challenge.scope ?? scope);
    let response: Response;
    try {
      response = await this.#fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      throw new LocoError('unavailable.registry', `could not reach the token service of ${this.#endpoint.host} at ${url.origin}: ${reason(error)}`, 'check that the registry\'s auth realm is reachable from the Loco API', { cause: error });
    }
    if (!response.ok) {
      throw new LocoError('upstream.registry-auth', `the token service of ${this.#endpoint.host} refused a token for ${challenge.scope ?? scope} (HTTP ${response.status})`, 'the repository may be private: check the image name and the registry\'s access rules');
    }
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new LocoError('upstream.registry-auth', `the token service of ${this.#endpoint.host} answered without a token`, 'check the registry\'s auth configuration');
    return token;
  }

  async #send(method: string, path: string, headers: Record<string, string>): Promise<Response> {
    try {
      return await this.#fetch(`${this.base}${path}`, { method, headers, signal: AbortSignal.timeout(this.#timeoutMs), redirect: 'follow' });
    } catch (error) {
      throw new LocoError('unavailable.registry', `could not reach the registry ${this.#endpoint.host} (${this.base}): ${reason(error)}`,
        this.#endpoint.plainHttp ? 'check that the registry runs and the address is right' : `check the address; a registry without TLS must be listed as http://${this.#endpoint.host} in LOCO_IMAGE_REGISTRIES`, { cause: error });
    }
  }
}

function reason(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'it did not answer in time';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}
