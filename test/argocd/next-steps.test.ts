// Every Degraded case of the kinds Loco renders (test/argocd/degraded-cases.ts) gets its own
// cause and next step, not the pods' generic one; a resource's message that happens to say
// "forbidden" is not taken for Argo CD's project refusing the app.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyOutcome, type ClassifyContext } from '../../api/argocd/index.ts';
import type { Application, ApplicationTree } from '../../api/argocd/types.ts';
import { DEGRADED_CASES } from './degraded-cases.ts';

const REV = 'c0ffee1234567890c0ffee1234567890c0ffee12';
const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');
const ctx: ClassifyContext = { revision: REV, startedAt: T0, now: T0 + 20_000 };
const GENERIC = /did not become ready/;

/** A synced app, Degraded because of one resource; its Deployment is fine. */
function degradedBy(kind: string, group: string, name: string, message: string): { app: Application; tree: ApplicationTree } {
  const resources = [
    { group: 'apps', kind: 'Deployment', name: 'api', namespace: 'ns', status: 'Synced', health: { status: 'Healthy' } },
    { group, kind, name, namespace: 'ns', status: 'Synced', health: { status: 'Degraded', message } },
  ];
  const app: Application = {
    metadata: { name: 'acme--web--api--dev', resourceVersion: '7' },
    status: {
      sync: { status: 'Synced', revision: REV },
      health: { status: 'Degraded' },
      reconciledAt: at(11),
      operationState: { phase: 'Succeeded', message: 'successfully synced (all tasks run)', startedAt: at(5), finishedAt: at(10), operation: { sync: { revision: REV } }, syncResult: { revision: REV, resources: [] } },
      resources: resources as never,
    },
  };
  return { app, tree: { nodes: resources.map(({ status: _s, ...n }) => n) as never } };
}

for (const c of DEGRADED_CASES) {
  test(`Degraded ${c.kind}: ${c.name} gets its own cause and next step`, () => {
    const { app, tree } = degradedBy(c.kind, c.group, c.resource, c.message);
    const out = classifyOutcome(app, tree, ctx);
    assert.equal(out.state, 'failed');
    assert.equal(out.reason, 'degraded');
    assert.equal(out.causeCode, c.code);
    assert.match(out.message, new RegExp(`${c.kind}/${c.resource}: `));
    assert.doesNotMatch(out.nextStep!, GENERIC);
    assert.match(out.nextStep!, c.nextStep);
  });
}

test('every kind Loco renders that Argo CD can call Degraded has a case', () => {
  const kinds = new Set(DEGRADED_CASES.map((c) => c.kind));
  for (const kind of ['HorizontalPodAutoscaler', 'HTTPRoute', 'GRPCRoute', 'CronJob', 'Job', 'PodDisruptionBudget']) assert.ok(kinds.has(kind), kind);
});

test('"forbidden" or "permission denied" in a resource\'s health message is not a project denial', () => {
  for (const [kind, group, message] of [
    ['HorizontalPodAutoscaler', 'autoscaling', 'the HPA was unable to compute the replica count: unable to get metrics: pods.metrics.k8s.io is forbidden: User "system:serviceaccount:kube-system:horizontal-pod-autoscaler" cannot list resource'],
    ['HTTPRoute', 'gateway.networking.k8s.io', 'Parent loco-gateway: backend reference to another namespace is not permitted'],
    ['CronJob', 'batch', 'CronJob has not completed its last execution successfully: permission denied'],
  ]) {
    const { app, tree } = degradedBy(kind, group, 'x', message);
    const out = classifyOutcome(app, tree, ctx);
    assert.equal(out.reason, 'degraded', message);
    assert.doesNotMatch(out.nextStep!, /project for this workspace refuses/, message);
  }
});

test('a pod cause still wins over its Job: ImagePullBackOff in a run gets the image step', () => {
  const { app, tree } = degradedBy('Job', 'batch', 'report-1', 'Job has reached the specified backoff limit');
  tree.nodes!.push({ kind: 'Pod', name: 'report-1-abc', namespace: 'ns', parentRefs: [{ kind: 'Job', name: 'report-1' }], info: [{ name: 'Status Reason', value: 'ImagePullBackOff' }], health: { status: 'Degraded', message: 'Back-off pulling image "ghcr.io/acme/report:9"' }, images: ['ghcr.io/acme/report:9'] } as never);
  const out = classifyOutcome(app, tree, ctx);
  assert.equal(out.causeCode, 'image-pull');
  assert.match(out.nextStep!, /ghcr\.io\/acme\/report:9/);
});
