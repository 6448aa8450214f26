// End to end: a commit in a real bare repository → the Argo CD double builds the overlay with
// kubectl kustomize and syncs it as scripted → the tracker's outcome and events.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createArgoCdClient, getAppStatus, getLogs, trackDeployment, type TrackEvent, type TrackOptions } from '../../api/argocd/index.ts';
import { LocoError } from '../../generator/errors.ts';
import { argoApplicationName, argoProjectName } from '../../generator/names.ts';
import { startArgoCdDouble, type ArgoCdDouble, type Scenario } from '../doubles/argocd/server.ts';
import { ManualClock } from './manual-clock.ts';
import { appFiles, createWorkspaceRepo, type WorkspaceRepo } from './workspace-repo.ts';

const SLUG = 'acme-web';
const APP = argoApplicationName(SLUG, 'api', 'dev');
const IMAGE = 'registry.example.com/acme/api@sha256:' + 'a'.repeat(64);
const FAST: TrackOptions = { healthyDebounceMs: 60, causeGraceMs: 100, treeIntervalMs: 25, reconnectMs: 20, maxReconnectMs: 100, pollIntervalMs: 25 };

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(scenario: Scenario = {}): Promise<{ repo: WorkspaceRepo; double: ArgoCdDouble; commit: string }> {
  const repo = createWorkspaceRepo(SLUG);
  cleanups.push(() => repo.cleanup());
  const commit = repo.commit(appFiles(SLUG, 'api', 'dev', IMAGE));
  const double = await startArgoCdDouble({ repoPath: repo.repoPath, scenario });
  cleanups.push(() => double.stop());
  return { repo, double, commit };
}

function track(double: ArgoCdDouble, revision: string, options: TrackOptions = FAST, extra: { signal?: AbortSignal; token?: string; onEvent?: (e: TrackEvent) => void } = {}) {
  const client = createArgoCdClient({ url: double.url, token: extra.token ?? double.token });
  const events: TrackEvent[] = [];
  const outcome = trackDeployment(
    client,
    { application: APP, project: argoProjectName(SLUG), revision, progressDeadlineSeconds: 600, signal: extra.signal },
    (e) => {
      events.push(e);
      extra.onEvent?.(e);
    },
    options,
  );
  return { client, events, outcome };
}

const types = (events: TrackEvent[]) => events.map((e) => e.type);

test('a healthy rollout of the commit succeeds, after syncing and progressing, without ever starting a sync', async () => {
  const { double, commit } = await setup({ healthyAfterMs: 40 });
  const { events, outcome } = track(double, commit);
  const result = await outcome;
  assert.equal(result.status, 'succeeded', result.message);
  assert.match(result.message, new RegExp(commit.slice(0, 7)));
  assert.ok(types(events).includes('syncing'), types(events).join());
  assert.ok(types(events).includes('progressing'), types(events).join());
  assert.ok(types(events).indexOf('syncing') < types(events).indexOf('progressing'));
  assert.equal(double.calls.filter((c) => c.method !== 'GET').length, 0, 'no sync was requested');
  assert.equal(double.calls.filter((c) => c.query.refresh === 'normal').length, 1);
  assert.ok(double.calls.every((c) => c.query.project === SLUG || c.query.projects === SLUG), 'every call names the project');
  assert.deepEqual(double.violations, []);
});

test('a failed sync ends sync-failed with the operation message and the failing resource', async () => {
  const { double, commit } = await setup({ outcome: 'sync-failed' });
  const result = await track(double, commit).outcome;
  assert.equal(result.status, 'failed');
  assert.equal(result.reason, 'sync-failed');
  assert.match(result.message, /one or more objects failed to apply/);
  assert.match(result.message, /Deployment\/api: error validating data/);
  assert.match(result.nextStep ?? '', /loco render/);
  const resources = result.data?.resources as { kind: string; status: string }[];
  assert.deepEqual(resources.map((r) => [r.kind, r.status]), [['Deployment', 'SyncFailed']]);
  assert.deepEqual(double.violations, []);
});

