// Carries deployments from `pending` to their outcome, in the background and durably: each
// deployment is leased to one API process at a time (lease owner + expiry in the database),
// the lease is renewed while it is carried, and any process picks up deployments whose lease
// ran out — after a crash, a restart, or on another replica. The steps are idempotent: a
// deployment with a commit is not committed again, only tracked.

import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { LocoError } from '../../generator/errors.ts';
import type { PlatformEndpoints } from '../../generator/index.ts';
import { argoApplicationName, argoProjectName } from '../../generator/names.ts';
import { Deployment, User, Workspace } from '../db/entities.ts';
import type { BatchResult, ChangeRequest, ChangeResult, GitopsStore } from '../gitops/index.ts';
import type { PreflightFn } from '../kubernetes/preflight.ts';
import type { EventBus } from './bus.ts';
import { changeFor, filesOfChange, subjectFor, type CommitContext } from './commit.ts';
import { verifiedDomains } from '../routing/custom-domains.ts';
import { headOrCreate } from './prepare.ts';
import { newerInBatch, segmentsByApp } from './batch-plan.ts';
import { finalOutcomeOf, recordOutcomeInGit, recordOutcomesInGit } from './outcome-in-git.ts';
import { appendEvent, appendEvents, changeStatus, changeStatuses, NO_ARGOCD, type BatchStatusChange, type NewEvent, type StatusChange } from './records.ts';
import { findCommitOf, reconcileWorkspace } from './reconcile.ts';
import type { PlatformFacts } from '../../generator/index.ts';
import { releaseAt, type TrackFn } from './tracking.ts';
import { inDeploymentSpan, tracingOn, type DeploymentSpanInfo, type TraceRef } from './trace.ts';

export interface RunnerDeps {
  orm: MikroORM;
  bus: EventBus;
  store: GitopsStore;
  log: FastifyBaseLogger;
  instanceId: string;
  /** Present when Argo CD is configured. */
  track?: TrackFn;
  /** Kubernetes preflight before each commit that changes what runs (says it skipped without LOCO_KUBECONFIG). */
  preflight: PreflightFn;
  /** The platform's observability endpoints (LocoOptions.endpoints), injected into every render. */
  endpoints?: PlatformEndpoints;
  /** Secret stores and CNI of the platform, handed to every render. */
  platform?: PlatformFacts;
  leaseSeconds: number;
  scanIntervalMs: number;
  /** cert-manager ClusterIssuer for routes on verified custom domains (LOCO_CERT_ISSUER). */
  certificateIssuer: string;
  progressDeadlineSeconds: number;
  holdAfterCommit?: boolean;
  /** No other process shares the database (the embedded one): start-up reconcile may take every lease. */
  soleProcess?: boolean;
  /** Tests only: wait forever between the commit and its record (RunnerOptions.pauseAfterCommit). */
  pauseAfterCommit?: boolean;
  /**
   * A group commit waits until no deployment has arrived for this long (default 50 ms), at most
   * `gatherMaxMs` (default 3 s): a burst of requests is answered first and then committed
   * in few, large batches, instead of every batch stealing the event loop from the requests.
   * (200 deploys at once take ~1.5 s to answer here; with at most 1 s, commits started mid-burst
   * and bench:deploy's p99 to 202 was 2.5–3.1 s instead of 1.4–1.7 s. Under load that never
   * pauses for 50 ms a deploy's commit waits up to 3 s; a lone deploy's still starts after 50 ms.)
   */
  gatherQuietMs?: number;
  gatherMaxMs?: number;
}

// Changes that decide which pods run and how big they are. An env change keeps replicas and
// resources as they are, and a deletion removes pods. Promotions arrive already committed (a
// merged pull request): a local merge is checked in api/promotions/review.ts before it lands.
const PREFLIGHT_CHANGES = new Set(['deploy', 'rollback', 'scale', 'promote']);

interface Waiter {
  id: string;
  /** Whether some process held its lease before; undefined: not claimed yet, the group commit claims it (#claimAll). */
  carriedBefore: boolean | undefined;
  done: (d: Deployment | null) => void;
  failed: (error: unknown) => void;
}

/** A deployment of a group commit whose commit is on main (made now, found from an earlier carrier, or unchanged). */
interface Landed {
  d: Deployment;
  result: ChangeResult;
  earlier: boolean;
  rendered?: number;
}

