// Promotion records: pull requests as Loco holds them (in full for local repositories; the
// mirror of a GitHub PR otherwise). Plain SQL because the review columns (title, body, head
// commit, approvals) come from this area's own migration.

import type { EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import type { PromotionStatus } from '../db/entities.ts';

export interface Approval {
  userId: string;
  user: string;
  at: string;
}

export interface PromotionRow {
  id: string;
  workspaceId: string;
  appId: string;
  app: string;
  kind: 'promote' | 'rollback';
  sourceDeploymentId: string;
  from: string;
  to: string;
  branch: string;
  headCommit: string | null;
  prNumber: number | null;
  prUrl: string | null;
  status: PromotionStatus;
  title: string;
  body: string;
  authorUserId: string;
  author: string;
  approvals: Approval[];
  deploymentId: string | null;
  mergeCommit: string | null;
  supersededBy: string | null;
  /** The source deployment's outcome now (null once its records are gone). */
  sourceStatus: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The REST shape (test/promotion/README.md). */
export interface PromotionJson {
  id: string;
  org: string;
  workspace: string;
  app: string;
  kind: 'promote' | 'rollback';
  from: string;
  to: string;
  status: PromotionStatus;
  title: string;
  body: string;
  branch: string;
  headCommit?: string;
  pullRequest?: { number: number; url: string };
  sourceDeploymentId: string;
  /**
   * How the source release ended; `sourceVerified` false when it ended at committed (no Argo CD
   * saw it run) — the pull request body says so too.
   */
  sourceStatus?: string;
  sourceVerified?: boolean;
  author: string;
  approvals: { user: string; at: string }[];
  approvalsRequired: number;
  deploymentId?: string;
  mergeCommit?: string;
  supersededBy?: string;
  createdAt: string;
  updatedAt: string;
}

const SELECT = `select p.*, u.name as author_name, sd.status as source_status from promotions p join users u on u.id = p.author_user_id
  left join deployments sd on sd.id = p.source_deployment_id`;

const iso = (v: unknown) => new Date(v as string).toISOString();

function fromRow(r: Record<string, any>): PromotionRow {
  const approvals = typeof r.approvals === 'string' ? JSON.parse(r.approvals) : (r.approvals ?? []);
  return {
    id: r.id, workspaceId: r.workspace_id, appId: r.app_id, app: r.app, kind: r.kind, sourceDeploymentId: r.source_deployment_id,
    from: r.from_profile, to: r.to_profile, branch: r.branch, headCommit: r.head_commit ?? null,
    prNumber: r.pr_number === null || r.pr_number === undefined ? null : Number(r.pr_number), prUrl: r.pr_url ?? null,
    status: r.status, title: r.title, body: r.body, authorUserId: r.author_user_id, author: r.author_name, approvals,
    deploymentId: r.deployment_id ?? null, mergeCommit: r.merge_commit ?? null, supersededBy: r.superseded_by ?? null,
    sourceStatus: r.source_status ?? null,
    createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}

export function promotionJson(p: PromotionRow, org: string, workspace: string, approvalsRequired: number): PromotionJson {
  return {
    id: p.id, org, workspace, app: p.app, kind: p.kind, from: p.from, to: p.to, status: p.status, title: p.title, body: p.body, branch: p.branch,
    ...(p.headCommit ? { headCommit: p.headCommit } : {}),
    ...(p.prNumber !== null ? { pullRequest: { number: p.prNumber, url: p.prUrl ?? '' } } : {}),
    sourceDeploymentId: p.sourceDeploymentId,
    ...(p.sourceStatus ? { sourceStatus: p.sourceStatus, sourceVerified: p.sourceStatus === 'succeeded' } : {}),
    author: p.author,
    approvals: p.approvals.map((a) => ({ user: a.user, at: a.at })), approvalsRequired,
    ...(p.deploymentId ? { deploymentId: p.deploymentId } : {}),
    ...(p.mergeCommit ? { mergeCommit: p.mergeCommit } : {}),
    ...(p.supersededBy ? { supersededBy: p.supersededBy } : {}),
    createdAt: p.createdAt, updatedAt: p.updatedAt,
  };
}

export function promotionNotFound(id: string): LocoError {
  return new LocoError('not-found.promotion', `promotion ${id} was not found`, 'list promotions with `loco promote list`');
}

export async function findPromotion(em: EntityManager, id: string): Promise<PromotionRow | null> {
  const rows = await em.execute<Record<string, any>[]>(`${SELECT} where p.id = ?`, [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function findPromotionByPullRequest(em: EntityManager, workspaceId: string, number: number): Promise<PromotionRow | null> {
  const rows = await em.execute<Record<string, any>[]>(`${SELECT} where p.workspace_id = ? and p.pr_number = ?`, [workspaceId, number]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function listPromotions(em: EntityManager, workspaceId: string, filter: { app?: string; status?: string; limit: number }): Promise<PromotionRow[]> {
  const where = ['p.workspace_id = ?'];
  const args: unknown[] = [workspaceId];
  if (filter.app) (where.push('p.app = ?'), args.push(filter.app));
  if (filter.status) (where.push('p.status = ?'), args.push(filter.status));
  const rows = await em.execute<Record<string, any>[]>(`${SELECT} where ${where.join(' and ')} order by p.created_at desc, p.id desc limit ?`, [...args, filter.limit]);
  return rows.map(fromRow);
}

/** What opening a promotion writes; status, approvals and outcome fields start empty. */
export type NewPromotion = Pick<
  PromotionRow,
  'id' | 'workspaceId' | 'appId' | 'app' | 'kind' | 'sourceDeploymentId' | 'from' | 'to' | 'branch' | 'prNumber' | 'prUrl' | 'title' | 'body' | 'authorUserId'
> & { headCommit: string };

export async function insertPromotion(em: EntityManager, p: NewPromotion): Promise<void> {
  await em.execute(
    `insert into promotions (id, workspace_id, app_id, app, kind, source_deployment_id, from_profile, to_profile, branch, head_commit, pr_number, pr_url, status, title, body, author_user_id)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
    [p.id, p.workspaceId, p.appId, p.app, p.kind, p.sourceDeploymentId, p.from, p.to, p.branch, p.headCommit, p.prNumber, p.prUrl, p.title, p.body, p.authorUserId],
  );
}

/** Marks the older open promotions of the same app and target as superseded; returns them. */
export async function supersedeOlder(em: EntityManager, p: { id: string; appId: string; to: string }): Promise<PromotionRow[]> {
  const rows = await em.execute<{ id: string }[]>(
    `update promotions set status = 'superseded', superseded_by = ?, updated_at = now()
      where app_id = ? and to_profile = ? and status in ('open', 'approved') and id <> ? returning id`,
    [p.id, p.appId, p.to, p.id],
  );
  const out: PromotionRow[] = [];
  for (const { id } of rows) out.push((await findPromotion(em, id))!);
  return out;
}

/**
 * Moves a promotion from one of `from` to `status` (compare-and-set, so two reviewers racing
 * cannot both merge); false when it was no longer in one of those states.
 */
export async function transition(em: EntityManager, id: string, from: PromotionStatus[], status: PromotionStatus, set: Record<string, unknown> = {}): Promise<boolean> {
  const columns = Object.keys(set);
  const rows = await em.execute<{ id: string }[]>(
    `update promotions set status = ?, updated_at = now()${columns.map((c) => `, ${c} = ?`).join('')}
      where id = ? and status in (${from.map(() => '?').join(',')}) returning id`,
    [status, ...columns.map((c) => set[c]), id, ...from],
  );
  return rows.length > 0;
}

export async function recordApproval(em: EntityManager, id: string, approval: Approval, status: PromotionStatus): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `update promotions set approvals = approvals || ?::jsonb, approver_user_id = ?, status = ?, updated_at = now()
      where id = ? and status in ('open', 'approved') and not (approvals @> ?::jsonb) returning id`,
    [JSON.stringify([approval]), approval.userId, status, id, JSON.stringify([{ userId: approval.userId }])],
  );
  return rows.length > 0;
}
