// Loco's own Prometheus metrics (GET /metrics): deployments by tenant and outcome, how long
// they take to commit and to end, the commit queue, open SSE streams, HTTP and outside-system
// calls, and the process. Labels stay bounded: workspace, app, profile, change type, outcome,
// reason, route templates and status classes — never deployment ids, commit SHAs or paths.
// One registry per API instance (not prom-client's global one), so tests and replicas in one
// process do not mix their counts.

import type { EntityManager } from '@mikro-orm/postgresql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { computeDora, type DoraFigures } from './dora/compute.ts';
import { releaseRecords } from './dora/records.ts';

/** A status change of a deployment, as records.ts changeStatus saw it committed. */
export interface StatusNotice {
  /** For logs only: never a metric label. */
  deploymentId: string;
  workspace: string;
  app: string;
  profile: string;
  changeType: string;
  status: string;
  reason: string | null;
  finished: boolean;
  /** Seconds from the request to this change. */
  sinceRequestSeconds: number;
  /** Seconds from the commit to this change, when the deployment has been committed before it. */
  sinceCommitSeconds?: number;
}

export type OutsideSystem = 'argocd' | 'github' | 'kubernetes';

export interface LocoMetrics {
  registry: Registry;
  observeStatus(notice: StatusNotice): void;
  /** Counts one open SSE stream of `kind` until the returned function is called. */
  sseOpened(kind: 'events' | 'logs'): () => void;
  /** `fetch` that counts calls to an outside system by method and status class. */
  observedFetch(system: OutsideSystem, inner?: typeof fetch): typeof fetch;
  observeHttp(method: string, route: string, statusCode: number, seconds: number): void;
  /** Seconds from Argo CD's reconcile of a state to the tracker reading it. */
  observeTrackerLag(seconds: number): void;
}

// Deployments take from sub-second (no Argo CD) to the 10-minute progress deadline.
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200];