/** The deployments as the `input` rows (id, app_id, profile, created_at) of the release queries below. */
function releasesJson(ds: Deployment[]): string {
  return JSON.stringify(ds.map((d) => ({ id: d.id, app_id: d.appId, profile: d.profile, created_at: d.createdAt.toISOString() })));
}

function supersededBy(d: Deployment, newer: string): LocoError {
  return new LocoError('conflict.superseded', `superseded by ${newer} before it was committed`, `follow ${newer}: \`loco status ${d.app} --profile ${d.profile}\``, { data: { by: newer } });
}

export class DeploymentRunner {
  readonly #deps: RunnerDeps;
  /** Deployments carried by this process → abort their tracking. */
  readonly #carried = new Map<string, AbortController>();
  /** One commit at a time per workspace repository, in the order deployments arrive. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Deployments waiting for their workspace's next group commit. */
  readonly #waiting = new Map<string, Waiter[]>();
  #scanTimer?: NodeJS.Timeout;
  #renewTimer?: NodeJS.Timeout;
  #stopped = true;
  readonly #work = new Set<Promise<void>>();
  /** When the last new deployment arrived (performance.now()), for #gathered. */
  #lastArrival = 0;

  constructor(deps: RunnerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#stopped = false;
    this.#scanTimer = setInterval(() => this.#background(this.scan()), this.#deps.scanIntervalMs);
    this.#renewTimer = setInterval(() => this.#background(this.#renew()), Math.max(200, (this.#deps.leaseSeconds * 1000) / 3));
    this.#scanTimer.unref();
    this.#renewTimer.unref();
    this.#background(this.scan());
  }

  /** Background work (carries, scans, renewals) that stop() waits for before the database closes. */
  #background(work: Promise<void>): void {
    this.#work.add(work);
    void work.finally(() => this.#work.delete(work));
  }

  /** Stops carrying deployments and releases their leases so another process takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#scanTimer);
    clearInterval(this.#renewTimer);
    for (const controller of this.#carried.values()) controller.abort('stopping');
    await Promise.allSettled([...this.#work]);
    const ids = [...this.#carried.keys()];
    this.#carried.clear();
    if (ids.length > 0) {
      await this.#deps.orm.em.fork().execute(
        `update deployments set lease_owner = null, lease_expires_at = null where lease_owner = ? and id in (${ids.map(() => '?').join(',')})`,
        [this.#deps.instanceId, ...ids],
      ).catch((error) => this.#deps.log.warn({ err: error }, 'could not release deployment leases'));
    }
  }

  /**
   * Carry a deployment forward now (after it was created, or committed by a promotion merge).
   * `pending`: it was just created pending in this workspace, so it joins the workspace's next
   * group commit straight away, which claims and loads all its deployments in one statement each
   * (instead of two round trips per deployment before it even waits for the commit).
   */
  kick(deploymentId: string, pending?: { workspaceId: string }): void {
    if (this.#stopped || this.#carried.has(deploymentId)) return;
    if (pending) this.#lastArrival = performance.now();
    this.#background(this.#carry(deploymentId, pending?.workspaceId).catch((error) => this.#deps.log.error({ err: error, deploymentId }, 'deployment runner failed')));
  }

  /** Aborts the local tracking of deployments (superseded or deleted). */
  abort(ids: string[], reason = 'superseded'): void {
    for (const id of ids) this.#carried.get(id)?.abort(reason);
  }

  /** Picks up unfinished deployments whose lease is free or ran out. */
  async scan(): Promise<void> {
    if (this.#stopped) return;
    try {
      const rows = await this.#deps.orm.em.fork().execute<{ id: string }[]>(
        `select id from deployments where finished_at is null and (lease_expires_at is null or lease_expires_at < now()) order by created_at limit 100`,
      );
      for (const row of rows) this.kick(row.id);
    } catch (error) {
      this.#deps.log.warn({ err: error }, 'deployment scan failed');
    }
  }

  async #renew(): Promise<void> {
    if (this.#carried.size === 0) return;
    try {
      const rows = await this.#deps.orm.em.fork().execute<{ id: string }[]>(
        `update deployments set lease_expires_at = now() + (? * interval '1 second') where lease_owner = ? and finished_at is null returning id`,
        [this.#deps.leaseSeconds, this.#deps.instanceId],
      );
      const held = new Set(rows.map((r) => r.id));
      // finished elsewhere (superseded, deleted) or taken over after a stall: stop tracking it here
      for (const [id, controller] of this.#carried) if (!held.has(id)) controller.abort('lease-lost');
    } catch (error) {
      this.#deps.log.warn({ err: error }, 'lease renewal failed');
    }
  }

  /**
   * Takes the deployment's lease. `carriedBefore`: some process (maybe this one) held it before,
   * so it may have committed and died before recording the commit.
   */
  async #claim(id: string): Promise<{ claimed: boolean; carriedBefore: boolean }> {
    const rows = await this.#deps.orm.em.fork().execute<{ previous: string | null }[]>(
      `with prev as (select id, lease_owner from deployments where id = ? for update)
       update deployments d set lease_owner = ?, lease_expires_at = now() + (? * interval '1 second')
         from prev
        where d.id = prev.id and d.finished_at is null and (d.lease_owner is null or d.lease_expires_at is null or d.lease_expires_at < now() or d.lease_owner = ?)
        returning prev.lease_owner as previous`,
      [id, this.#deps.instanceId, this.#deps.leaseSeconds, this.#deps.instanceId],
    );
    return { claimed: rows.length > 0, carriedBefore: rows.length > 0 && rows[0].previous !== null };
  }

  /** #claim for many deployments in one statement: the ids claimed, each with whether some process held it before. */
  async #claimAll(ids: string[]): Promise<Map<string, boolean>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#deps.orm.em.fork().execute<{ id: string; previous: string | null }[]>(
      `with prev as (select id, lease_owner from deployments where id in (${ids.map(() => '?').join(',')}) order by id for update)
       update deployments d set lease_owner = ?, lease_expires_at = now() + (? * interval '1 second')
         from prev
        where d.id = prev.id and d.finished_at is null and (d.lease_owner is null or d.lease_expires_at is null or d.lease_expires_at < now() or d.lease_owner = ?)
        returning d.id, prev.lease_owner as previous`,
      [...ids, this.#deps.instanceId, this.#deps.leaseSeconds, this.#deps.instanceId],
    );
    return new Map(rows.map((r) => [r.id, r.previous !== null]));
  }

