// First start on an empty database: org `default`, workspace `default`, an admin user, and the
// admin's API token written to $LOCO_DATA_DIR/admin-token (mode 0600) for the CLI to pick up.
// Later starts find users and do nothing, so a deleted token file is never silently re-created.
// One exception, so that a platform is never locked out: when the file still holds the
// first-start token and that token has expired (personal tokens last 90 days), the next start
// writes a new one there. Whoever can read the data directory could do anything anyway; a token
// that was revoked, or a file that was deleted, stays as it is.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from './ids.ts';
import { workspaceSlug } from '../generator/names.ts';
import { ApiToken, Org, OrgMembership, User, Workspace, WorkspaceMembership } from './db/entities.ts';
import { hashToken, issuePersonalToken } from './auth/tokens.ts';

export interface BootstrapResult {
  created: boolean;
  /** The first-start token in the file had expired, and a new one was written there. */
  renewed?: boolean;
  adminTokenPath: string;
  /** The workspaces created (slugs), so their repositories can be made. */
  slugs: string[];
}

export async function bootstrap(em: EntityManager, dataDir: string, now = new Date()): Promise<BootstrapResult> {
  const adminTokenPath = join(dataDir, 'admin-token');
  const created = await em.transactional(async (tx) => {
    // A lock so that two API processes starting together on one database bootstrap once.
    await tx.execute('lock table users in exclusive mode');
    if ((await tx.count(User, {})) > 0) return null;
    const user = tx.create(User, { id: `usr_${ulid()}`, name: 'admin', email: null, githubId: null });
    const org = tx.create(Org, { id: `org_${ulid()}`, name: 'default' });
    const ws = tx.create(Workspace, { id: `ws_${ulid()}`, orgId: org.id, name: 'default', slug: workspaceSlug('default', 'default'), settings: {} });
    tx.create(OrgMembership, { id: `mem_${ulid()}`, orgId: org.id, userId: user.id, role: 'admin' });
    tx.create(WorkspaceMembership, { id: `mem_${ulid()}`, workspaceId: ws.id, userId: user.id, role: 'admin' });
    await tx.flush();
    const token = await issuePersonalToken(tx, user.id, 'admin (first start)', { now });
    return { token, slug: ws.slug };
  });
  if (!created) return { created: false, ...(await renewExpiredAdminToken(em, adminTokenPath, now) ? { renewed: true } : {}), adminTokenPath, slugs: [] };
  await mkdir(dataDir, { recursive: true });
  await writeFile(adminTokenPath, `${created.token}\n`, { mode: 0o600 });
  return { created: true, adminTokenPath, slugs: [created.slug] };
}

async function renewExpiredAdminToken(em: EntityManager, adminTokenPath: string, now: Date): Promise<boolean> {
  let written: string;
  try {
    written = (await readFile(adminTokenPath, 'utf8')).trim();
  } catch {
    return false; // deleted on purpose (or never here): not re-created
  }
  const old = await em.fork().findOne(ApiToken, { hash: hashToken(written) });
  if (!old || old.kind !== 'personal' || old.revokedAt || !old.expiresAt || old.expiresAt.getTime() > now.getTime()) return false;
  const token = await issuePersonalToken(em.fork(), old.userId, 'admin (renewed at start)', { now });
  await writeFile(adminTokenPath, `${token}\n`, { mode: 0o600 });
  return true;
}
