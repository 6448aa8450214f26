// Landing a reviewed change on main and tracking it: the commit (Loco makes it, or GitHub made
// it when a pull request was merged there) becomes a deployment of the target profile that the
// runner follows to its outcome like any other. The deployment id is chosen before the commit
// so the commit's Loco-Deployment trailer names it.

import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from '../ids.ts';
import { Deployment } from '../db/entities.ts';
import type { ChangeType } from '../db/entities.ts';
import { ensureApp } from '../deployments/create.ts';
import { appendEvent } from '../deployments/records.ts';
import { LocoError } from '../../generator/errors.ts';
import { claimsOfRelease, takeClaims } from '../routing/claims.ts';
import type { LocoServices } from '../services.ts';

export function newDeploymentId(): string {
  return `dpl_${ulid()}`;
}

export interface LandedChange {
  id: string;
  workspaceId: string;
  app: string;
  profile: string;
  changeType: Extract<ChangeType, 'promote' | 'rollback'>;
  change: Record<string, unknown>;
  image: string;
  configText: string;
  envFile: string | null;
  configDigest: string;
  commit: string;
  /** true when the commit already held this state (nothing new was committed). */
  unchanged: boolean;
  actor: string;
  actorUserId: string;
  summary: string;
}

/** Records the committed change as a deployment and hands it to the runner. */
export async function trackLanded(loco: LocoServices, em: EntityManager, c: LandedChange): Promise<Deployment> {
  const appId = await ensureApp(em, c.workspaceId, c.app);
  const deployment = em.create(Deployment, {
    id: c.id, workspaceId: c.workspaceId, appId, app: c.app, profile: c.profile, changeType: c.changeType, change: c.change,
    image: c.image, configText: c.configText, envFile: c.envFile, configDigest: c.configDigest, idempotencyKey: null, requestHash: null,
    status: 'committed', reason: null, message: null, nextStep: null, commit: c.commit, actor: c.actor, actorUserId: c.actorUserId,
    confirmPrune: false, finishedAt: null, leaseOwner: null, leaseExpiresAt: null, lastEventSeq: 0,
  });
  await em.flush();
  await appendEvent(em, loco.bus, c.id, { type: 'pending', message: c.summary, data: { change: c.changeType } });
  await claimLanded(em, loco, c, appId);
  const short = c.commit.slice(0, 7);
  await appendEvent(em, loco.bus, c.id, {
    type: 'committed',
    message: c.unchanged ? `commit ${short} already holds this state; nothing new was committed` : `committed ${short}: ${c.summary}`,
    data: { commit: c.commit, unchanged: c.unchanged },
  });
  loco.runner.kick(c.id);
  return deployment;
}

/**
 * The landed release's routes become the app/profile's claims. The commit is already on main, so a
 * refusal (another workspace took the host after the promotion was opened) cannot undo it: it is
 * reported on the deployment, and `audit verify` keeps reporting the route until it is fixed.
 */
async function claimLanded(em: EntityManager, loco: LocoServices, c: LandedChange, appId: string): Promise<void> {
  try {
    const [{ slug }] = await em.execute<{ slug: string }[]>(`select slug from workspaces where id = ?`, [c.workspaceId]);
    const claims = claimsOfRelease(c.configText, c.profile, slug);
    await em.transactional((tx) => takeClaims(tx, { workspaceId: c.workspaceId, appId, app: c.app, profile: c.profile, claims }));
  } catch (error) {
    if (!(error instanceof LocoError)) throw error;
    await appendEvent(em, loco.bus, c.id, { type: 'warning', message: `routes not claimed: ${error.message}`, data: { code: error.code, hint: error.hint } });
  }
}
