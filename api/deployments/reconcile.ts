// Makes git and the deployment records agree after a crash. A process killed between its commit
// and the database update leaves a commit on main whose deployment is still `pending`; the
// next process would otherwise commit it again (or call it unchanged at a later head) and
// `audit verify` would report a commit the database says it never made. Main's Loco commits
// are matched with the records by their Loco-Deployment trailer: a pending deployment whose
// commit is on main is marked committed (and tracked from there); an unfinished record naming a
// commit that main does not hold is marked failed. Finished records are final (audit verify
// reports on them).

import type { EntityManager } from '@mikro-orm/postgresql';
import { hostname } from 'node:os';
import type { GitopsStore, HistoryEntry } from '../gitops/index.ts';
import { isAlive } from '../pid-alive.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { EventBus } from './bus.ts';
import { recordOutcomeInGit } from './outcome-in-git.ts';
import { changeStatus, NO_ARGOCD } from './records.ts';

/** Commit times come from the committing process's clock: allow replicas' clocks to differ this much. */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface UnfinishedRecord {
  id: string;
  app: string;
  profile: string;
  status: string;
  commit: string | null;
  /** Whether no living process carries it (lease free, run out, or held by a dead process on this host). */
  orphaned: boolean;
}

export type ReconcileAction =
  | { kind: 'committed'; id: string; commit: string }
  | { kind: 'superseded'; id: string; commit: string; by: string; byCommit: string }
  | { kind: 'commit-missing'; id: string; commit: string };

/**
 * What to do with each unfinished record, given main's history (newest first) back to before
 * the oldest of them. Pure. `onMain` answers for commits older than the history given.
 */
export function planReconcile(history: HistoryEntry[], records: UnfinishedRecord[], onMain: (commit: string) => boolean): ReconcileAction[] {
  const index = new Map<string, number>();
  history.forEach((entry, i) => {
    const id = entry.trailers['Loco-Deployment'];
    if (id && !index.has(id)) index.set(id, i);
  });
  const actions: ReconcileAction[] = [];
  for (const r of records) {
    if (r.commit === null) {
      if (r.status !== 'pending' || !r.orphaned) continue;
      const at = index.get(r.id);
      if (at === undefined) continue; // never committed: the runner commits it as usual
      const commit = history[at].commit;
      actions.push({ kind: 'committed', id: r.id, commit });
      // a later commit on main replaced this app/profile's files: tracking this one would follow a stale release
      const later = history.slice(0, at).find((e) => e.trailers['Loco-App'] === r.app && (e.trailers['Loco-Profile'] === r.profile || e.trailers['Loco-Change'] === 'delete'));
      if (later) actions.push({ kind: 'superseded', id: r.id, commit, by: later.trailers['Loco-Deployment'] ?? later.commit.slice(0, 7), byCommit: later.commit });
    } else if (!onMain(r.commit)) {
      actions.push({ kind: 'commit-missing', id: r.id, commit: r.commit });
    }
  }
  return actions;
}

/** A lease owner is `<host>:<pid>:<random>` (options.ts defaultInstanceId). */
export function ownerIsDead(owner: string): boolean {
  const parts = owner.split(':');
  if (parts.length < 3) return false;
  const pid = Number(parts[parts.length - 2]);
  const host = parts.slice(0, -2).join(':');
  return host === hostname() && Number.isInteger(pid) && pid > 0 && !isAlive(pid);
}

export interface ReconcileDeps {
  em: EntityManager;
  bus: EventBus;
  store: GitopsStore;
  /** Whether an Argo CD tracker follows committed deployments (else they end at committed). */
  tracked: boolean;
  /**
   * No other process can use this database (the embedded one, held by the data-dir lock): every
   * lease found at start-up belongs to a process that is gone, even one on another host name
   * (a restarted pod on the same volume).
   */
  soleProcess?: boolean;
  log: FastifyBaseLogger;
}

