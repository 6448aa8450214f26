// API tokens: random, shown once, stored only as a sha256 hash. Personal tokens act as their
// user and expire (90 days unless asked otherwise); deploy tokens (for CI) act for one profile
// of one app and expire after five minutes unless asked otherwise. Revoking keeps the row (so
// `loco tokens list` and audits can still name it) and makes the hash unusable.

import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from '../ids.ts';
import { LocoError } from '../../generator/errors.ts';
import { ApiToken } from '../db/entities.ts';

const DAY_MS = 86_400_000;
export const PERSONAL_TOKEN_TTL_MS = 90 * DAY_MS;
export const DEPLOY_TOKEN_TTL_MS = 5 * 60 * 1000;
/** Longest lifetimes a caller may ask for: a year for people, a day for a CI run. */
export const PERSONAL_TOKEN_MAX_SECONDS = 366 * 86_400;
export const DEPLOY_TOKEN_MAX_SECONDS = 86_400;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export interface IssuedToken {
  id: string;
  name: string;
  token: string;
  expiresAt: Date;
}

export interface IssueOptions {
  now?: Date;
  /** Lifetime; the kind's default when unset. */
  ttlMs?: number;
}

export async function createPersonalToken(em: EntityManager, userId: string, name: string, options: IssueOptions = {}): Promise<IssuedToken> {
  const now = options.now ?? new Date();
  const token = newSecret('loco_pat');
  const id = `tok_${ulid()}`;
  const expiresAt = new Date(now.getTime() + (options.ttlMs ?? PERSONAL_TOKEN_TTL_MS));
  em.create(ApiToken, { id, userId, name, kind: 'personal', hash: hashToken(token), workspaceId: null, app: null, profile: null, expiresAt, lastUsedAt: null, revokedAt: null, createdAt: now });
  await em.flush();
  return { id, name, token, expiresAt };
}

/** A personal token's secret, for callers that only hand it on (first start, logins). */
export async function issuePersonalToken(em: EntityManager, userId: string, name: string, options: IssueOptions = {}): Promise<string> {
  return (await createPersonalToken(em, userId, name, options)).token;
}

export interface DeployScope {
  userId: string;
  workspaceId: string;
  app: string;
  profile: string;
}

export async function issueDeployToken(em: EntityManager, scope: DeployScope, options: IssueOptions = {}): Promise<IssuedToken> {
  const now = options.now ?? new Date();
  const token = newSecret('loco_dpl');
  const id = `tok_${ulid()}`;
  const name = `deploy ${scope.app}@${scope.profile}`;
  const expiresAt = new Date(now.getTime() + (options.ttlMs ?? DEPLOY_TOKEN_TTL_MS));
  em.create(ApiToken, {
    id, userId: scope.userId, name, kind: 'deploy', hash: hashToken(token),
    workspaceId: scope.workspaceId, app: scope.app, profile: scope.profile, expiresAt, lastUsedAt: null, revokedAt: null, createdAt: now,
  });
  await em.flush();
  return { id, name, token, expiresAt };
}

export interface TokenSummary {
  id: string;
  name: string;
  kind: 'personal' | 'deploy';
  /** What the token may do: "personal" (all of its user's rights) or "<org>/<ws> <app>@<profile>". */
  scope: string;
  status: 'active' | 'expired';
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** The user's tokens that are not revoked, newest first; expired ones are listed as such. */
export async function listTokens(em: EntityManager, userId: string, now: Date): Promise<TokenSummary[]> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `select t.id, t.name, t.kind, t.app, t.profile, t.created_at, t.expires_at, t.last_used_at, o.name as org, w.name as workspace
       from api_tokens t left join workspaces w on w.id = t.workspace_id left join orgs o on o.id = w.org_id
      where t.user_id = ? and t.revoked_at is null
      order by t.created_at desc, t.id desc`,
    [userId],
  );
  return rows.map((r) => {
    const expiresAt = r.expires_at ? new Date(r.expires_at as string) : null;
    return {
      id: r.id as string,
      name: r.name as string,
      kind: r.kind as 'personal' | 'deploy',
      scope: r.kind === 'deploy' ? `${r.org}/${r.workspace} ${r.app}@${r.profile ?? '*'}` : 'personal',
      status: expiresAt && expiresAt.getTime() <= now.getTime() ? 'expired' : 'active',
      createdAt: new Date(r.created_at as string).toISOString(),
      expiresAt: expiresAt ? expiresAt.toISOString() : null,
      lastUsedAt: r.last_used_at ? new Date(r.last_used_at as string).toISOString() : null,
    };
  });
}

/** Revokes one of the user's tokens by id or by name; a name several tokens share is refused. */
export async function revokeToken(em: EntityManager, userId: string, idOrName: string, now: Date): Promise<{ id: string; name: string }> {
  const matches = await em.find(ApiToken, { userId, revokedAt: null, $or: [{ id: idOrName }, { name: idOrName }] });
  if (matches.length === 0) {
    throw new LocoError('not-found.token', `you have no token with the id or name "${idOrName}"`, 'list yours with `loco tokens list`');
  }
  if (matches.length > 1) {
    throw new LocoError('conflict.token-name', `${matches.length} of your tokens are named "${idOrName}": ${matches.map((t) => t.id).join(', ')}`, 'revoke one by its id: loco tokens revoke <id>');
  }
  const [token] = matches;
  token.revokedAt = now;
  await em.flush();
  return { id: token.id, name: token.name };
}
