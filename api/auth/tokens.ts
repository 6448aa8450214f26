// API tokens: random, shown once, stored only as a sha256 hash. Personal tokens act as their
// user; deploy tokens (for CI) act for one workspace/app and expire after five minutes.

import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from 'ulid';
import { ApiToken } from '../db/entities.ts';

export const DEPLOY_TOKEN_TTL_MS = 5 * 60 * 1000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export async function issuePersonalToken(em: EntityManager, userId: string, name: string): Promise<string> {
  const token = newSecret('loco_pat');
  em.create(ApiToken, { id: `tok_${ulid()}`, userId, name, kind: 'personal', hash: hashToken(token), workspaceId: null, app: null, expiresAt: null });
  await em.flush();
  return token;
}

export async function issueDeployToken(
  em: EntityManager,
  userId: string,
  workspaceId: string,
  app: string,
  now = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecret('loco_dpl');
  const expiresAt = new Date(now.getTime() + DEPLOY_TOKEN_TTL_MS);
  em.create(ApiToken, { id: `tok_${ulid()}`, userId, name: `deploy ${app}`, kind: 'deploy', hash: hashToken(token), workspaceId, app, expiresAt });
  await em.flush();
  return { token, expiresAt };
}