  /**
   * Start-up (before any tracking): reconciles main's Loco commits with the unfinished
   * deployments of every workspace (reconcile.ts), so a process killed between its commit and
   * the database update leaves neither a commit without a record nor a record of a commit main lacks.
   */
  async reconcile(): Promise<void> {
    const em = this.#deps.orm.em.fork();
    const workspaces = await em.execute<{ id: string; slug: string }[]>(
      `select distinct w.id, w.slug from workspaces w join deployments d on d.workspace_id = w.id where d.finished_at is null`,
    );
    for (const w of workspaces) {
      try {
        const actions = await this.exclusive(w.id, () => reconcileWorkspace({ em: em.fork(), bus: this.#deps.bus, store: this.#deps.store, tracked: Boolean(this.#deps.track), soleProcess: Boolean(this.#deps.soleProcess), log: this.#deps.log }, w));
        for (const a of actions) this.#deps.log.warn({ deploymentId: a.id, workspace: w.slug.replace('--', '/'), commit: a.commit, action: a.kind }, `reconciled deployment ${a.id} with main: ${a.kind}`);
      } catch (error) {
        this.#deps.log.error({ err: error, workspace: w.slug.replace('--', '/') }, 'could not reconcile deployments with main');
      }
    }
  }

  /**
   * pending → committed → outcome for one deployment. `newIn`: it was just created pending in
   * that workspace, so its group commit claims and loads it (with the rest of the batch);
   * otherwise (a scan, a promotion's commit) it is claimed and loaded here first.
   */
  async #carry(id: string, newIn?: string): Promise<void> {
    const controller = new AbortController();
    this.#carried.set(id, controller);
    try {
      let d: Deployment | null = null;
      let pendingIn = newIn;
      let carriedBefore: boolean | undefined;
      if (pendingIn === undefined) {
        const claim = await this.#claim(id);
        if (!claim.claimed) return;
        d = await this.#deps.orm.em.fork().findOne(Deployment, { id });
        if (!d || d.finishedAt) return;
        // a process told to stop after the commit leaves tracking to the next process
        if (this.#deps.holdAfterCommit && d.status !== 'pending') return;
        if (d.status === 'pending') pendingIn = d.workspaceId;
        carriedBefore = claim.carriedBefore;
      }
      const traced = tracingOn() ? await this.#traceOf(id) : undefined;
      const inSpan = <T>(name: string, work: () => Promise<T>) => (traced ? inDeploymentSpan(name, traced.info, traced.parent, work) : work());
      if (pendingIn !== undefined) {
        const workspaceId = pendingIn;
        d = await inSpan('loco.commit', () => this.#commitGrouped(workspaceId, id, carriedBefore));
        if (!d || d.finishedAt || this.#deps.holdAfterCommit) return;
      }
      if (!d || controller.signal.aborted) return;
      const committed = d;
      await inSpan('loco.outcome', () => this.#track(committed, controller.signal));
    } finally {
      this.#carried.delete(id);
    }
  }

  /** What the spans of a deployment carry: its names and the request span it continues. */
  async #traceOf(id: string): Promise<{ info: DeploymentSpanInfo; parent?: TraceRef }> {
    const rows = await this.#deps.orm.em.fork().execute<{ slug: string; app: string; profile: string; trace: TraceRef | null }[]>(
      `select w.slug, d.app, d.profile, e.data->'trace' as trace from deployments d join workspaces w on w.id = d.workspace_id left join events e on e.deployment_id = d.id and e.seq = 1 where d.id = ?`,
      [id],
    );
    const row = rows[0];
    const info = { id, workspace: (row?.slug ?? '').replace('--', '/'), app: row?.app ?? '', profile: row?.profile ?? '' };
    return row?.trace ? { info, parent: row.trace } : { info };
  }

  /**
   * Runs `task` after every earlier commit task of the workspace in this process: commits of
   * one repository go in the order deployments arrived. Promotions and deletions use it too.
   */
  exclusive<T>(workspaceId: string, task: () => Promise<T>): Promise<T> {
    const key = workspaceId;
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return next;
  }

  /**
   * pending → committed (or failed), as part of the workspace's next group commit: every
   * deployment of the workspace that is waiting when the repository's turn comes is committed
   * in one go (#commitBatch). Resolves with the deployment as it stands afterwards (null: it failed).
   */
  #commitGrouped(workspaceId: string, id: string, carriedBefore: boolean | undefined): Promise<Deployment | null> {
    return new Promise((done, failed) => {
      const waiter = { id, carriedBefore, done, failed };
      const queued = this.#waiting.get(workspaceId);
      if (queued) {
        queued.push(waiter);
        return;
      }
      this.#waiting.set(workspaceId, [waiter]);
      void this.exclusive(workspaceId, async () => {
        await this.#gathered();
        const waiters = this.#waiting.get(workspaceId) ?? [];
        this.#waiting.delete(workspaceId);
        try {
          const out = await this.#commitBatch(waiters);
          for (const w of waiters) w.done(out.get(w.id) ?? null);
        } catch (error) {
          for (const w of waiters) w.failed(error);
        }
      });
    });
  }

  /** Resolves once deployments stopped arriving for gatherQuietMs, or after gatherMaxMs. */
  async #gathered(): Promise<void> {
    const quiet = this.#deps.gatherQuietMs ?? 50;
    const deadline = performance.now() + (this.#deps.gatherMaxMs ?? 3000);
    for (;;) {
      const now = performance.now();
      const wait = Math.min(this.#lastArrival + quiet, deadline) - now;
      if (wait <= 0 || this.#stopped) return;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /**
   * One group commit: the workspace's waiting deployments in request order (created_at, id),
   * as a chain of commits (one per deployment) per store.applyChanges call. Each deployment that
   * cannot land — superseded inside the batch or by a newer one, preflight rejection, render
   * error, conflict — fails alone; the rest land, and their statuses and events are written
   * for the batch at once.
   */
  async #commitBatch(waiters: Waiter[]): Promise<Map<string, Deployment | null>> {
    const { store } = this.#deps;
    const em = this.#deps.orm.em.fork();
    const out = new Map<string, Deployment | null>();
    // deployments kicked at creation are claimed here, for the whole batch at once; one this
    // process could not claim (another holds its lease) is not ours to commit
    const claims = await this.#claimAll(waiters.filter((w) => w.carriedBefore === undefined).map((w) => w.id));
    const ours = waiters.filter((w) => w.carriedBefore !== undefined || claims.has(w.id));
    if (ours.length === 0) return out;
    const loaded = await em.find(Deployment, { id: { $in: ours.map((w) => w.id) } });
    for (const d of loaded) out.set(d.id, d);
    const pending = loaded.filter((d) => !d.finishedAt && d.status === 'pending')
      .sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    if (pending.length === 0) return out;
    const carriedBefore = new Set(ours.filter((w) => w.carriedBefore ?? claims.get(w.id)).map((w) => w.id));
    const workspace = await em.findOneOrFail(Workspace, { id: pending[0].workspaceId });
    const users = new Map((await em.find(User, { id: { $in: [...new Set(pending.map((d) => d.actorUserId))] } })).map((u) => [u.id, u]));
    // rendered with the custom domains verified now: a route on one gets its Certificate
    const tls = { customDomains: await verifiedDomains(em, workspace.id), issuer: this.#deps.certificateIssuer };
    const endpoints = this.#deps.endpoints ? { endpoints: this.#deps.endpoints } : {};
    const platform = this.#deps.platform ? { platform: this.#deps.platform } : {};
    // `newerOf` answers "is there a newer release?" for the commit's round; only a commit asks it (the preflight does not)
    const ctxOf = (d: Deployment, newerOf?: () => Promise<Map<string, string>>): CommitContext => {
      const user = users.get(d.actorUserId);
      const author = { name: user?.name ?? d.actor, email: user?.email ?? `${user?.name ?? 'loco'}@users.noreply.loco` };
      // Asked under the repository lock, so no replica commits a newer deploy of this app/profile
      // between the answer and our commit: the newest request always ends up on main.
      const precondition = newerOf && (async () => {
        const newer = (await newerOf()).get(d.id);
        if (newer) throw supersededBy(d, newer);
      });
      return { store, slug: workspace.slug, author, tls, ...(precondition ? { precondition } : {}), ...endpoints, ...platform };
    };
    const fail = async (d: Deployment, error: unknown) => {
      out.set(d.id, null);
      await this.#failCommit(em, d, workspace.slug, error);
    };

    const landed: Landed[] = [];
    const toCommit: Deployment[] = [];
    for (const d of pending) {
      // An earlier carrier may have committed it and died before recording that: record its commit, never commit twice.
      const earlier = carriedBefore.has(d.id) ? await findCommitOf(store, workspace.slug, d.id, d.createdAt) : null;
      if (earlier) landed.push({ d, result: { status: 'committed', commit: earlier, parent: '' }, earlier: true });
      else toCommit.push(d);
    }
    const kept: Deployment[] = [];
    const found: { deploymentId: string; event: NewEvent }[] = [];
    const rejected: { d: Deployment; rejection: LocoError }[] = [];
    for (const [i, d] of toCommit.entries()) {
      // the newest deploy of an app/profile in the batch is the one committed (as #newerRelease decides between batches)
      const newer = newerInBatch(toCommit, i);
      if (newer) {
        await fail(d, supersededBy(d, newer.id));
        continue;
      }
      if (PREFLIGHT_CHANGES.has(d.changeType)) {
        const outcome = await this.#preflight(d, ctxOf(d));
        for (const event of outcome.events) found.push({ deploymentId: d.id, event });
        if (outcome.rejection) {
          rejected.push({ d, rejection: outcome.rejection });
          continue;
        }
      }
      kept.push(d);
    }
    // what the preflights found, for the whole batch in one statement, before any outcome
    await appendEvents(em, this.#deps.bus, found);
    for (const { d, rejection } of rejected) {
      out.set(d.id, null);
      await changeStatus(em, this.#deps.bus, d.id, { status: 'failed', reason: 'rejected', finished: true, message: rejection.message, nextStep: rejection.hint },
        { type: 'failed', message: rejection.message, data: { reason: 'rejected', code: rejection.code, nextStep: rejection.hint, ...rejection.data } });
    }
    for (const segment of segmentsByApp(kept)) {
      let todo = segment;
      // a change that lost its base to a writer outside this batch is rendered again on the new head (up to 5 rounds)
      for (let attempt = 0; todo.length > 0; attempt++) {
        const head = await headOrCreate(store, workspace.slug);
        const planned: { d: Deployment; request: ChangeRequest; rendered?: number }[] = [];
        // The preconditions of one applyChanges call all run under its one lock hold: the first
        // asks the database for the whole round, the others read its answer.
        let asked: Promise<Map<string, string>> | undefined;
        const round = todo;
        const newerOf = () => (asked ??= this.#newerReleases(round));
        for (const d of todo) {
          try {
            let rendered: number | undefined;
            const request = await changeFor(ctxOf(d, newerOf), d, head, (n) => (rendered = n));
            planned.push(rendered === undefined ? { d, request } : { d, request, rendered });
          } catch (error) {
            await fail(d, error);
          }
        }
        let results: BatchResult[];
        try {
          results = await store.applyChanges(planned.map((p) => p.request));
        } catch (error) {
          results = planned.map(() => ({ status: 'failed', error }));
        }
        if (this.#deps.pauseAfterCommit && results.some((r) => r.status === 'committed')) {
          for (const [i, r] of results.entries()) {
            if (r.status === 'committed') this.#deps.log.warn({ deploymentId: planned[i].d.id, workspace: workspace.slug.replace('--', '/'), app: planned[i].d.app, profile: planned[i].d.profile, commit: r.commit }, 'crash point reached: committed, not yet recorded (LOCO_TEST_CRASH_POINT)');
          }
          await new Promise(() => {});
        }
        const retry: Deployment[] = [];
        for (const [i, result] of results.entries()) {
          const { d, rendered } = planned[i];
          if (result.status !== 'failed') landed.push({ d, result, earlier: false, ...(rendered === undefined ? {} : { rendered }) });
          else if (attempt < 5 && result.error instanceof LocoError && result.error.code === 'conflict.commit') retry.push(d);
          else await fail(d, result.error);
        }
        todo = retry;
      }
    }
    await this.#recordCommitted(em, workspace.slug, landed);
    await this.#supersedeOlder(landed.filter((l) => l.result.status !== 'unchanged').map((l) => ({ d: l.d, commit: l.result.commit })));
    if (landed.length > 0) for (const d of await em.fork().find(Deployment, { id: { $in: landed.map((l) => l.d.id) } })) out.set(d.id, d);
    return out;
  }

  /** The deployment's commit could not be made: failed, with the reason its error says. */
  async #failCommit(em: EntityManager, d: Deployment, slug: string, error: unknown): Promise<void> {
    const { bus } = this.#deps;
    if (error instanceof LocoError && error.code === 'conflict.superseded') {
      await changeStatus(em, bus, d.id, { status: 'failed', reason: 'superseded', finished: true, message: error.message, nextStep: error.hint },
        { type: 'failed', message: error.message, data: { reason: 'superseded', ...error.data } });
      return;
    }
    const known = error instanceof LocoError;
    if (!known) this.#deps.log.error({ err: error, deploymentId: d.id, workspace: slug.replace('--', '/'), app: d.app, profile: d.profile }, 'commit failed');
    // the prune guard and the render refuse here, since the request answers before either runs
    const reason = known && error.code === 'conflict.prune' ? 'prune' : known && error.family === 'config' ? 'invalid-config' : known && error.family === 'conflict' ? 'commit-conflict' : 'commit-failed';
    await changeStatus(em, bus, d.id, {
      status: 'failed', reason, finished: true,
      message: known ? error.message : 'the commit could not be made (internal error; see the API log)',
      nextStep: known ? error.hint : 'try again; if it persists, ask your Loco operator to check the API log',
    }, { type: 'failed', message: known ? error.message : 'the commit could not be made', data: { ...(known ? { ...error.data, code: error.code, nextStep: error.hint, ...(error.problems ? { problems: error.problems } : {}) } : {}), reason } });
  }

  /**
   * Records the batch's commits: `rendered` and `committed` events and the committed status of
   * every deployment in one statement each. Without Argo CD that ends them, so their outcome
   * notes go into git first, as one notes commit (see #finish).
   */
  async #recordCommitted(em: EntityManager, slug: string, landed: Landed[]): Promise<void> {
    if (landed.length === 0) return;
    const finished = !this.#deps.track && !this.#deps.holdAfterCommit;
    const finishedAt = new Date();
    const items: BatchStatusChange[] = landed.map(({ d, result, earlier, rendered }) => {
      const short = result.commit.slice(0, 7);
      const unchanged = result.status === 'unchanged';
      const what = unchanged ? `commit ${short} already holds this state; nothing new was committed`
        : earlier ? `commit ${short} on main is this deployment's (an earlier carrier made it and stopped before recording it)` : `committed ${short}: ${subjectFor(d)}`;
      return {
        deploymentId: d.id,
        ...(rendered !== undefined ? { before: [{ type: 'rendered', message: `rendered ${rendered} files for ${d.app}@${d.profile}`, data: { files: rendered } }] } : {}),
        change: { status: 'committed', commit: result.commit, message: finished ? `${what}. ${NO_ARGOCD}` : what, ...(finished ? { finished: true, finishedAt } : {}) },
        event: {
          type: 'committed',
          message: finished ? `${what}. ${NO_ARGOCD}` : `${what}; waiting for Argo CD`,
          data: { commit: result.commit, unchanged, ...(finished ? { terminal: true, argocd: false } : {}) },
        },
      };
    });
    if (!finished) {
      await changeStatuses(em, this.#deps.bus, items);
      return;
    }
    const git = { em, store: this.#deps.store, log: this.#deps.log };
    const open = new Set((await em.execute<{ id: string }[]>(`select id from deployments where id in (${landed.map(() => '?').join(',')}) and finished_at is null`, landed.map((l) => l.d.id))).map((r) => r.id));
    const targets = items.filter((i) => open.has(i.deploymentId)).map((i) => ({ id: i.deploymentId, workspaceId: landed[0].d.workspaceId, commit: i.change.commit!, final: { status: 'committed', message: i.change.message ?? null, finishedAt } }));
    await recordOutcomesInGit(git, slug, targets);
    const changed = await changeStatuses(em, this.#deps.bus, items);
    // finished elsewhere meanwhile (superseded): the note says the outcome that won
    for (const t of targets) {
      if (changed.has(t.id)) continue;
      const actual = await finalOutcomeOf(em, t.id);
      if (actual) await recordOutcomeInGit(git, { id: t.id, workspaceId: t.workspaceId, commit: actual.commit ?? t.commit }, actual);
    }
  }

  /** Runs the Kubernetes preflight of a deployment: its events, and its rejection when it refuses the change. */
  #preflight(d: Deployment, ctx: CommitContext): ReturnType<PreflightFn> {
    return this.#deps.preflight({
      slug: ctx.slug, app: d.app, profile: d.profile,
      files: async () => filesOfChange(ctx, d, await headOrCreate(ctx.store, ctx.slug)),
    });
  }

  /** A newer deploy, rollback or promotion of the same app/profile replaces a queued deploy or rollback: deployment id → the newest such id. */
  async #newerReleases(ds: Deployment[]): Promise<Map<string, string>> {
    const asked = ds.filter((d) => d.changeType === 'deploy' || d.changeType === 'rollback');
    if (asked.length === 0) return new Map();
    const rows = await this.#deps.orm.em.fork().execute<{ id: string; newer: string | null }[]>(
      `with input as (select * from jsonb_to_recordset(?::jsonb) as x(id text, app_id text, profile text, created_at timestamptz))
       select i.id, (select d.id from deployments d where d.app_id = i.app_id and d.profile = i.profile and (d.created_at, d.id) > (i.created_at, i.id)
                       and d.change_type in ('deploy', 'rollback', 'promote') order by d.created_at desc, d.id desc limit 1) as newer
         from input i`,
      [releasesJson(asked)],
    );
    return new Map(rows.filter((r) => r.newer).map((r) => [r.id, r.newer!]));
  }

  /** Older deployments of the same app/profile still waiting for an outcome are superseded by these commits (one query for all). */
  async #supersedeOlder(committed: { d: Deployment; commit: string }[]): Promise<void> {
    if (committed.length === 0) return;
    const em = this.#deps.orm.em.fork();
    const rows = await em.execute<{ id: string; commit: string; by: string }[]>(
      `with input as (select * from jsonb_to_recordset(?::jsonb) as x(id text, app_id text, profile text, created_at timestamptz))
       select d.id, d.commit, i.id as by from input i
         join deployments d on d.app_id = i.app_id and d.profile = i.profile and d.finished_at is null and d.commit is not null and d.id <> i.id and d.created_at < i.created_at`,
      [releasesJson(committed.map((c) => c.d))],
    );
    const by = new Map(committed.map((c) => [c.d.id, c]));
    for (const older of rows) {
      const { d, commit } = by.get(older.by)!;
      await this.#finish(em, { id: older.id, workspaceId: d.workspaceId, commit: older.commit }, {
        status: 'failed', reason: 'superseded',
        message: `superseded by ${d.id} (commit ${commit.slice(0, 7)})`, nextStep: `follow ${d.id}`,
      }, { type: 'failed', message: `superseded by ${d.id} (commit ${commit.slice(0, 7)})`, data: { reason: 'superseded', by: d.id, commit } });
    }
    this.abort(rows.map((r) => r.id));
  }

  /**
   * Ends a deployment that made a commit: the outcome goes into git first (a note on the commit,
   * outcome-in-git.ts), so whoever sees the final state in the database can read it from git
   * too; then into the database. When another writer finished it meanwhile (superseded it), the
   * note is rewritten with the outcome that won, so git and the database agree.
   */
  async #finish(em: EntityManager, d: { id: string; workspaceId: string; commit?: string | null }, change: Omit<StatusChange, 'finished' | 'finishedAt'>, event: NewEvent): Promise<boolean> {
    const commit = change.commit ?? d.commit;
    const finishedAt = new Date();
    const git = { em, store: this.#deps.store, log: this.#deps.log };
    const open = await em.execute<{ id: string }[]>(`select id from deployments where id = ? and finished_at is null`, [d.id]);
    if (commit && open.length > 0) {
      await recordOutcomeInGit(git, { id: d.id, workspaceId: d.workspaceId, commit }, { status: change.status, reason: change.reason, message: change.message, finishedAt });
    }
    const changed = await changeStatus(em, this.#deps.bus, d.id, { ...change, finished: true, finishedAt }, event);
    if (!changed && commit && open.length > 0) {
      const actual = await finalOutcomeOf(em, d.id);
      if (actual) await recordOutcomeInGit(git, { id: d.id, workspaceId: d.workspaceId, commit: actual.commit ?? commit }, actual);
    }
    return changed;
  }

  /** committed → outcome, through the Argo CD tracker when there is one. */
  async #track(d: Deployment, signal: AbortSignal): Promise<void> {
    const { bus, track } = this.#deps;
    const em = this.#deps.orm.em.fork();
    if (!d.commit) return;
    if (!track) {
      await this.#finish(em, d, { status: 'committed', message: `committed ${d.commit.slice(0, 7)}. ${NO_ARGOCD}` }, {
        type: 'committed', message: `commit ${d.commit.slice(0, 7)} is in the repository. ${NO_ARGOCD}`, data: { commit: d.commit, terminal: true, argocd: false },
      });
      return;
    }
    const workspace = await em.findOneOrFail(Workspace, { id: d.workspaceId });
    let outcome;
    try {
      outcome = await track(
        {
          application: argoApplicationName(workspace.slug, d.app, d.profile),
          project: argoProjectName(workspace.slug),
          revision: d.commit,
          progressDeadlineSeconds: this.#deps.progressDeadlineSeconds,
          signal,
          releaseAt: (revision) => releaseAt(this.#deps.store, workspace.slug, d, revision),
        },
        async (event) => {
          if (signal.aborted) return;
          if (event.type === 'syncing' || event.type === 'progressing') {
            await changeStatus(em, bus, d.id, { status: event.type }, event);
          } else {
            await appendEvent(em, bus, d.id, event);
          }
        },
      );
    } catch (error) {
      if (signal.aborted) return; // stopping, superseded or taken over: someone else finishes it
      const known = error instanceof LocoError;
      if (!known) this.#deps.log.error({ err: error, deploymentId: d.id, workspace: workspace.slug.replace('--', '/'), app: d.app, profile: d.profile }, 'tracking failed');
      const message = known ? `could not follow Argo CD: ${error.message}` : 'could not follow Argo CD (internal error; see the API log)';
      await this.#finish(em, d, { status: 'failed', reason: 'untracked', message, nextStep: known ? error.hint : 'check Argo CD and the API log' }, {
        type: 'failed', message, data: { reason: 'untracked', ...(known ? { code: error.code } : {}) },
      });
      return;
    }
    if (signal.aborted) return;
    await this.#finish(em, d, {
      status: outcome.status, reason: outcome.reason ?? null, message: outcome.message, nextStep: outcome.nextStep ?? null,
    }, {
      type: outcome.status, message: outcome.message,
      data: { ...(outcome.data ?? {}), ...(outcome.reason ? { reason: outcome.reason } : {}), ...(outcome.nextStep ? { nextStep: outcome.nextStep } : {}) },
    });
  }
}
