// Follows one deployment's commit through Argo CD until it has a true outcome. Refreshes the
// app (no waiting for Argo CD's 3-minute poll), then follows the watch stream and, while the
// rollout progresses, the resource tree; classifyOutcome decides, this module only feeds it
// and reports each change as an event. Never starts a sync: ApplicationSet apps sync
// automatically, and a manual sync would race the automated one.

import { LocoError } from '../../generator/errors.ts';
import { classifyOutcome, DEFAULTS, type Classification } from './classify.ts';
import type { ArgoCdClient } from './client.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Application, ApplicationTree } from './types.ts';
import { followApplication } from './watch.ts';

export interface TrackRequest {
  application: string;
  project: string;
  /** The deployment's commit. */
  revision: string;
  progressDeadlineSeconds?: number;
  /** Abort with reason 'superseded' for a newer commit (outcome failed/superseded); any other reason rejects with it. */
  signal?: AbortSignal;
  /**
   * What a revision other than ours means (see api/deployments/tracking.ts). Without it only
   * the exact commit counts, and an app that Argo CD synced straight to a later head waits.
   */
  releaseAt?: (revision: string) => Promise<'same' | 'replaced' | 'unrelated'>;
}

export interface TrackEvent {
  type: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface TrackOutcome {
  status: 'succeeded' | 'failed';
  reason?: string;
  message: string;
  nextStep?: string;
  data?: Record<string, unknown>;
}

export interface TrackOptions {
  clock?: Clock;
  /** Healthy must hold this long before succeeded (default 5 s). */
  healthyDebounceMs?: number;
  /** A fatal pod cause (ImagePullBackOff…) fails the deployment after this long (default 30 s). */
  causeGraceMs?: number;
  reconnectMs?: number;
  maxReconnectMs?: number;
  maxStreamFailures?: number;
  pollIntervalMs?: number;
  /** Resource tree reads while progressing (default every 5 s, plus one per app change). */
  treeIntervalMs?: number;
  /**
   * Called with the seconds from Argo CD's reconcile of a state (status.reconciledAt) to the
   * tracker reading it, once per new reconcile: the tracker lag that /metrics exposes.
   */
  onLag?: (seconds: number) => void;
  refreshTimeoutMs?: number;
  /** How long to wait for a failed pod's last log lines before reporting without them (default 3 s). */
  logTimeoutMs?: number;
}

/** Causes where the container ran, so its own last lines are the best explanation. */
const LOGGED_CAUSES = new Set(['crash-loop', 'oom-killed', 'probe-failed']);
const LAST_LINES = 20;

/**
 * The last lines of a pod through Argo CD: the previous (crashed) container first, as `kubectl
 * logs --previous`, then the current one. Never throws: a failure here must not hide the outcome.
 */
async function lastLogLines(client: ArgoCdClient, application: string, q: { project: string; podName: string; namespace?: string }, timeoutMs: number): Promise<LogLine[]> {
  const read = async (previous: boolean): Promise<LogLine[]> => {
    const lines: LogLine[] = [];
    for await (const e of client.streamLogs(application, { ...q, tailLines: LAST_LINES, follow: false, ...(previous ? { previous: true } : {}), signal: AbortSignal.timeout(timeoutMs) })) {
      if (e.content !== undefined) lines.push({ pod: e.podName || q.podName, ...(e.timeStampStr ? { time: e.timeStampStr } : {}), line: e.content });
    }
    return lines.slice(-LAST_LINES);
  };
  for (const previous of [true, false]) {
    try {
      const lines = await read(previous);
      if (lines.length > 0) return lines;
    } catch {
      // no previous container (it has not restarted yet), or Argo CD could not read the pod
    }
  }
  return [];
}

export function trackDeployment(
  client: ArgoCdClient,
  req: TrackRequest,
  onEvent: (e: TrackEvent) => void | Promise<void>,
  options: TrackOptions = {},
): Promise<TrackOutcome> {
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const callsAtStart = client.stats.calls;
  const ctxBase = {
    revision: req.revision,
    startedAt,
    progressDeadlineMs: (req.progressDeadlineSeconds ?? DEFAULTS.progressDeadlineMs / 1000) * 1000,
    healthyDebounceMs: options.healthyDebounceMs ?? DEFAULTS.healthyDebounceMs,
    causeGraceMs: options.causeGraceMs ?? DEFAULTS.causeGraceMs,
  };
  const treeIntervalMs = options.treeIntervalMs ?? 5_000;
  const stop = new AbortController();
  const query = { project: req.project, signal: stop.signal };

  let app: Application | undefined;
  let tree: ApplicationTree | undefined;
  let treeFor: string | undefined; // resourceVersion the tree was read after
  let treeLoading = false;
  let lastTreeAt = -Infinity;
  let healthySince: number | undefined;
  let causeCode: string | undefined;
  let causeSince: number | undefined;
  let lastState: string | undefined;
  let lastMessage: string | undefined;
  let wake: unknown;
  let treeTimer: unknown;
  let lastReconciledAt = -Infinity;
  let done = false;
  let closing = false; // the outcome is decided; only its log lines are still being fetched
  let emitting: Promise<void> = Promise.resolve();
  // The revision whose sync and health decide the outcome: our commit, or a later head Argo CD
  // went to that holds this app/profile's files unchanged (asked once per revision).
  let revision = req.revision;
  const asked = new Set<string>([req.revision]);

  return new Promise<TrackOutcome>((resolve, reject) => {
    const emit = (type: string, message: string, data?: Record<string, unknown>) => {
      emitting = emitting.then(() => onEvent({ type, message, ...(data ? { data } : {}) })).catch(() => undefined);
    };
    const end = (settle: () => void) => {
      if (done) return;
      done = true;
      clock.clearTimeout(wake);
      clock.clearTimeout(treeTimer);
      stop.abort();
      req.signal?.removeEventListener('abort', onAbort);
      void emitting.then(settle);
    };
    const finish = (c: Classification, extra: Record<string, unknown> = {}) =>
      end(() =>
        resolve({
          status: c.state === 'succeeded' ? 'succeeded' : 'failed',
          ...(c.reason ? { reason: c.reason } : {}),
          message: c.message,
          ...(c.nextStep ? { nextStep: c.nextStep } : {}),
          data: { application: req.application, revision: req.revision, ...c.data, ...(c.cause ? { cause: c.cause } : {}), ...extra, argocdCalls: client.stats.calls - callsAtStart },
        }),
      );
    const fail = (error: unknown) => end(() => reject(error));
    function onAbort() {
      const reason = req.signal?.reason;
      if (reason === 'superseded' || (reason as { reason?: string })?.reason === 'superseded') {
        finish({ state: 'failed', reason: 'superseded', message: `a newer commit replaced ${req.revision.slice(0, 7)} before it finished`, isHealthy: false, data: {} });
      } else fail(reason ?? new LocoError('unavailable.aborted', 'tracking stopped', 'tracking resumes when the API starts again'));
    }

    /**
     * A container that ran and died (crash loop, OOM, failing probe) usually said why in its last
     * lines: fetch them once, briefly, and attach them to the outcome. Without them the outcome
     * still stands.
     */
    function finishWithLogs(c: Classification) {
      if (closing) return;
      closing = true;
      clock.clearTimeout(wake);
      clock.clearTimeout(treeTimer);
      const podName = c.cause!.resource.replace(/^Pod\//, '');
      const namespace = tree?.nodes?.find((n) => n.kind === 'Pod' && n.name === podName)?.namespace;
      lastLogLines(client, req.application, { project: req.project, podName, ...(namespace ? { namespace } : {}) }, options.logTimeoutMs ?? 3_000)
        .then((lines) => finish(c, lines.length > 0 ? { logs: lines } : {}));
    }

    function schedule(at: number | undefined) {
      clock.clearTimeout(wake);
      if (at !== undefined) wake = clock.setTimeout(evaluate, Math.max(0, at - clock.now()));
    }

    function evaluate() {
      if (done || closing) return;
      const now = clock.now();
      if (!app) {
        const deadline = startedAt + ctxBase.progressDeadlineMs;
        if (now >= deadline) {
          return finish({
            state: 'failed',
            reason: 'timeout',
            isHealthy: false,
            data: {},
            message: `Argo CD never reported application ${req.application} within the progress deadline`,
            nextStep: "Check that the workspace's ApplicationSet is installed in Argo CD (argocd/README.md) and that Argo CD can read the repository; then run `loco status`.",
          });
        }
        return schedule(deadline);
      }
      const c = classifyOutcome(app, tree, { ...ctxBase, revision, now, healthySince, causeSince });
      // A Degraded verdict is final, so make sure it is judged with a tree read after this app state.
      if (c.state === 'failed' && c.reason !== 'timeout' && c.data.healthStatus === 'Degraded' && treeFor !== version(app)) return loadTree();
      track(c, now);
      if (c.state === 'failed' && c.cause && LOGGED_CAUSES.has(c.cause.code)) return finishWithLogs(c);
      if (c.state === 'succeeded' || c.state === 'failed') return finish(c);
      schedule(c.wakeAt);
      if (c.state === 'progressing' && !c.isHealthy) {
        if (treeFor !== version(app) && now - lastTreeAt >= 1_000) loadTree();
        else if (treeTimer === undefined) treeTimer = clock.setTimeout(() => ((treeTimer = undefined), loadTree()), treeIntervalMs);
      }
    }

    /** Turns classification changes into events and keeps the debounce/grace memory. */
    function track(c: Classification, now: number) {
      if (c.isHealthy && healthySince === undefined) healthySince = now;
      if (!c.isHealthy && healthySince !== undefined) {
        emit('health-flap', `health left Healthy (${c.data.healthStatus ?? 'Unknown'}) before holding for ${ctxBase.healthyDebounceMs / 1000} s; waiting again`, { healthStatus: c.data.healthStatus });
        healthySince = undefined;
      }
      if (c.cause?.code !== causeCode) {
        causeCode = c.cause?.code;
        causeSince = c.cause ? now : undefined;
        if (c.cause) emit('cause', `${c.cause.resource}: ${c.cause.message}`, { cause: c.cause, nextStep: c.nextStep });
      }
      if (c.state !== lastState) {
        lastState = c.state;
        lastMessage = c.message;
        if (c.state !== 'succeeded' && c.state !== 'failed') emit(c.state, c.message, c.data);
      } else if (c.message !== lastMessage && c.state === 'progressing') {
        lastMessage = c.message;
        emit('progress', c.message, c.data);
      }
    }

    function loadTree() {
      if (treeLoading || done || !app) return;
      treeLoading = true;
      const forVersion = version(app);
      lastTreeAt = clock.now();
      client
        .getResourceTree(req.application, query)
        .then(
          (t) => {
            tree = t;
            treeFor = forVersion;
          },
          (error) => {
            if (error instanceof LocoError && error.code.startsWith('upstream.argocd-') && /unauthorized|forbidden/.test(error.code)) return fail(error);
            treeFor = forVersion; // judge without it rather than loop
            if (!done) emit('argocd-unreachable', `could not read the resource tree: ${(error as Error).message}`);
          },
        )
        .finally(() => {
          treeLoading = false;
          evaluate();
        });
    }

    /** Argo CD reports a revision that is not ours: find out whether it carries our release. */
    function checkRevision(candidate: string | undefined) {
      if (!candidate || asked.has(candidate) || !req.releaseAt) return;
      asked.add(candidate);
      req.releaseAt(candidate).then(
        (verdict) => {
          if (done) return;
          const ours = req.revision.slice(0, 7);
          if (verdict === 'same') {
            revision = candidate;
            emit('progress', `Argo CD went to commit ${candidate.slice(0, 7)}, which holds ${ours}'s files for this app unchanged (later commits changed other apps); following it`, { revision: candidate });
            evaluate();
          } else if (verdict === 'replaced') {
            finish({
              state: 'failed', reason: 'superseded', isHealthy: false, data: { syncRevision: candidate },
              message: `commit ${candidate.slice(0, 7)} changed this app again before ${ours} rolled out`,
              nextStep: `follow the newer change: \`loco history\` shows it, \`loco status\` shows how it runs`,
            });
          }
        },
        (error) => {
          asked.delete(candidate); // ask again on the next report
          if (!done) emit('argocd-unreachable', `could not compare commit ${candidate.slice(0, 7)} with ${req.revision.slice(0, 7)}: ${(error as Error).message}`);
        },
      );
    }

    const onApplication = (next: Application) => {
      app = next;
      const reconciled = Date.parse(next.status?.reconciledAt ?? '');
      if (options.onLag && reconciled > lastReconciledAt) {
        lastReconciledAt = reconciled;
        // reconciledAt has whole seconds, so a lag under a second reads as up to 1 s
        options.onLag(Math.max(0, (Date.now() - reconciled) / 1000));
      }
      const op = next.status?.operationState;
      checkRevision(op?.syncResult?.revision ?? op?.operation?.sync?.revision);
      checkRevision(next.status?.sync?.revision);
      evaluate();
    };

    if (req.signal?.aborted) return onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    schedule(startedAt + ctxBase.progressDeadlineMs);

    client
      .refreshApplication(req.application, { ...query, timeoutMs: options.refreshTimeoutMs })
      .then(onApplication, (error: LocoError) => {
        if (done) return;
        if (/unauthorized|forbidden/.test(error.code)) return fail(error);
        if (error.code === 'not-found.argocd-application') {
          emit('waiting', `Argo CD has no application ${req.application} yet; waiting for the ApplicationSet to create it`);
        } else emit('argocd-unreachable', `refresh failed (${error.message}); following the app anyway`);
      })
      .then(() => {
        if (done) return;
        return followApplication(
          client,
          req.application,
          req.project,
          {
            clock,
            signal: stop.signal,
            reconnectMs: options.reconnectMs ?? 1_000,
            maxReconnectMs: options.maxReconnectMs ?? 30_000,
            maxStreamFailures: options.maxStreamFailures ?? 3,
            pollIntervalMs: options.pollIntervalMs ?? 10_000,
          },
          { onApplication, onNotice: (type, message, data) => emit(type, message, data), onFatal: fail },
        );
      })
      .catch(fail);
  });
}

const version = (app: Application) => app.metadata.resourceVersion ?? '';

export interface AppStatus {
  application: string;
  sync: string;
  health: string;
  revision?: string;
  operation?: { phase?: string; message?: string; revision?: string; finishedAt?: string };
  resources: { kind: string; name: string; namespace?: string; sync?: string; health?: string; message?: string }[];
  unhealthy: { kind: string; name: string; namespace?: string; health: string; message: string }[];
}

/** Sync, health, revision and the resources that are not Healthy (Pods included, from the tree). */
export async function getAppStatus(client: ArgoCdClient, ref: { application: string; project: string; signal?: AbortSignal }): Promise<AppStatus> {
  const q = { project: ref.project, signal: ref.signal };
  const [app, tree] = await Promise.all([client.getApplication(ref.application, q), client.getResourceTree(ref.application, q)]);
  const s = app.status ?? {};
  const op = s.operationState;
  const unhealthy = (tree.nodes ?? [])
    .filter((n) => n.health?.status && n.health.status !== 'Healthy')
    .map((n) => {
      const reason = n.info?.find((i) => i.name === 'Status Reason')?.value;
      return { kind: n.kind ?? '', name: n.name ?? '', namespace: n.namespace, health: n.health!.status!, message: [reason, n.health!.message].filter(Boolean).join(': ') };
    });
  return {
    application: ref.application,
    sync: s.sync?.status || 'Unknown',
    health: s.health?.status || 'Unknown',
    revision: s.sync?.revision,
    ...(op ? { operation: { phase: op.phase, message: op.message, revision: op.syncResult?.revision ?? op.operation?.sync?.revision, finishedAt: op.finishedAt } } : {}),
    resources: (s.resources ?? []).map((r) => ({ kind: r.kind ?? '', name: r.name ?? '', namespace: r.namespace, sync: r.status, health: r.health?.status, message: r.health?.message })),
    unhealthy,
  };
}

export interface LogLine {
  pod: string;
  time?: string;
  line: string;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'];

/**
 * Log lines of an app's pods through Argo CD: one request per workload (Argo CD picks its
 * pods), or per Pod when the app has no workload (e.g. a Job's pods).
 */
export async function* getLogs(
  client: ArgoCdClient,
  ref: { application: string; project: string },
  opts: { tail?: number; since?: number; follow?: boolean; signal?: AbortSignal } = {},
): AsyncGenerator<LogLine> {
  const q = { project: ref.project, signal: opts.signal };
  const tree = await client.getResourceTree(ref.application, q);
  const nodes = tree.nodes ?? [];
  const workloads = nodes.filter((n) => WORKLOAD_KINDS.includes(n.kind ?? '') && !(n.parentRefs?.length));
  const targets = workloads.length > 0
    ? workloads.map((n) => ({ namespace: n.namespace, kind: n.kind, group: n.group, resourceName: n.name }))
    : nodes.filter((n) => n.kind === 'Pod').map((n) => ({ namespace: n.namespace, podName: n.name }));
  if (targets.length === 0) {
    throw new LocoError('not-found.logs', `${ref.application} has no pods to read logs from`, 'run `loco status` to see whether the app is deployed and its pods exist');
  }
  const streams = targets.map((t) =>
    client.streamLogs(ref.application, { ...q, ...t, tailLines: opts.tail, sinceSeconds: opts.since, follow: opts.follow }),
  );
  const lines = streams.length === 1 || !opts.follow ? concat(streams) : merge(streams);
  for await (const e of lines) yield { pod: e.podName ?? '', time: e.timeStampStr, line: e.content ?? '' };
}

async function* concat<T>(streams: AsyncGenerator<T>[]): AsyncGenerator<T> {
  for (const s of streams) yield* s;
}

/** Interleaves followed streams as lines arrive. */
async function* merge<T>(streams: AsyncGenerator<T>[]): AsyncGenerator<T> {
  const pending = new Map(streams.map((s, i) => [i, s.next().then((r) => ({ i, r }))]));
  while (pending.size > 0) {
    const { i, r } = await Promise.race(pending.values());
    if (r.done) {
      pending.delete(i);
      continue;
    }
    pending.set(i, streams[i].next().then((r2) => ({ i, r: r2 })));
    yield r.value;
  }
}
