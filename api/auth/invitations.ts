// Invitations: how a user added by name gets their first token without GitHub. An admin's
// `loco members add` (or `members invite`) makes a code — random, shown once, stored as a
// sha256 hash, expiring, single use — that the invited user redeems with `loco login --invite`.

import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from '../ids.ts';
import { LocoError } from '../../generator/errors.ts';
import { ApiToken, Invitation, type WorkspaceRole } from '../db/entities.ts';
import { createPersonalToken, hashToken, newSecret, type IssuedToken } from './tokens.ts';

export const INVITATION_TTL_MS = 7 * 86_400_000;
export const INVITATION_MAX_SECONDS = 30 * 86_400;

export interface InvitationFor {
  workspaceId: string;
  userId: string;
  role: WorkspaceRole;
  invitedByUserId: string;
}

export async function createInvitation(em: EntityManager, invite: InvitationFor, now: Date, ttlMs = INVITATION_TTL_MS): Promise<{ code: string; expiresAt: Date }> {
  const code = newSecret('loco_inv');
  const expiresAt = new Date(now.getTime() + ttlMs);
  em.create(Invitation, { id: `inv_${ulid()}`, ...invite, hash: hashToken(code), expiresAt, redeemedAt: null, createdAt: now });
  await em.flush();
  return { code, expiresAt };
}

/** Whether the user holds a personal token that still works (else they need an invitation to get in). */
export async function hasUsableToken(em: EntityManager, userId: string, now: Date): Promise<boolean> {
  return (await em.count(ApiToken, { userId, kind: 'personal', revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] })) > 0;
}

export interface Redeemed {
  token: IssuedToken;
  user: string;
  org: string;
  workspace: string;
  role: string;
}

const askAgain = 'ask a workspace admin for a new code (loco members invite <user>)';

/**
 * Spends the code and issues the invited user's first personal token, in one transaction. The
 * conditional update is what makes the code single use: of two redeemers at once, one updates
 * the row and the other finds it spent.
 */
export async function redeemInvitation(em: EntityManager, code: string, now: Date): Promise<Redeemed> {
  return em.transactional(async (tx) => {
    const hash = hashToken(code);
    const spent = await tx.execute<{ id: string }[]>(
      `update invitations set redeemed_at = ? where hash = ? and redeemed_at is null and expires_at > ? returning id`,
      [now, hash, now],
    );
    const rows = await tx.execute<Record<string, unknown>[]>(
      `select i.user_id, i.role, i.expires_at, i.redeemed_at, u.name as user_name, w.name as workspace, o.name as org
         from invitations i join users u on u.id = i.user_id join workspaces w on w.id = i.workspace_id join orgs o on o.id = w.org_id
        where i.hash = ?`,
      [hash],
    );
    const row = rows[0];
    if (!row) throw new LocoError('auth.invalid-invitation', 'this invitation code is not valid', `check that it was copied whole; else ${askAgain}`);
    if (spent.length === 0) {
      if (row.redeemed_at) {
        throw new LocoError('auth.invitation-used', `this invitation code was already used, at ${new Date(row.redeemed_at as string).toISOString()}; a code works once`,
          `if that was you, you are logged in there (loco whoami); else ${askAgain}`);
      }
      throw new LocoError('auth.invitation-expired', `this invitation code expired at ${new Date(row.expires_at as string).toISOString()}`, askAgain);
    }
    const token = await createPersonalToken(tx, row.user_id as string, `invitation to ${row.org}/${row.workspace}`, { now });
    return { token, user: row.user_name as string, org: row.org as string, workspace: row.workspace as string, role: row.role as string };
  });
}
