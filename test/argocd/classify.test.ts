// classifyOutcome as a pure function: every rule of DESIGN.md "Deployment lifecycle", with
// Application and resource-tree objects shaped as Argo CD sends them. No servers.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyOutcome, findCause, type ClassifyContext } from '../../api/argocd/index.ts';
import type { Application, ApplicationTree } from '../../api/argocd/types.ts';

const REV = 'c0ffee1234567890c0ffee1234567890c0ffee12';
const OLD = 'dead000000000000000000000000000000000000';
const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');
const ctx = (over: Partial<ClassifyContext> = {}): ClassifyContext => ({ revision: REV, startedAt: T0, now: T0 + 20_000, ...over });

/** An app whose automated sync of `revision` finished at +10 s and was reconciled at +11 s. */
function app(over: { phase?: string; opRevision?: string; sync?: string; syncRevision?: string; health?: string; reconciledAt?: string; finishedAt?: string | null; conditions?: { type: string; message: string }[]; running?: boolean; opMessage?: string; results?: object[]; resources?: object[] } = {}): Application {
  const opRevision = over.opRevision ?? REV;
  const finishedAt = over.finishedAt === null ? undefined : over.finishedAt ?? at(10);
  return {
    metadata: { name: 'acme-web-api-dev', resourceVersion: '7' },
    ...(over.running ? { operation: { sync: { revision: opRevision }, initiatedBy: { automated: true } } } : {}),
    status: {
      sync: { status: over.sync ?? 'Synced', revision: over.syncRevision ?? REV },
      health: { status: over.health ?? 'Healthy' },
      reconciledAt: over.reconciledAt ?? at(11),
      operationState: {
        phase: over.phase ?? 'Succeeded',
        message: over.opMessage ?? 'successfully synced (all tasks run)',
        startedAt: at(5),
        ...(finishedAt ? { finishedAt } : {}),
        operation: { sync: { revision: opRevision }, initiatedBy: { automated: true } },
        syncResult: { revision: opRevision, resources: (over.results as never) ?? [] },
      },
      conditions: over.conditions,
      resources: (over.resources as never) ?? [{ group: 'apps', kind: 'Deployment', name: 'api', namespace: 'acme-web-api-dev', status: 'Synced', health: { status: over.health ?? 'Healthy' } }],
    },
  };
}

function podTree(reason: string, message: string, health = 'Degraded'): ApplicationTree {
  return {
    nodes: [
      { group: 'apps', kind: 'Deployment', name: 'api', namespace: 'ns', health: { status: 'Progressing', message: 'Waiting for rollout to finish: 0 of 2 updated replicas are available...' } },
      { group: 'apps', kind: 'ReplicaSet', name: 'api-5d', namespace: 'ns', parentRefs: [{ kind: 'Deployment', name: 'api' }] },
      { kind: 'Pod', name: 'api-5d-x1', namespace: 'ns', parentRefs: [{ kind: 'ReplicaSet', name: 'api-5d' }], info: [{ name: 'Status Reason', value: reason }], health: { status: health, message }, images: ['registry.example.com/api:v2'] },
    ],
  };
}

test('before Argo CD has seen the commit the deployment is waiting', () => {
  const c = classifyOutcome(app({ opRevision: OLD, syncRevision: OLD }), undefined, ctx());
  assert.equal(c.state, 'waiting');
  assert.match(c.message, /waiting for Argo CD to sync commit c0ffee1 \(now at dead000\)/);
});

test('a running automated operation on the commit is syncing', () => {
  const c = classifyOutcome(app({ phase: 'Running', running: true, finishedAt: null, sync: 'OutOfSync', opMessage: 'waiting for healthy state of apps/Deployment/api' }), undefined, ctx());
  assert.equal(c.state, 'syncing');
  assert.match(c.message, /waiting for healthy state/);
});

test('a finished Succeeded sync is not success: health read before reconciledAt >= finishedAt is not trusted', () => {
  const c = classifyOutcome(app({ reconciledAt: at(9), finishedAt: at(10) }), undefined, ctx({ healthySince: T0 }));
  assert.equal(c.state, 'progressing');
  assert.equal(c.isHealthy, false);
});

test('succeeded needs the sync revision to be the commit and status Synced', () => {
  assert.equal(classifyOutcome(app({ syncRevision: OLD }), undefined, ctx({ healthySince: T0 })).state, 'progressing');
  assert.equal(classifyOutcome(app({ sync: 'OutOfSync' }), undefined, ctx({ healthySince: T0 })).state, 'progressing');
});