test('a Degraded app ends degraded naming the unhealthy resource', async () => {
  const { double, commit } = await setup({ outcome: 'degraded' });
  const result = await track(double, commit).outcome;
  assert.equal(result.reason, 'degraded');
  assert.match(result.message, /Deployment\/api: Deployment "api" exceeded its progress deadline/);
  assert.match(result.message, /CrashLoopBackOff/, 'the pod cause from the tree is shown too');
  assert.ok((result.data?.resources as unknown[]).length >= 1);
});

test('an overlay kustomize cannot build fails at once as invalid-config (ComparisonError), not at the deadline', async () => {
  const { repo, double } = await setup();
  const bad = repo.commit({ 'apps/api/overlays/dev/kustomization.yaml': 'resources:\n  - ../../base\n  - missing.yaml\n' });
  const result = await track(double, bad).outcome;
  assert.equal(result.reason, 'invalid-config');
  assert.match(result.message, /ComparisonError: .*kustomize build/);
  assert.match(result.nextStep ?? '', /loco render/);
});

test('ImagePullBackOff is shown at once and fails after the short grace, long before the progress deadline', async () => {
  const { double, commit } = await setup({ outcome: 'image-pull-backoff' });
  const { events, outcome } = track(double, commit);
  const result = await outcome;
  assert.equal(result.reason, 'degraded');
  assert.match(result.message, /ImagePullBackOff: Back-off pulling image "registry.example.com\/acme\/api@sha256:a+"/);
  assert.match(result.nextStep ?? '', /cannot pull image registry.example.com\/acme\/api/);
  const cause = events.find((e) => e.type === 'cause');
  assert.ok(cause, 'the cause is an event before the outcome');
  assert.match(cause.message, /ImagePullBackOff/);
  assert.equal(result.data?.logs, undefined, 'a container that never started has no logs to fetch');
  assert.ok(!double.calls.some((c) => c.path.endsWith('/logs')));
});

test('CrashLoopBackOff fails fast with a next step that points at the logs', async () => {
  const { double, commit } = await setup({ outcome: 'crash-loop' });
  const result = await track(double, commit).outcome;
  assert.equal(result.reason, 'degraded');
  assert.match(result.message, /CrashLoopBackOff/);
  assert.match(result.nextStep ?? '', /loco logs/);
  // the crashed container's own last words come with the outcome, asked for as `--previous`
  const logs = result.data?.logs as { pod: string; line: string }[];
  assert.ok(logs?.some((l) => /Error: connect ECONNREFUSED/.test(l.line) && /^api-/.test(l.pod)), JSON.stringify(logs));
  const logCalls = double.calls.filter((c) => c.path.endsWith('/logs'));
  assert.equal(logCalls[0]?.query.previous, 'true');
  assert.equal(logCalls[0]?.query.podName, String(result.data?.cause && (result.data.cause as { resource: string }).resource).replace('Pod/', ''));
  assert.deepEqual(double.violations, []);
});

test('OOMKilled is named as such, with a next step about memory', async () => {
  const { double, commit } = await setup({ outcome: 'oom-killed' });
  const result = await track(double, commit).outcome;
  assert.match(result.message, /OOMKilled/);
  assert.match(result.nextStep ?? '', /Resources.Memory/);
  assert.ok((result.data?.logs as unknown[])?.length > 0, 'the killed container\'s last lines come with the outcome');
});

test('a rollout that never becomes healthy times out at the progress deadline (driven by the clock)', async () => {
  const { double, commit } = await setup({ outcome: 'stuck' });
  const clock = new ManualClock(Date.now());
  let progressing!: () => void;
  const reachedProgressing = new Promise<void>((ok) => (progressing = ok));
  const { outcome } = track(double, commit, { ...FAST, clock }, { onEvent: (e) => e.type === 'progressing' && progressing() });
  await reachedProgressing;
  clock.advance(600_000);
  const result = await outcome;
  assert.equal(result.reason, 'timeout');
  assert.match(result.message, /progress deadline \(10 min\)/);
  assert.match(result.message, /Waiting for rollout to finish/);
});

