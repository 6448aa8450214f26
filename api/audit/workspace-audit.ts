// The I/O shell of the audit: read main's whole first-parent history and the workspace's
// deployments, then verify them (verify.ts); or recreate apps, deployments and merged
// promotions from the repository alone (rebuild-plan.ts).

import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from '../ids.ts';
import { LocoError } from '../../generator/errors.ts';
import type { WorkspaceAccess } from '../auth/access.ts';
import type { Principal } from '../auth/authenticate.ts';
import type { HistoryEntry } from '../gitops/index.ts';
import type { LocoServices } from '../services.ts';
import { planRebuild } from './rebuild-plan.ts';
import { verifyIndex } from './verify-index.ts';
import { readIndex, replaceIndex } from '../history/history-index.ts';
import { countInGit, verifyHistory, type Finding, type RecordedDeployment } from './verify.ts';
import { compareRoutes, overlaysInTree, routesInTree } from '../routing/routes-in-git.ts';
import { takeClaims } from '../routing/claims.ts';

/** The outcomes a note may restore (a note edited by hand to say anything else is ignored). */
const FINAL_STATUSES = ['committed', 'succeeded', 'failed'];

/** Everything on main, newest first. History is walked once; a workspace has at most this many commits. */
const ALL = 1_000_000;

export async function fullHistory(loco: LocoServices, slug: string): Promise<HistoryEntry[]> {
  if (!(await loco.store.head(slug))) return [];
  return loco.store.history(slug, { limit: ALL });
}

export interface VerifyReport {
  ok: boolean;
  commits: number;
  /** Deployment records in the database (an app destroyed takes its records, not its history). */
  deployments: number;
  /** What git alone holds: deployments its commits name, and how many have their outcome recorded. */
  inGit: { deployments: number; outcomes: number };
  findings: Finding[];
}

export async function verifyWorkspace(loco: LocoServices, access: WorkspaceAccess): Promise<VerifyReport> {
  const em = loco.em();
  // The records first, then git: an outcome is noted in git before the database calls the
  // deployment finished, so one that finishes meanwhile is never a false "outcome missing".
  const rows = await em.execute<Record<string, unknown>[]>(
    `select id, app, profile, change_type, image, config_digest, status, reason, commit, finished_at from deployments where workspace_id = ? order by created_at`,
    [access.workspaceId],
  );
  const history = await fullHistory(loco, access.slug);
  const outcomes = history.length ? await loco.store.outcomes(access.slug) : new Map();
  const deployments: RecordedDeployment[] = rows.map((r) => ({
    id: r.id as string, app: r.app as string, profile: r.profile as string, changeType: r.change_type as string, image: r.image as string,
    configDigest: r.config_digest as string, status: r.status as string, commit: (r.commit as string | null) ?? null,
    finished: r.finished_at !== null && r.finished_at !== undefined, reason: (r.reason as string | null) ?? null,
  }));
  // the index as it stands, not topped up first: a top-up that finds main's line changed reindexes it, which would hide what differed
  const index = await readIndex(em, access.workspaceId);
  const findings = [...verifyHistory({ history, deployments, outcomes }), ...verifyIndex(history, index), ...(history.length ? await routeFindings(loco, em, access, history[0].commit) : [])];
  return { ok: findings.length === 0, commits: history.length, deployments: deployments.length, inGit: countInGit(history, outcomes), findings };
}

/** Routes in git (at main's head) that disagree with the claims in the database (api/routing/routes-in-git.ts). */
async function routeFindings(loco: LocoServices, em: EntityManager, access: WorkspaceAccess, head: string): Promise<Finding[]> {
  const files = await loco.store.readFiles(access.slug, head, 'apps/');
  const git = routesInTree(files);
  const claims = await em.execute<{ app: string; profile: string; host: string; protocol: 'http' | 'grpc'; path_prefix: string }[]>(
    `select app, profile, host, protocol, path_prefix from route_claims where workspace_id = ?`, [access.workspaceId]);
  const hosts = [...new Set(git.map((r) => r.host))];
  const foreign = hosts.length
    ? await em.execute<{ host: string }[]>(`select host from route_hosts where workspace_id <> ? and host in (${hosts.map(() => '?').join(',')})`, [access.workspaceId, ...hosts])
    : [];
  const busy = await em.execute<{ app: string; profile: string }[]>(`select distinct app, profile from deployments where workspace_id = ? and status = 'pending' and finished_at is null`, [access.workspaceId]);
  return compareRoutes(git, claims.map((c) => ({ app: c.app, profile: c.profile, host: c.host, protocol: c.protocol, pathPrefix: c.path_prefix })),
    new Set(foreign.map((r) => r.host)), new Set(busy.map((b) => `${b.app}\n${b.profile}`)), overlaysInTree(files));
}

export interface RebuildCounts {
  apps: number;
  deployments: number;
  promotions: number;
  /** Route claims taken from the routes at main's head. */
  claims: number;
  skipped: { commit: string; reason: string }[];
}

async function hasRecords(em: EntityManager, workspaceId: string): Promise<boolean> {
  const rows = await em.execute<{ n: string }[]>(
    `select (select count(*) from apps where workspace_id = ?) + (select count(*) from deployments where workspace_id = ?) as n`,
    [workspaceId, workspaceId],
  );
  return Number(rows[0].n) > 0;
}

/** Users by the name part of an actor ("alice (github:1)" → alice); unknown names are left out. */
async function userIds(em: EntityManager, actors: string[]): Promise<Map<string, string>> {
  const names = [...new Set(actors.map((a) => a.split(' (')[0]))];
  const rows = names.length
    ? await em.execute<{ id: string; name: string }[]>(`select id, name from users where name in (${names.map(() => '?').join(',')})`, names)
    : [];
  const byName = new Map(rows.map((r) => [r.name, r.id]));
  return new Map(actors.flatMap((a) => {
    const id = byName.get(a.split(' (')[0]);
    return id ? [[a, id] as [string, string]] : [];
  }));
}