test('Healthy must hold for the debounce before succeeded; wakeAt says when to look again', () => {
  const first = classifyOutcome(app(), undefined, ctx());
  assert.equal(first.state, 'progressing');
  assert.equal(first.isHealthy, true);
  assert.equal(first.wakeAt, T0 + 20_000 + 5_000);
  const held = classifyOutcome(app(), undefined, ctx({ healthySince: T0 + 15_000 }));
  assert.equal(held.state, 'succeeded');
  const custom = classifyOutcome(app(), undefined, ctx({ healthySince: T0 + 15_000, healthyDebounceMs: 10_000 }));
  assert.equal(custom.state, 'progressing');
});

test('a commit that changed nothing in the overlay (no operation) succeeds once Synced to it and Healthy', () => {
  const c = classifyOutcome(app({ opRevision: OLD, reconciledAt: at(12) }), undefined, ctx({ healthySince: T0 }));
  assert.equal(c.state, 'succeeded');
});

test('a failed operation is sync-failed with the operation message and per-resource results', () => {
  const c = classifyOutcome(
    app({
      phase: 'Failed',
      opMessage: 'one or more objects failed to apply, reason: error validating data: ValidationError(Deployment.spec): unknown field "replica"',
      results: [
        { group: 'apps', version: 'v1', kind: 'Deployment', name: 'api', namespace: 'ns', status: 'SyncFailed', message: 'error validating data: ValidationError(Deployment.spec): unknown field "replica"' },
        { version: 'v1', kind: 'Service', name: 'api', namespace: 'ns', status: 'Synced', message: 'service/api configured' },
      ],
    }),
    undefined,
    ctx(),
  );
  assert.equal(c.state, 'failed');
  assert.equal(c.reason, 'sync-failed');
  assert.match(c.message, /one or more objects failed to apply.*\(Deployment\/api: error validating data/);
  assert.deepEqual(c.data.resources?.map((r) => r.kind), ['Deployment']);
  assert.match(c.nextStep!, /loco render/);
});

test('a sync the project refuses is rejected', () => {
  const c = classifyOutcome(app({ phase: 'Failed', opMessage: 'one or more synchronization tasks are not valid', results: [{ kind: 'ClusterRole', name: 'x', status: 'SyncFailed', message: 'resource rbac.authorization.k8s.io:ClusterRole is not permitted in project acme-web' }] }), undefined, ctx());
  assert.equal(c.reason, 'rejected');
  assert.match(c.nextStep!, /project/);
});

test('ComparisonError fails at once as invalid-config with its message', () => {
  const message = 'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = `kustomize build` failed exit status 1: Error: missing.yaml not found';
  const c = classifyOutcome(app({ opRevision: OLD, sync: 'Unknown', conditions: [{ type: 'ComparisonError', message }] }), undefined, ctx({ now: T0 + 1000 }));
  assert.equal(c.state, 'failed');
  assert.equal(c.reason, 'invalid-config');
  assert.match(c.message, /ComparisonError: Failed to load target state/);
});

test('InvalidSpecError naming a destination the project denies is rejected', () => {
  const c = classifyOutcome(app({ opRevision: OLD, conditions: [{ type: 'InvalidSpecError', message: "application destination server 'https://kubernetes.default.svc' and namespace 'kube-system' do not match any of the allowed destinations in project 'acme-web'; namespace kube-system is not permitted in project" }] }), undefined, ctx());
  assert.equal(c.reason, 'rejected');
});

test('a SyncError about an older revision, on an app not yet compared again, does not fail this deployment', () => {
  const stale = app({ opRevision: OLD, syncRevision: OLD, reconciledAt: at(-60), conditions: [{ type: 'SyncError', message: `Failed last sync attempt to [${OLD}]: one or more objects failed to apply` }] });
  assert.equal(classifyOutcome(stale, undefined, ctx()).state, 'waiting');
  const ours = app({ opRevision: OLD, syncRevision: OLD, reconciledAt: at(-60), conditions: [{ type: 'SyncError', message: `Failed last sync attempt to [${REV}]: quota` }] });
  assert.equal(classifyOutcome(ours, undefined, ctx()).state, 'failed');
});

test('Degraded fails at once as degraded with the unhealthy resources and the pod cause', () => {
  const c = classifyOutcome(
    app({ health: 'Degraded', resources: [{ group: 'apps', kind: 'Deployment', name: 'api', status: 'Synced', health: { status: 'Degraded', message: 'Deployment "api" exceeded its progress deadline' } }] }),
    podTree('CrashLoopBackOff', 'back-off 5m0s restarting failed container=api'),
    ctx(),
  );
  assert.equal(c.reason, 'degraded');
  assert.match(c.message, /Deployment\/api: Deployment "api" exceeded its progress deadline \(Pod\/api-5d-x1: CrashLoopBackOff/);
  assert.match(c.nextStep!, /loco logs/);
});

test('while Progressing, ImagePullBackOff on a pod is shown at once and fails after the grace', () => {
  const tree = podTree('ImagePullBackOff', 'Back-off pulling image "registry.example.com/api:v2"');
  const early = classifyOutcome(app({ health: 'Progressing' }), tree, ctx());
  assert.equal(early.state, 'progressing');
  assert.equal(early.cause?.code, 'image-pull');
  assert.match(early.message, /Pod\/api-5d-x1: ImagePullBackOff: Back-off pulling image/);
  assert.match(early.nextStep!, /cannot pull image registry.example.com\/api:v2/);
  assert.equal(early.wakeAt, T0 + 20_000 + 30_000);
  const late = classifyOutcome(app({ health: 'Progressing' }), tree, ctx({ causeSince: T0 + 20_000 - 30_000 }));
  assert.equal(late.state, 'failed');
  assert.equal(late.reason, 'degraded');
  const shortGrace = classifyOutcome(app({ health: 'Progressing' }), tree, ctx({ causeSince: T0 + 19_000, causeGraceMs: 1000 }));
  assert.equal(shortGrace.state, 'failed');
});

test('ErrImagePull, CrashLoopBackOff and OOMKilled pods are fatal causes too', () => {
  for (const [reason, code] of [['ErrImagePull', 'image-pull'], ['CrashLoopBackOff', 'crash-loop'], ['OOMKilled', 'oom-killed']]) {
    const c = classifyOutcome(app({ health: 'Progressing' }), podTree(reason, 'x'), ctx({ causeSince: T0 - 10_000 }));
    assert.equal(c.cause?.code, code, reason);
    assert.equal(c.state, 'failed', reason);
  }
});

test('a failing probe is shown with a next step but not failed early (it may still pass)', () => {
  const c = classifyOutcome(app({ health: 'Progressing' }), podTree('Running', 'Readiness probe failed: HTTP probe failed with statuscode: 503'), ctx({ causeSince: T0 }));
  assert.equal(c.state, 'progressing');
  assert.equal(c.cause?.code, 'probe-failed');
  assert.match(c.nextStep!, /\[Health\] in loco.toml: Path and Port/);
});

test('a healthy pod is no cause', () => {
  const c = classifyOutcome(app({ health: 'Progressing' }), podTree('Running', '', 'Healthy'), ctx());
  assert.equal(c.cause, undefined);
  assert.match(c.message, /Progressing: Deployment\/api: Waiting for rollout/);
});

test('after the progress deadline the deployment times out with its last state and a next step', () => {
  const c = classifyOutcome(app({ health: 'Progressing' }), podTree('Running', 'Readiness probe failed: 503'), ctx({ now: T0 + 600_000 }));
  assert.equal(c.reason, 'timeout');
  assert.match(c.message, /progress deadline \(10 min\).*last state: progressing/);
  assert.match(c.nextStep!, /\[Health\] in loco.toml: Path and Port/);
  const never = classifyOutcome(app({ opRevision: OLD, syncRevision: OLD }), undefined, ctx({ now: T0 + 120_000, progressDeadlineMs: 120_000 }));
  assert.equal(never.reason, 'timeout');
  assert.match(never.nextStep!, /ApplicationSet/);
});

test('wakeAt never lies beyond the progress deadline', () => {
  const c = classifyOutcome(app({ health: 'Progressing' }), podTree('ImagePullBackOff', 'x'), ctx({ progressDeadlineMs: 25_000 }));
  assert.equal(c.wakeAt, T0 + 25_000);
  assert.equal(classifyOutcome(app({ phase: 'Running', running: true, finishedAt: null }), undefined, ctx()).wakeAt, T0 + 600_000);
});

test('each common cause maps to a plain-language next step', () => {
  const cases: [string, string, RegExp][] = [
    ['Back-off pulling image "x"', 'image-pull', /pull/],
    ['ErrImagePull', 'image-pull', /registry/],
    ['CrashLoopBackOff', 'crash-loop', /loco logs/],
    ['OOMKilled', 'oom-killed', /Resources.Memory/],
    ['Liveness probe failed: connection refused', 'probe-failed', /\[Health\] in loco.toml: Path and Port/],
    ['pods "api-1" is forbidden: exceeded quota: compute, requested: cpu=2', 'quota-exceeded', /quota/],
    ['error validating data: ValidationError(Deployment.spec): unknown field "x"', 'invalid-manifest', /loco render/],
    ['namespace kube-system is not permitted in project acme-web', 'project-denied', /platform operator/],
    ['0/3 nodes are available: 3 Insufficient memory', 'unschedulable', /capacity/],
  ];
  for (const [message, code, step] of cases) {
    const rule = findCause([message]);
    assert.equal(rule?.code, code, message);
    assert.match(rule.nextStep({ images: ['img'] }), step, message);
  }
});
