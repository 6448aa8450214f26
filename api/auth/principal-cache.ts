// A short-lived, in-process cache of token hash → principal, so most requests learn who sent
// them without a database read. Revoking a token through this process forgets it at once; a
// token revoked through another replica keeps working here for at most PRINCIPAL_CACHE_TTL_MS.
// Expiry is checked on every hit, and access (membership, roles) is never cached: it is read
// per request by api/auth/access.ts.

import type { Principal } from './principal.ts';

/** How long a principal is trusted without a database read (the bound on revocation across replicas). */
export const PRINCIPAL_CACHE_TTL_MS = 5_000;
/** Tokens kept at most; the oldest entry goes first when full. */
const MAX_ENTRIES = 10_000;

export interface LoadedPrincipal {
  principal: Principal;
  /** The token's last_used_at as this process last wrote or read it. */
  lastUsedAt: Date | null;
}

interface Entry extends LoadedPrincipal {
  /** performance.now() after which the entry is read again from the database. */
  freshUntil: number;
}

export class PrincipalCache {
  readonly #byHash = new Map<string, Entry>();
  /** Reads under way, so a burst of requests with one uncached token makes one read. */
  readonly #loading = new Map<string, Promise<LoadedPrincipal>>();
  /** Bumped by every forgetToken: a read that started before it must not cache what it read. */
  #generation = 0;
  readonly #ttlMs: number;
  readonly #monotonic: () => number;

  constructor(options: { ttlMs?: number; monotonic?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? PRINCIPAL_CACHE_TTL_MS;
    this.#monotonic = options.monotonic ?? (() => performance.now());
  }

  /** The cached principal of a token hash, unless stale or expired at `now` (then forgotten). */
  get(hash: string, now: Date): Entry | undefined {
    const entry = this.#byHash.get(hash);
    if (!entry) return undefined;
    const expiresAt = entry.principal.tokenExpiresAt;
    if (entry.freshUntil <= this.#monotonic() || (expiresAt && expiresAt.getTime() <= now.getTime())) {
      this.#byHash.delete(hash);
      return undefined;
    }
    return entry;
  }

  /** Reads the principal with `read` (shared by concurrent callers for one hash) and caches it. */
  load(hash: string, read: () => Promise<LoadedPrincipal>): Promise<LoadedPrincipal> {
    const pending = this.#loading.get(hash);
    if (pending) return pending;
    const generation = this.#generation;
    const loading = read().then((loaded) => {
      if (generation === this.#generation) this.#set(hash, loaded);
      return loaded;
    }).finally(() => {
      if (this.#loading.get(hash) === loading) this.#loading.delete(hash);
    });
    this.#loading.set(hash, loading);
    return loading;
  }

  #set(hash: string, { principal, lastUsedAt }: LoadedPrincipal): void {
    if (this.#ttlMs <= 0) return;
    if (this.#byHash.size >= MAX_ENTRIES && !this.#byHash.has(hash)) {
      const oldest = this.#byHash.keys().next();
      if (!oldest.done) this.#byHash.delete(oldest.value);
    }
    this.#byHash.set(hash, { principal, freshUntil: this.#monotonic() + this.#ttlMs, lastUsedAt });
  }

  /** Forgets a token by its id (it was revoked): its next request reads the database and is refused. */
  forgetToken(tokenId: string): void {
    this.#generation++;
    this.#loading.clear(); // a request after the revocation does not join a read from before it
    for (const [hash, entry] of this.#byHash) if (entry.principal.tokenId === tokenId) this.#byHash.delete(hash);
  }
}
