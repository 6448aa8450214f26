// Rollback on a profile that changes only by review (promotion rules): instead of committing,
// it opens a rollback pull request restoring the target deployment's files — unless the
// caller asks for an emergency rollback and the workspace allows them, which is committed
// directly and recorded as such (Loco-Emergency: true).
//
// The API's POST /deployments/:id/rollback can call `reviewedRollback` first and fall back to
// its own direct commit when it returns null (unprotected profile).

import { LocoError } from '../../generator/errors.ts';
import type { WorkspaceAccess } from '../auth/access.ts';
import { actorName, type Principal } from '../auth/authenticate.ts';
import type { Deployment } from '../db/entities.ts';
import { currentScopeFiles, refuseWidePrune } from '../deployments/prepare.ts';
import { rollbackFiles, rollbackScope } from '../deployments/rollback-files.ts';
import type { LocoServices } from '../services.ts';
import { newDeploymentId, trackLanded } from './land.ts';
import { openBranchChange } from './open.ts';
import type { PromotionRow } from './records.ts';
import { promotionRules } from './rules.ts';

export interface RollbackOptions {
  emergency?: boolean;
  confirmPrune?: boolean;
}

export type RollbackResult =
  | { mode: 'pull-request'; promotion: PromotionRow }
  | { mode: 'emergency' | 'direct'; deployment: Deployment };

function checkTarget(target: Deployment): string {
  if (!target.commit || target.changeType === 'delete') {
    throw new LocoError('conflict.rollback-target', `deployment ${target.id} made no commit to return to (status ${target.status})`, 'roll back to a deployment that was committed: see `loco history`');
  }
  return target.commit;
}

/** Commits the rollback on main at once and tracks it (unprotected profile, or an emergency). */
async function rollBackDirectly(loco: LocoServices, access: WorkspaceAccess, principal: Principal, target: Deployment, emergency: boolean, confirmPrune: boolean): Promise<Deployment> {
  const targetCommit = checkTarget(target);
  return loco.runner.exclusive(access.workspaceId, async () => {
    const head = (await loco.store.head(access.slug))!;
    const [before, after] = await Promise.all([
      currentScopeFiles(loco.store, access.slug, head, target.app, target.profile),
      currentScopeFiles(loco.store, access.slug, targetCommit, target.app, target.profile),
    ]);
    refuseWidePrune(before, after, confirmPrune, `rolling ${target.app}@${target.profile} back to ${target.id}`);
    const id = newDeploymentId();
    const actor = actorName(principal);
    const subject = `rollback(${target.app}@${target.profile}): to ${target.id} (${targetCommit.slice(0, 7)})${emergency ? ' [emergency]' : ''}`;
    const files = await rollbackFiles(loco.store, access.slug, head, targetCommit, target.app, target.profile);
    const result = await loco.store.applyChange({
      slug: access.slug, files, scope: rollbackScope(target.app, target.profile, files), subject, baseCommit: head,
      trailers: {
        'Loco-Deployment': id, 'Loco-Actor': actor, 'Loco-App': target.app, 'Loco-Profile': target.profile,
        'Loco-Config-Digest': target.configDigest, 'Loco-Image': target.image, 'Loco-Change': 'rollback',
        ...(emergency ? { 'Loco-Emergency': 'true' } : {}),
      },
      author: { name: principal.userName, email: principal.userEmail ?? `${principal.userName}@users.noreply.loco` },
    });
    return trackLanded(loco, loco.em(), {
      id, workspaceId: access.workspaceId, app: target.app, profile: target.profile, changeType: 'rollback',
      change: { target: target.id, targetCommit, ...(emergency ? { emergency: true } : {}) },
      image: target.image, configText: target.configText, envFile: target.envFile ?? null, configDigest: target.configDigest,
      commit: result.commit, unchanged: result.status === 'unchanged', actor, actorUserId: principal.userId,
      summary: `${emergency ? 'emergency ' : ''}rollback ${target.app}@${target.profile} to ${target.id} (${target.image}), requested by ${principal.userName}`,
    });
  });
}

/**
 * On a protected profile: a rollback pull request, or (emergency, when allowed) a direct
 * commit marked as an emergency. Null when the profile is not protected.
 */
export async function reviewedRollback(loco: LocoServices, access: WorkspaceAccess, principal: Principal, target: Deployment, options: RollbackOptions = {}): Promise<RollbackResult | null> {
  const rules = promotionRules(access.settings);
  if (!rules.isProtected(target.profile)) {
    if (options.emergency) {
      throw new LocoError('usage.emergency-not-needed', `${target.profile} is not protected by review; an emergency rollback is not needed`, 'roll back without --emergency');
    }
    return null;
  }
  const targetCommit = checkTarget(target);
  if (options.emergency) {
    if (!rules.allowsEmergencyRollback) {
      throw new LocoError(
        'conflict.emergency-not-allowed',
        `workspace ${access.org}/${access.workspace} does not allow direct emergency rollbacks of ${target.profile}`,
        'roll back through a pull request (without --emergency) and have it approved, or ask a workspace admin to set "emergencyRollback": true in the workspace settings',
      );
    }
    return { mode: 'emergency', deployment: await rollBackDirectly(loco, access, principal, target, true, Boolean(options.confirmPrune)) };
  }
  const files = await currentScopeFiles(loco.store, access.slug, targetCommit, target.app, target.profile);
  const promotion = await openBranchChange(loco, access, principal, {
    kind: 'rollback', app: target.app, from: target.profile, to: target.profile, source: target, files,
    image: target.image, configDigest: target.configDigest, ...(options.confirmPrune ? { confirmPrune: true } : {}),
  });
  return { mode: 'pull-request', promotion };
}

/** POST …/apps/:app/rollbacks: whichever of the three the profile and request call for. */
export async function requestRollback(loco: LocoServices, access: WorkspaceAccess, principal: Principal, target: Deployment, options: RollbackOptions = {}): Promise<RollbackResult> {
  const reviewed = await reviewedRollback(loco, access, principal, target, options);
  if (reviewed) return reviewed;
  return { mode: 'direct', deployment: await rollBackDirectly(loco, access, principal, target, false, Boolean(options.confirmPrune)) };
}
