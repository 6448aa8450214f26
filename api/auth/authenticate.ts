// Bearer-token authentication: the token's sha256 is looked up (one indexed read, or a hit in
// the short-lived principal cache, principal-cache.ts) and the request carries the resulting
// principal. Routes marked `config: { public: true }` skip it.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import type { Clock } from '../argocd/clock.ts';
import { hashToken } from './tokens.ts';
import { cookieValue, SESSION_COOKIE } from './session-cookie.ts';
import { PrincipalCache, type LoadedPrincipal } from './principal-cache.ts';
import type { Principal } from './principal.ts';

export type { Principal } from './principal.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Who each recently seen token is; a revocation must forget the token here (forgetToken). */
    principals: PrincipalCache;
  }
  interface FastifyContextConfig {
    public?: boolean;
  }
}

/** "alice" or "alice (github:1234)", the actor written into commit trailers. */
export function actorName(principal: Principal): string {
  return principal.githubId ? `${principal.userName} (github:${principal.githubId})` : principal.userName;
}

/** Hints for a token that no longer works: personal tokens are renewed by a login, deploy tokens per run. */
const RENEW_PERSONAL = 'log in again with `loco login`, or create a new token with `loco tokens create`';
const RENEW_DEPLOY = 'create a new deploy token for this run: loco tokens create --deploy --app <app> --profile <profile>';

/**
 * The principal of an Authorization header. `em` is called only when the database is needed (a
 * token not cached, or a last use to record): a request whose token is cached makes no
 * EntityManager, which was half of this hook's CPU.
 */
export async function principalFor(em: () => EntityManager, header: string | undefined, now = new Date(), cache?: PrincipalCache): Promise<Principal> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) {
    throw new LocoError('auth.missing-token', 'this request needs an API token', 'log in with `loco login`, or send Authorization: Bearer <token>');
  }
  const hash = hashToken(match[1]);
  if (!cache) return (await readPrincipal(em(), hash, now)).principal;
  const cached = cache.get(hash, now);
  if (!cached) return (await cache.load(hash, () => readPrincipal(em(), hash, now))).principal;
  const last = cached.lastUsedAt;
  // marked before the write, so concurrent requests with this token do not all make it
  if (touchDue(last, now)) {
    cached.lastUsedAt = now;
    await touch(em(), cached.principal.tokenId, last, now);
  }
  return cached.principal;
}

/** The token's principal from the database, refused when unknown, revoked or expired; its last use recorded. */
async function readPrincipal(em: EntityManager, hash: string, now: Date): Promise<LoadedPrincipal> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `select t.id as token_id, t.name as token_name, t.kind, t.workspace_id, t.app, t.profile, t.expires_at, t.revoked_at, t.last_used_at,
            u.id as user_id, u.name, u.email, u.github_id
       from api_tokens t join users u on u.id = t.user_id
      where t.hash = ?`,
    [hash],
  );
  const row = rows[0];
  if (!row) throw new LocoError('auth.invalid-token', 'the API token is not valid', 'log in again with `loco login` (or `loco login --token <token>` with a token from your Loco admin)');
  const renew = row.kind === 'deploy' ? RENEW_DEPLOY : RENEW_PERSONAL;
  if (row.revoked_at) {
    throw new LocoError('auth.token-revoked', `the token "${row.token_name as string}" was revoked at ${new Date(row.revoked_at as string).toISOString()}`, renew);
  }
  const expiresAt = row.expires_at ? new Date(row.expires_at as string) : null;
  if (expiresAt && expiresAt.getTime() <= now.getTime()) {
    throw new LocoError('auth.token-expired', `the token "${row.token_name as string}" expired at ${expiresAt.toISOString()}`, renew);
  }
  const lastUsedAt = row.last_used_at ? new Date(row.last_used_at as string) : null;
  const principal: Principal = {
    userId: row.user_id as string,
    userName: row.name as string,
    userEmail: (row.email as string | null) ?? null,
    githubId: (row.github_id as string | null) ?? null,
    tokenId: row.token_id as string,
    tokenName: row.token_name as string,
    tokenKind: row.kind as 'personal' | 'deploy',
    tokenExpiresAt: expiresAt,
    tokenWorkspaceId: (row.workspace_id as string | null) ?? null,
    tokenApp: (row.app as string | null) ?? null,
    tokenProfile: (row.profile as string | null) ?? null,
  };
  const touched = await touch(em, principal.tokenId, lastUsedAt, now);
  return { principal, lastUsedAt: touched ? now : lastUsedAt };
}

/** Last use to the minute: one small write a minute per token, not one per request. */
const TOUCH_EVERY_MS = 60_000;
function touchDue(lastUsedAt: Date | null, now: Date): boolean {
  return !lastUsedAt || now.getTime() - lastUsedAt.getTime() >= TOUCH_EVERY_MS;
}
async function touch(em: EntityManager, tokenId: string, lastUsedAt: Date | null, now: Date): Promise<boolean> {
  if (!touchDue(lastUsedAt, now)) return false;
  await em.execute(`update api_tokens set last_used_at = ? where id = ?`, [now, tokenId]);
  return true;
}

export function registerAuthentication(app: FastifyInstance, em: () => EntityManager, clock: Clock): void {
  const principals = new PrincipalCache();
  app.decorate('principals', principals);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.routeOptions.config?.public || !request.url.startsWith('/api/')) return;
    if (!request.routeOptions.url) return; // unknown route: the 404 handler answers
    request.principal = await principalFor(em, request.headers.authorization ?? sessionBearer(request), new Date(clock.now()), principals);
  });
}

/**
 * The dashboard's session cookie stands in for the bearer token on reads only (GET/HEAD: the
 * browser's EventSource cannot send headers). It is SameSite=Strict and HttpOnly; a state change
 * through /api/v1 always needs the Authorization header, so no cross-site form can make one.
 */
function sessionBearer(request: FastifyRequest): string | undefined {
  if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
  const token = cookieValue(request.headers.cookie, SESSION_COOKIE);
  return token ? `Bearer ${token}` : undefined;
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new LocoError('auth.missing-token', 'this request needs an API token', 'log in with `loco login`');
  return request.principal;
}
