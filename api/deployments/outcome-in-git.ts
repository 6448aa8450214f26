// A deployment's final outcome goes into git too (a note on its commit under refs/notes/loco,
// DESIGN.md "outcomes in git"), so history, audit and a rebuild can answer once the database
// rows are gone (`loco destroy`, a lost database). The database stays the live record: a note
// that cannot be written is logged, never a reason to fail the deployment.

import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type { GitopsStore, OutcomeNote } from '../gitops/index.ts';

export interface FinalOutcome {
  status: string;
  reason?: string | null;
  message?: string | null;
  finishedAt: Date;
}

interface Target {
  id: string;
  workspaceId: string;
  commit: string;
}

interface NoteFacts {
  slug: string;
  promotion: string | null;
  approvals: unknown;
}

/** The note for a deployment's outcome: with the promotion's approvers when one made it. */
function noteOf(d: Target, final: FinalOutcome, row: NoteFacts | undefined): OutcomeNote {
  const approvals = (typeof row?.approvals === 'string' ? JSON.parse(row.approvals) : row?.approvals ?? []) as { user: string }[];
  return {
    deploymentId: d.id,
    outcome: final.status,
    finishedAt: final.finishedAt.toISOString(),
    ...(final.reason ? { reason: final.reason } : {}),
    ...(final.message ? { message: final.message } : {}),
    ...(row?.promotion ? { promotion: row.promotion } : {}),
    ...(approvals.length ? { approvedBy: approvals.map((a) => a.user) } : {}),
  };
}

/** The workspace slug and the promotion (with its approvals) of each deployment, in one query. */
async function noteFacts(em: EntityManager, targets: Target[]): Promise<Map<string, NoteFacts>> {
  const rows = await em.execute<(NoteFacts & { id: string })[]>(
    `with input as (select * from jsonb_to_recordset(?::jsonb) as x(id text, workspace_id text))
     select i.id, w.slug, p.id as promotion, p.approvals from input i join workspaces w on w.id = i.workspace_id left join promotions p on p.deployment_id = i.id`,
    [JSON.stringify(targets.map((t) => ({ id: t.id, workspace_id: t.workspaceId })))],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

export async function recordOutcomeInGit(deps: { em: EntityManager; store: GitopsStore; log: FastifyBaseLogger }, d: Target, final: FinalOutcome): Promise<void> {
  let workspace: string | undefined;
  try {
    const facts = (await noteFacts(deps.em, [d])).get(d.id);
    if (!facts) return; // the workspace is gone
    workspace = facts.slug.replace('--', '/');
    await deps.store.recordOutcome(facts.slug, d.commit, noteOf(d, final, facts));
  } catch (error) {
    deps.log.warn({ err: error, deploymentId: d.id, ...(workspace ? { workspace } : {}), commit: d.commit }, 'could not record the outcome in git (refs/notes/loco); the database still has it');
  }
}

/** recordOutcomeInGit for a group commit's deployments (one workspace): one notes commit for all. */
export async function recordOutcomesInGit(deps: { em: EntityManager; store: GitopsStore; log: FastifyBaseLogger }, slug: string, targets: (Target & { final: FinalOutcome })[]): Promise<void> {
  if (targets.length === 0) return;
  try {
    const facts = await noteFacts(deps.em, targets);
    await deps.store.recordOutcomes(slug, targets.map((t) => ({ commit: t.commit, note: noteOf(t, t.final, facts.get(t.id)) })));
  } catch (error) {
    deps.log.warn({ err: error, deploymentIds: targets.map((t) => t.id), workspace: slug.replace('--', '/') }, 'could not record the outcomes in git (refs/notes/loco); the database still has them');
  }
}

/** The final state a deployment ended in, as the database holds it (null: not finished). */
export async function finalOutcomeOf(em: EntityManager, id: string): Promise<(FinalOutcome & { commit: string | null }) | null> {
  const rows = await em.execute<{ status: string; reason: string | null; message: string | null; finished_at: string | null; commit: string | null }[]>(
    `select status, reason, message, finished_at, commit from deployments where id = ?`, [id],
  );
  const r = rows[0];
  if (!r?.finished_at) return null;
  return { status: r.status, reason: r.reason, message: r.message, finishedAt: new Date(r.finished_at), commit: r.commit };
}