export async function rebuildWorkspace(loco: LocoServices, access: WorkspaceAccess, principal: Principal): Promise<RebuildCounts> {
  const em = loco.em();
  if (await hasRecords(em, access.workspaceId)) {
    throw new LocoError(
      'conflict.workspace-has-records',
      `workspace ${access.org}/${access.workspace} already has app or deployment records; a rebuild only fills an empty one`,
      'rebuild into an empty database (a fresh DATABASE_URL or data directory) with the same workspace, then switch over',
    );
  }
  const history = await fullHistory(loco, access.slug);
  if (history.length === 0) {
    throw new LocoError('not-found.repository', `the GitOps repository of ${access.org}/${access.workspace} has no main branch`, 'check LOCO_DATA_DIR (or LOCO_GITHUB_ORG) points at the repositories');
  }
  const plan = planRebuild(history, await loco.store.outcomes(access.slug));
  const known = await userIds(em, plan.deployments.flatMap((d) => [d.actor, ...(d.promotion?.approvedBy ?? [])]));
  // the trailer keeps the actor's name; the row needs a user, so the admin rebuilding stands in for unknown ones
  const users = { get: (actor: string) => known.get(actor) ?? principal.userId };
  const configs = new Map<string, string>();
  for (const d of plan.deployments) {
    const path = `apps/${d.app}/loco.toml`;
    configs.set(d.id, (await loco.store.readFiles(access.slug, d.commit, path)).get(path) ?? '');
  }
  let promotions = 0;
  let claims = 0;
  const skipped = [...plan.skipped];
  const head = history[0].commit;
  const routes = routesInTree(await loco.store.readFiles(access.slug, head, 'apps/'));
  await em.transactional(async (tx) => {
    const appIds = new Map<string, string>();
    for (const name of plan.apps) {
      const id = `app_${ulid()}`;
      const first = plan.deployments.find((d) => d.app === name)!;
      await tx.execute(`insert into apps (id, workspace_id, name, created_at, updated_at) values (?, ?, ?, ?, ?)`, [id, access.workspaceId, name, first.time, first.time]);
      appIds.set(name, id);
    }
    const ids = new Set(plan.deployments.map((d) => d.id));
    for (const d of plan.deployments) {
      const change = d.promotion
        ? { promotion: d.promotion.id, from: d.promotion.from, ...(d.promotion.sourceDeploymentId ? { source: d.promotion.sourceDeploymentId } : {}) }
        : d.emergency ? { emergency: true } : null;
      // git's note says how it ended; a commit without one (made before outcomes were noted, or
      // still in flight when the database was lost) is rebuilt as committed, saying so
      const o = d.outcome && FINAL_STATUSES.includes(d.outcome.outcome) && !Number.isNaN(Date.parse(d.outcome.finishedAt)) ? d.outcome : undefined;
      const message = o ? o.message ?? null : `rebuilt from git (commit ${d.commit.slice(0, 7)}: ${d.subject}); git records no outcome for it`;
      await tx.execute(
        `insert into deployments (id, workspace_id, app_id, app, profile, change_type, change, image, config_text, config_digest, status, reason, message, commit, actor, actor_user_id, created_at, updated_at, finished_at)
         values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [d.id, access.workspaceId, appIds.get(d.app), d.app, d.profile, d.changeType, change ? JSON.stringify(change) : null, d.image, configs.get(d.id),
          d.configDigest, o?.outcome ?? 'committed', o?.reason ?? null, message, d.commit, d.actor,
          users.get(d.actor), d.time, o?.finishedAt ?? d.time, o?.finishedAt ?? d.time],
      );
      const p = d.promotion;
      if (p && p.sourceDeploymentId && ids.has(p.sourceDeploymentId)) {
        const approvals = p.approvedBy.map((user) => ({ userId: known.get(user) ?? null, user, at: d.time }));
        await tx.execute(
          `insert into promotions (id, workspace_id, app_id, app, kind, source_deployment_id, from_profile, to_profile, branch, status, title, author_user_id, approver_user_id, approvals, deployment_id, merge_commit, created_at, updated_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'merged', ?, ?, ?, ?::jsonb, ?, ?, ?, ?)`,
          [p.id, access.workspaceId, appIds.get(d.app), d.app, d.changeType === 'rollback' ? 'rollback' : 'promote', p.sourceDeploymentId, p.from, d.profile,
            `loco/promote/${d.app}/${p.from}-to-${d.profile}/${p.id}`, d.subject, users.get(d.actor), approvals.at(-1)?.userId ?? null,
            JSON.stringify(approvals), d.id, d.commit, d.time, d.time],
        );
        promotions += 1;
      }
    }
    // the claims, as the routes at head make them; one another workspace took meanwhile is skipped, not taken over
    const byRelease = Map.groupBy(routes, (r) => `${r.app}\n${r.profile}`);
    for (const group of byRelease.values()) {
      const { app, profile } = group[0];
      const appId = appIds.get(app);
      if (!appId) continue;
      try {
        await tx.transactional((inner) => takeClaims(inner, { workspaceId: access.workspaceId, appId, app, profile, claims: group }));
        claims += group.length;
      } catch (error) {
        if (!(error instanceof LocoError)) throw error;
        skipped.push({ commit: head, reason: `routes of ${app}@${profile} not claimed: ${error.message}` });
      }
    }
  });
  // the history index from the history just read, so the first history read needs no walk
  await replaceIndex(em, access.workspaceId, history);
  return { apps: plan.apps.length, deployments: plan.deployments.length, promotions, claims, skipped };
}