test('health that flaps right after the rollout is reported and success waits until Healthy holds', async () => {
  const { double, commit } = await setup({ outcome: 'flap', flapMs: 30, healthyAfterMs: 20 });
  const { events, outcome } = track(double, commit, { ...FAST, healthyDebounceMs: 120 });
  const result = await outcome;
  assert.equal(result.status, 'succeeded', result.message);
  assert.ok(types(events).includes('health-flap'), types(events).join());
});

test('a dropped watch stream reconnects from the last resourceVersion and still reaches the outcome', async () => {
  const { double, commit } = await setup({ dropStreamAfterLines: 1, dropStreamTimes: 2 });
  const { events, outcome } = track(double, commit);
  const result = await outcome;
  assert.equal(result.status, 'succeeded', result.message);
  assert.ok(types(events).includes('stream-reconnect'));
  const streams = double.calls.filter((c) => c.path === '/api/v1/stream/applications');
  assert.ok(streams.length >= 3, `connections: ${streams.length}`);
  assert.ok(streams.slice(1).every((c) => /^\d+$/.test(c.query.resourceVersion ?? '')), 'reconnects resume from a resourceVersion');
});

test('without a working stream the tracker falls back to plain GETs and still reaches the outcome', async () => {
  const { double, commit } = await setup({ streamUnavailable: true });
  const { events, outcome } = track(double, commit);
  const result = await outcome;
  assert.equal(result.status, 'succeeded', result.message);
  assert.ok(types(events).includes('stream-fallback'));
  assert.equal(double.calls.filter((c) => c.path === '/api/v1/stream/applications').length, 1, 'a 503 stream is not retried in a loop');
});

test('a slow Argo CD still gives the outcome', async () => {
  const { double, commit } = await setup({ latencyMs: 60 });
  const result = await track(double, commit).outcome;
  assert.equal(result.status, 'succeeded', result.message);
});

test('a refused token is a clear error naming LOCO_ARGOCD_TOKEN, not an outcome', async () => {
  const { double, commit } = await setup();
  await assert.rejects(track(double, commit, FAST, { token: 'not-the-token' }).outcome, (error: LocoError) => {
    assert.equal(error.code, 'upstream.argocd-unauthorized');
    assert.match(error.message, /LOCO_ARGOCD_TOKEN/);
    assert.match(error.message, /401 invalid session/);
    assert.match(error.hint, /LOCO_ARGOCD_TOKEN/);
    return true;
  });
});

test('a newer commit supersedes the deployment through its abort signal', async () => {
  const { double, commit } = await setup({ outcome: 'stuck' });
  const controller = new AbortController();
  const { outcome } = track(double, commit, FAST, { signal: controller.signal, onEvent: (e) => e.type === 'progressing' && controller.abort('superseded') });
  const result = await outcome;
  assert.equal(result.reason, 'superseded');
});

test('any other abort (API shutdown) rejects so that tracking can resume later', async () => {
  const { double, commit } = await setup({ outcome: 'stuck' });
  const controller = new AbortController();
  const { outcome } = track(double, commit, FAST, { signal: controller.signal, onEvent: (e) => e.type === 'syncing' && controller.abort(new Error('shutting down')) });
  await assert.rejects(outcome, /shutting down/);
});

test('status and logs of a deployed app come through Argo CD', async () => {
  const { double, commit } = await setup({ outcome: 'crash-loop' });
  const { client, outcome } = track(double, commit);
  await outcome;
  const status = await getAppStatus(client, { application: APP, project: SLUG });
  assert.equal(status.revision, commit);
  assert.equal(status.sync, 'Synced');
  assert.ok(status.unhealthy.some((u) => u.kind === 'Pod' && /CrashLoopBackOff/.test(u.message)));
  const lines = [];
  for await (const line of getLogs(client, { application: APP, project: SLUG }, { tail: 2 })) lines.push(line);
  assert.equal(lines.length, 4, 'two replicas, two lines each');
  assert.match(lines[1].line, /exiting with code 1/);
});

test('a missing app is a 404 with ?project=, never a bare 403', async () => {
  const { double } = await setup();
  const client = createArgoCdClient({ url: double.url, token: double.token });
  await assert.rejects(client.getApplication(`${SLUG}-nope-dev`, { project: SLUG }), (e: LocoError) => e.code === 'not-found.argocd-application');
});