export function createMetrics(deps: { em: () => EntityManager }): LocoMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'loco_' });

  const deployments = new Counter({
    name: 'loco_deployments_total',
    help: 'Deployments that reached an outcome (or committed without Argo CD), by workspace, app, profile, change type, outcome and reason',
    labelNames: ['workspace', 'app', 'profile', 'change_type', 'outcome', 'reason'] as const,
    registers: [registry],
  });
  const toCommit = new Histogram({
    name: 'loco_deployment_commit_seconds',
    help: 'Time from the deploy request to its commit on main',
    labelNames: ['workspace', 'profile', 'change_type'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const toOutcome = new Histogram({
    name: 'loco_deployment_outcome_seconds',
    help: 'Time from the commit to the outcome Argo CD reported',
    labelNames: ['workspace', 'profile', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  // No tenant labels: the lag is a property of Argo CD and this API, not of an app.
  const trackerLag = new Histogram({
    name: 'loco_tracker_lag_seconds',
    help: "Seconds from Argo CD's reconcile of an application state (status.reconciledAt) to Loco's tracker reading it",
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const sse = new Gauge({ name: 'loco_sse_streams_open', help: 'Open Server-Sent Events streams', labelNames: ['kind'] as const, registers: [registry] });
  const upstream = new Counter({
    name: 'loco_upstream_requests_total',
    help: 'Calls to outside systems by system, method and status class (error: no response)',
    labelNames: ['system', 'method', 'status'] as const,
    registers: [registry],
  });
  const upstreamErrors = new Counter({
    name: 'loco_upstream_errors_total',
    help: 'Calls to outside systems that failed (5xx, or no response)',
    labelNames: ['system'] as const,
    registers: [registry],
  });
  const http = new Histogram({
    name: 'loco_http_request_duration_seconds',
    help: 'API requests by method, route template and status class',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  // Read from the database at scrape time: they hold across restarts and replicas.
  new Gauge({
    name: 'loco_deployments_active',
    help: 'Deployments not finished yet, by workspace and status (pending = waiting in the commit queue)',
    labelNames: ['workspace', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await deps.em().execute<{ workspace: string; status: string; n: string | number }[]>(
        `select o.name || '/' || w.name as workspace, d.status, count(*) as n
           from deployments d join workspaces w on w.id = d.workspace_id join orgs o on o.id = w.org_id
          where d.finished_at is null group by 1, 2`,
      );
      for (const r of rows) this.set({ workspace: r.workspace, status: r.status }, Number(r.n));
    },
  });

  // The database pool (pg's Pool under MikroORM), read at scrape time: in use, idle, and callers
  // waiting for a connection (the embedded database has a pool of one, so waits show up there).
  new Gauge({
    name: 'loco_db_pool_connections',
    help: 'Database pool connections by state (in-use, idle) and callers waiting for one (waiting)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const pool = (await deps.em().getConnection().getNativeClient()) as { totalCount: number; idleCount: number; waitingCount: number };
      this.set({ state: 'in-use' }, pool.totalCount - pool.idleCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });

  // DORA figures over the last 30 days, per workspace, app and profile: computed once per scrape
  // (the four gauges share one read) from the same records as GET …/dora.
  let dora: { at: number; rows: Promise<{ workspace: string; figures: DoraFigures }[]> } | undefined;
  const doraRows = () => {
    if (!dora || Date.now() - dora.at > 1000) {
      const now = new Date();
      const since = new Date(now.getTime() - 30 * 86_400_000);
      dora = {
        at: Date.now(),
        rows: releaseRecords(deps.em(), null, since).then((records) => {
          const byWorkspace = Map.groupBy(records, (r) => r.workspace);
          return [...byWorkspace].flatMap(([workspace, rs]) => computeDora(rs, { since, until: now }).apps.map((figures) => ({ workspace, figures })));
        }),
      };
    }
    return dora.rows;
  };
  const doraGauge = (name: string, help: string, value: (f: DoraFigures) => number | null) =>
    new Gauge({
      name, help, labelNames: ['workspace', 'app', 'profile'] as const, registers: [registry],
      async collect() {
        this.reset();
        for (const { workspace, figures } of await doraRows()) {
          const v = value(figures);
          if (v !== null) this.set({ workspace, app: figures.app, profile: figures.profile }, v);
        }
      },
    });
  doraGauge('loco_dora_deployment_frequency_per_day', 'DORA deployment frequency over the last 30 days (deployments per day)', (f) => f.deploymentFrequencyPerDay);
  doraGauge('loco_dora_lead_time_seconds', 'DORA lead time for changes over the last 30 days (median, seconds)', (f) => f.leadTimeSeconds);
  doraGauge('loco_dora_change_failure_rate', 'DORA change failure rate over the last 30 days (0–1)', (f) => f.changeFailureRate);
  doraGauge('loco_dora_time_to_restore_seconds', 'DORA time to restore over the last 30 days (median, seconds)', (f) => f.timeToRestoreSeconds);

  return {
    registry,
    observeStatus(n) {
      if (n.status === 'committed') toCommit.observe({ workspace: n.workspace, profile: n.profile, change_type: n.changeType }, n.sinceRequestSeconds);
      if (!n.finished) return;
      deployments.inc({ workspace: n.workspace, app: n.app, profile: n.profile, change_type: n.changeType, outcome: n.status, reason: n.reason ?? '' });
      if (n.sinceCommitSeconds !== undefined && n.status !== 'committed') toOutcome.observe({ workspace: n.workspace, profile: n.profile, outcome: n.status }, n.sinceCommitSeconds);
    },
    sseOpened(kind) {
      sse.inc({ kind });
      let open = true;
      return () => {
        if (open) sse.dec({ kind });
        open = false;
      };
    },
    observedFetch(system, inner = globalThis.fetch) {
      return async (input, init) => {
        const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
        try {
          const response = await inner(input, init);
          upstream.inc({ system, method, status: `${Math.floor(response.status / 100)}xx` });
          if (response.status >= 500) upstreamErrors.inc({ system });
          return response;
        } catch (error) {
          upstream.inc({ system, method, status: 'error' });
          upstreamErrors.inc({ system });
          throw error;
        }
      };
    },
    observeTrackerLag: (seconds) => trackerLag.observe(seconds),
    observeHttp(method, route, statusCode, seconds) {
      http.observe({ method, route, status: `${Math.floor(statusCode / 100)}xx` }, seconds);
    },
  };
}
