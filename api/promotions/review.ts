// Reviewing a promotion: approve (a member with deploy rights other than the author), merge
// (enough approvals for the target profile, then one commit on main with the promotion's
// trailers, tracked as a deployment), close. The same for rollback pull requests.

import type { EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import { appScope } from '../../generator/index.ts';
import { rejectDeployToken, workspaceAccessById, type Need, type WorkspaceAccess } from '../auth/access.ts';
import { actorName, type Principal } from '../auth/authenticate.ts';
import { Deployment as DeploymentEntity, User } from '../db/entities.ts';
import type { Deployment } from '../db/entities.ts';
import type { LocoServices } from '../services.ts';
import { inScope } from '../deployments/prepare.ts';
import { newDeploymentId, trackLanded } from './land.ts';
import { findPromotion, promotionNotFound, recordApproval, transition, type PromotionRow } from './records.ts';
import { promotionRules } from './rules.ts';

export async function loadPromotion(em: EntityManager, principal: Principal, id: string, need: Need): Promise<{ promotion: PromotionRow; access: WorkspaceAccess }> {
  const promotion = await findPromotion(em, id);
  if (!promotion) throw promotionNotFound(id);
  const access = await workspaceAccessById(em, principal, promotion.workspaceId, need, {}, () => promotionNotFound(id));
  return { promotion, access };
}

function requireOpen(p: PromotionRow, doing: string): void {
  if (p.status === 'open' || p.status === 'approved') return;
  const hint = p.status === 'superseded'
    ? `review the newer promotion ${p.supersededBy ?? ''} instead (loco promote list)`
    : p.status === 'merged' ? `it is already deployed: follow ${p.deploymentId ?? 'its deployment'}` : 'promote again to open a new one';
  throw new LocoError('conflict.promotion-state', `promotion ${p.id} is ${p.status}; it cannot be ${doing}`, hint, { data: { status: p.status } });
}

export async function approvePromotion(loco: LocoServices, principal: Principal, id: string): Promise<{ promotion: PromotionRow; access: WorkspaceAccess }> {
  rejectDeployToken(principal);
  const em = loco.em();
  const { promotion, access } = await loadPromotion(em, principal, id, 'deploy');
  requireOpen(promotion, 'approved');
  if (promotion.authorUserId === principal.userId) {
    throw new LocoError('auth.forbidden', `you opened promotion ${id}, so you cannot approve it yourself`, 'ask another member of the workspace with deploy rights to approve it (loco promote approve ' + id + ')', { data: { reason: 'self-approval' } });
  }
  if (promotion.approvals.some((a) => a.userId === principal.userId)) return { promotion, access };
  const required = promotionRules(access.settings).approvalsFor(promotion.to);
  const next = promotion.approvals.length + 1 >= required ? 'approved' : 'open';
  await recordApproval(em, id, { userId: principal.userId, user: actorName(principal), at: new Date().toISOString() }, next);
  return { promotion: (await findPromotion(em, id))!, access };
}

export async function closePromotion(loco: LocoServices, principal: Principal, id: string): Promise<{ promotion: PromotionRow; access: WorkspaceAccess }> {
  rejectDeployToken(principal);
  const em = loco.em();
  const { promotion, access } = await loadPromotion(em, principal, id, 'deploy');
  requireOpen(promotion, 'closed');
  await transition(em, id, ['open', 'approved'], 'closed', { closed_by_user_id: principal.userId });
  await loco.store.deleteBranch(access.slug, promotion.branch).catch(() => undefined);
  return { promotion: (await findPromotion(em, id))!, access };
}

async function authorActor(em: EntityManager, userId: string): Promise<string> {
  const user = await em.findOneOrFail(User, { id: userId });
  return user.githubId ? `${user.name} (github:${user.githubId})` : user.name;
}

/** Lands an approved promotion on main and starts tracking the target profile's deployment. */
export async function mergePromotion(loco: LocoServices, principal: Principal, id: string): Promise<{ promotion: PromotionRow; access: WorkspaceAccess; deployment: Deployment }> {
  rejectDeployToken(principal);
  const em = loco.em();
  const { access } = await loadPromotion(em, principal, id, 'deploy');
  return loco.runner.exclusive(access.workspaceId, async () => {
    const promotion = (await findPromotion(em, id))!;
    requireOpen(promotion, 'merged');
    const required = promotionRules(access.settings).approvalsFor(promotion.to);
    if (promotion.approvals.length < required) {
      throw new LocoError(
        'conflict.approval-required',
        `${promotion.to} needs ${required} approval${required === 1 ? '' : 's'} before a merge; promotion ${id} has ${promotion.approvals.length}`,
        `ask another member with deploy rights to approve it: loco promote approve ${id}`,
        { data: { required, approvals: promotion.approvals.length } },
      );
    }
    const { store } = loco;
    const [branchTip] = await store.history(access.slug, { branch: promotion.branch, limit: 1 });
    if (!branchTip || branchTip.commit !== promotion.headCommit) {
      throw new LocoError('conflict.promotion-branch', `branch ${promotion.branch} ${branchTip ? 'moved since it was reviewed' : 'no longer exists'}`, 'close this promotion and promote again');
    }
    const files = await store.readFiles(access.slug, branchTip.commit, `apps/${promotion.app}/`);
    const scope = appScope(promotion.app, promotion.to);
    const scoped = new Map([...files].filter(([p]) => inScope(p, scope)));
    // The same certain-failure checks a direct deploy gets (api/kubernetes), before anything lands on main.
    const { rejection } = await loco.preflight({ slug: access.slug, app: promotion.app, profile: promotion.to, files: async () => scoped });
    if (rejection) {
      throw new LocoError('conflict.preflight', `promotion ${id} cannot be merged: ${rejection.message}`, rejection.hint, { data: { code: rejection.code, ...rejection.data } });
    }
    const configText = files.get(`apps/${promotion.app}/loco.toml`) ?? '';
    const t = branchTip.trailers;
    const source = await em.findOne(DeploymentEntity, { id: promotion.sourceDeploymentId });
    const deploymentId = newDeploymentId();
    const actor = await authorActor(em, promotion.authorUserId);
    const trailers: Record<string, string> = {
      'Loco-Deployment': deploymentId, 'Loco-Actor': actor, 'Loco-App': promotion.app, 'Loco-Profile': promotion.to,
      'Loco-Config-Digest': t['Loco-Config-Digest'], 'Loco-Image': t['Loco-Image'], 'Loco-Change': promotion.kind,
      'Loco-Promotion': promotion.id, 'Loco-Promoted-From': promotion.from, 'Loco-Source-Deployment': promotion.sourceDeploymentId,
      ...(promotion.approvals.length ? { 'Loco-Approved-By': promotion.approvals.map((a) => a.user).join(', ') } : {}),
      'Loco-Merged-By': actorName(principal),
    };
    const author = { name: principal.userName, email: principal.userEmail ?? `${principal.userName}@users.noreply.loco` };
    let commit: string;
    let unchanged = false;
    if (promotion.prNumber !== null) {
      // GitHub merges the pull request itself (so it shows as merged there), with our trailers.
      const merged = await store.mergeBranch({ slug: access.slug, branch: promotion.branch, pullRequest: promotion.prNumber, subject: promotion.title, trailers, author });
      commit = merged.commit;
      unchanged = merged.status === 'unchanged';
    } else {
      // Locally: one commit on main with the reviewed files (history stays linear), refused
      // when the target profile changed on main since the branch was made.
      const result = await store.applyChange({
        slug: access.slug, scope, files: scoped, subject: promotion.title, trailers, author, baseCommit: branchTip.parents[0],
      }).catch((error: unknown) => {
        if (error instanceof LocoError && error.code === 'conflict.commit') {
          throw new LocoError('conflict.merge', `${promotion.app}@${promotion.to} changed on main since promotion ${id} was opened`, 'close it and promote again from the current state', { cause: error });
        }
        throw error;
      });
      commit = result.commit;
      unchanged = result.status === 'unchanged';
    }
    const deployment = await trackLanded(loco, em, {
      id: deploymentId, workspaceId: access.workspaceId, app: promotion.app, profile: promotion.to, changeType: promotion.kind,
      change: { promotion: promotion.id, from: promotion.from, source: promotion.sourceDeploymentId },
      image: t['Loco-Image'], configText, envFile: source?.envFile ?? null, configDigest: t['Loco-Config-Digest'], commit, unchanged,
      actor, actorUserId: promotion.authorUserId,
      summary: `${promotion.title} (promotion ${promotion.id}, merged by ${principal.userName})`,
    });
    await transition(em, id, ['open', 'approved'], 'merged', { merge_commit: commit, deployment_id: deploymentId });
    if (promotion.prNumber === null) await store.deleteBranch(access.slug, promotion.branch).catch(() => undefined);
    return { promotion: (await findPromotion(em, id))!, access, deployment };
  });
}