/** Reconciles one workspace; returns what it did. */
export async function reconcileWorkspace(deps: ReconcileDeps, workspace: { id: string; slug: string }): Promise<ReconcileAction[]> {
  const { em, bus, store } = deps;
  const rows = await em.execute<Record<string, unknown>[]>(
    `select id, app, profile, status, commit, created_at, lease_owner, (lease_expires_at is null or lease_expires_at < now()) as lease_free
       from deployments where workspace_id = ? and finished_at is null order by created_at`,
    [workspace.id],
  );
  if (rows.length === 0) return [];
  const head = await store.head(workspace.slug);
  if (!head) return [];
  const records: UnfinishedRecord[] = rows.map((r) => ({
    id: String(r.id), app: String(r.app), profile: String(r.profile), status: String(r.status), commit: (r.commit as string | null) ?? null,
    orphaned: Boolean(deps.soleProcess) || Boolean(r.lease_free) || r.lease_owner === null || ownerIsDead(String(r.lease_owner)),
  }));
  const oldest = Math.min(...rows.map((r) => new Date(r.created_at as string).getTime()));
  const history = await store.history(workspace.slug, { since: new Date(oldest - CLOCK_SKEW_MS), limit: 1_000_000 });
  const walked = new Set(history.map((e) => e.commit));
  const older = new Map<string, boolean>();
  for (const r of records) {
    if (r.commit && !walked.has(r.commit)) older.set(r.commit, await store.contains(workspace.slug, head, r.commit));
  }
  const actions = planReconcile(history, records, (commit) => walked.has(commit) || older.get(commit) === true);
  for (const action of actions) await apply(deps, workspace.id, action);
  return actions;
}

async function apply(deps: ReconcileDeps, workspaceId: string, action: ReconcileAction): Promise<void> {
  const { em, bus } = deps;
  // a final outcome goes into git first, as the runner does (outcome-in-git.ts)
  const noteOutcome = (status: string, reason: string | null, message: string) =>
    recordOutcomeInGit(deps, { id: action.id, workspaceId, commit: action.commit }, { status, reason, message, finishedAt: new Date() });
  const short = action.commit.slice(0, 7);
  switch (action.kind) {
    case 'committed': {
      const finished = !deps.tracked;
      const what = `commit ${short} on main is this deployment's (found after a restart: the process that made it stopped before recording it)`;
      // the dead carrier's lease would hold the deployment back until it runs out
      await em.execute(`update deployments set lease_owner = null, lease_expires_at = null where id = ? and finished_at is null`, [action.id]);
      if (finished) await noteOutcome('committed', null, `${what}. ${NO_ARGOCD}`);
      await changeStatus(em, bus, action.id, { status: 'committed', commit: action.commit, finished, message: finished ? `${what}. ${NO_ARGOCD}` : what }, {
        type: 'committed', message: finished ? `${what}. ${NO_ARGOCD}` : `${what}; waiting for Argo CD`,
        data: { commit: action.commit, reconciled: true, ...(finished ? { terminal: true, argocd: false } : {}) },
      });
      return;
    }
    case 'superseded': {
      const message = `superseded by ${action.by} (commit ${action.byCommit.slice(0, 7)}), which changed ${short}'s files again before this deployment was recorded`;
      await noteOutcome('failed', 'superseded', message);
      await changeStatus(em, bus, action.id, { status: 'failed', reason: 'superseded', finished: true, message, nextStep: `follow ${action.by}` },
        { type: 'failed', message, data: { reason: 'superseded', by: action.by, commit: action.byCommit, reconciled: true } });
      return;
    }
    case 'commit-missing': {
      const message = `its commit ${short} is not on main (main was rewritten, or the commit never reached it)`;
      const nextStep = 'deploy again; if main was force-pushed, compare it with a mirror or backup (`loco audit verify`)';
      // The record drops the commit it names so it no longer claims a change main does not hold; the event keeps it.
      const changed = await changeStatus(em, bus, action.id, { status: 'failed', reason: 'commit-missing', finished: true, message, nextStep },
        { type: 'failed', message, data: { reason: 'commit-missing', commit: action.commit, reconciled: true, nextStep } });
      if (changed) await em.execute(`update deployments set commit = null where id = ? and commit = ?`, [action.id, action.commit]);
      return;
    }
  }
}

/**
 * The commit on main that names deployment `id` (made after `createdAt`), if any: asked before
 * committing a deployment another carrier held, which may have died right after its commit.
 */
export async function findCommitOf(store: GitopsStore, slug: string, id: string, createdAt: Date): Promise<string | null> {
  if (!(await store.head(slug))) return null;
  const history = await store.history(slug, { since: new Date(new Date(createdAt).getTime() - CLOCK_SKEW_MS), limit: 1_000_000 });
  return history.find((e) => e.trailers['Loco-Deployment'] === id)?.commit ?? null;
}
