// The deploy preflight without a cluster: quantities, what a rendered overlay asks of the
// cluster, and the decision — refuse only what Kubernetes could certainly never run, warn
// about the rest, and say what was checked.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LocoError } from '../../generator/errors.ts';
import { parseConfig, renderApp, setOverrides } from '../../generator/index.ts';
import type { NodeFacts, QuotaFacts } from '../../api/kubernetes/client.ts';
import { decidePreflight, type PreflightVerdict } from '../../api/kubernetes/decide.ts';
import { formatCpu, formatMemory, parseQuantity } from '../../api/kubernetes/quantity.ts';
import { workloadDemands, type WorkloadDemand } from '../../api/kubernetes/workload.ts';

const Gi = 2 ** 30;
const Mi = 2 ** 20;

test('quantities parse the way Kubernetes reads them', () => {
  const cases: [unknown, number | undefined][] = [
    ['500m', 0.5], ['2', 2], ['0.5', 0.5], ['.5', 0.5], ['1.', 1], ['+1', 1], [2, 2], ['250m', 0.25], ['100n', 1e-7],
    ['1Gi', Gi], ['512Mi', 512 * Mi], ['1.5Gi', 1.5 * Gi], ['16283820Ki', 16283820 * 1024], ['1Ti', 2 ** 40],
    ['1e3', 1000], ['1E3', 1000], ['1.5e3', 1500], ['5e-1', 0.5], ['1E', 1e18], ['2.5k', 2500], ['1G', 1e9], ['128974848', 128974848],
    ['', undefined], ['abc', undefined], ['1.5.3', undefined], ['5 Gi', undefined], ['1Gib', undefined], ['1e', undefined], ['Mi', undefined],
    ['1K', undefined], [null, undefined], [Number.NaN, undefined],
  ];
  for (const [text, expected] of cases) {
    const got = parseQuantity(text);
    if (expected === undefined) assert.equal(got, undefined, `${JSON.stringify(text)} is not a quantity`);
    else assert.ok(got !== undefined && Math.abs(got - expected) <= expected * 1e-12, `${JSON.stringify(text)} → ${got}, expected ${expected}`);
  }
});

test('quantities print the way people write them', () => {
  assert.deepEqual([0.25, 0.1, 1, 2, 1.5, 3.25].map(formatCpu), ['250m', '100m', '1', '2', '1.5', '3.25']);
  assert.deepEqual([Gi, 512 * Mi, 16283820 * 1024, 1.5 * Gi, 2 ** 40, 1000].map(formatMemory), ['1Gi', '512Mi', '15.5Gi', '1.5Gi', '1Ti', '1000']);
});

// ---- what the rendered overlay asks for ----

const CONFIG = `[Metadata]
ConfigVersion = 1
Name = "api"

[Resources]
CPU = "250m"
Memory = "256Mi"

[Resources.Replicas]
Min = 2
Max = 2

[Routing]
Port = 8080

[Profile.dev]
CPU = "100m"
Replicas.Min = 1
Replicas.Max = 1

[Profile.prod]
CPU = "1"
Memory = "1Gi"
Replicas.Min = 3
Replicas.Max = 6
`;

function demands(text: string, profile: string, overrides?: string): WorkloadDemand[] {
  const config = parseConfig(text, 'loco.toml');
  const files = renderApp({ config, configText: text, profile, image: 'registry.example.com/acme/api:1', workspace: 'acme--web', ...(overrides ? { overrides } : {}) });
  return workloadDemands(files, config.name, profile);
}

test('a profile asks for its own replicas, requests and limits, merged from base and overlay patch', () => {
  assert.deepEqual(demands(CONFIG, 'dev'), [{ workload: 'Deployment/api', replicas: 1, requests: { cpu: 0.1, memory: 256 * Mi }, limits: { memory: 256 * Mi } }]);
});

test('with an autoscaler the Deployment has no replicas: the HorizontalPodAutoscaler minimum runs, its maximum is the ceiling', () => {
  assert.deepEqual(demands(CONFIG, 'prod'), [{ workload: 'Deployment/api', replicas: 3, maxReplicas: 6, requests: { cpu: 1, memory: Gi }, limits: { memory: Gi } }]);
});

test('a scale change is read from the overrides the commit carries, not from loco.toml', () => {
  const overrides = setOverrides('', 'dev', { replicas: 4, cpu: '2' });
  assert.deepEqual(demands(CONFIG, 'dev', overrides), [{ workload: 'Deployment/api', replicas: 4, requests: { cpu: 2, memory: 256 * Mi }, limits: { memory: 256 * Mi } }]);
});

test('a CronJob asks for the pod of one run', () => {
  const text = readFileSync(new URL('../../examples/cron-report/loco.toml', import.meta.url), 'utf8');
  assert.deepEqual(demands(text, 'dev'), [{ workload: 'CronJob/nightly-report', replicas: 1, requests: { cpu: 0.5, memory: Gi }, limits: { memory: Gi } }]);
});

test('a container without a request asks for its limit; init containers count when larger', () => {
  const files = new Map([
    ['apps/x/overlays/p/kustomization.yaml', 'resources: [w.yaml]\n'],
    ['apps/x/overlays/p/w.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: { name: x }
spec:
  replicas: 2
  template:
    spec:
      initContainers: [{ name: migrate, resources: { requests: { cpu: "3", memory: 64Mi } } }]
      containers:
        - { name: a, resources: { limits: { cpu: 500m, memory: 1Gi } } }
        - { name: b, resources: { requests: { cpu: "1", memory: 1Gi } } }
`]]);
  assert.deepEqual(workloadDemands(files, 'x', 'p'), [{ workload: 'Deployment/x', replicas: 2, requests: { cpu: 3, memory: 2 * Gi }, limits: {} }]);
});

// ---- the decision ----

const NS = 'acme--web--api--dev';
const node = (name: string, cpu: string, memory: string, extra: Partial<NodeFacts> = {}): NodeFacts => ({ name, ready: true, unschedulable: false, allocatable: { cpu, memory, pods: '110' }, ...extra });
const quota = (name: string, hard: Record<string, string>, used: Record<string, string> = {}, scoped = false): QuotaFacts => ({ name, hard, used, scoped });
const pods = (replicas: number, cpu: number, memory: number, extra: Partial<WorkloadDemand> = {}): WorkloadDemand[] => [{ workload: 'Deployment/api', replicas, requests: { cpu, memory }, limits: { memory }, ...extra }];
const decide = (workloads: WorkloadDemand[], nodes: NodeFacts[] | LocoError, quotas: QuotaFacts[] | LocoError = []): PreflightVerdict =>
  decidePreflight({ namespace: NS, workloads, cluster: { nodes, quotas } });
const twoNodes = [node('n1', '2', '8Gi'), node('n2', '2', '8Gi')];

test('a release that fits passes and says what was checked', () => {
  const v = decide(pods(2, 0.25, 256 * Mi), twoNodes, [quota('compute', { 'requests.cpu': '4', pods: '10' })]);
  assert.equal(v.rejection, undefined);
  assert.deepEqual(v.warnings, []);
  assert.deepEqual(v.checked, [
    '2 × (250m CPU, 256Mi memory) for Deployment/api',
    '2 of 2 nodes Ready and schedulable, the largest has 2 CPU and 8Gi memory',
    'ResourceQuota compute allows it (pods 2 of 10, requests.cpu 500m of 4)',
  ]);
});

const rejections: [string, WorkloadDemand[], NodeFacts[], QuotaFacts[], string, RegExp][] = [
  ['a cluster without nodes', pods(1, 0.1, Mi), [], [], 'rejected.no-ready-node', /^no node can run pods now: the cluster has no nodes$/],
  ['only NotReady and cordoned nodes', pods(1, 0.1, Mi), [node('a', '4', '8Gi', { ready: false }), node('b', '4', '8Gi', { unschedulable: true })], [], 'rejected.no-ready-node',
    /^no node can run pods now: of 2 nodes, 1 NotReady and 1 cordoned \(unschedulable\)$/],
  ['a pod with more CPU than any node', pods(1, 4, Gi), twoNodes, [], 'rejected.pod-too-big', /^no node can ever run a pod of this size: asks 4 CPU, the largest node has 2$/],
  ['a pod with more memory than any node', pods(1, 1, 32 * Gi), [node('n', '4', '16283820Ki')], [], 'rejected.pod-too-big',
    /^no node can ever run a pod of this size: asks 32Gi memory, the largest node has 15\.5Gi$/],
  ['a pod that fits only a node that is NotReady', pods(1, 4, Gi), [node('big', '8', '32Gi', { ready: false }), node('small', '2', '4Gi')], [], 'rejected.pod-too-big', /asks 4 CPU, the largest node has 2$/],
  ['a pod whose CPU fits one node and memory another, but no node both', pods(1, 2, 4 * Gi), [node('cpu', '4', '2Gi'), node('mem', '1', '8Gi')], [], 'rejected.pod-too-big',
    /asks 2 CPU, 4Gi memory, and no node has both/],
  ['more requested CPU than the quota allows', pods(3, 0.5, 256 * Mi), twoNodes, [quota('team-compute', { 'requests.cpu': '1', pods: '10' })], 'rejected.quota',
    /^ResourceQuota team-compute in namespace acme--web--api--dev allows requests\.cpu 1, and this release needs 1\.5 \(3 × 500m\)$/],
  ['more pods than the quota allows, under the legacy key', pods(4, 0.1, Mi), twoNodes, [quota('pods', { 'count/pods': '3' })], 'rejected.quota', /allows count\/pods 3, and this release needs 4 \(4 pods\)/],
  ['more memory than the quota allows, under the old name', pods(2, 0.1, Gi), twoNodes, [quota('mem', { memory: '1.5Gi' })], 'rejected.quota', /allows memory 1\.5Gi, and this release needs 2Gi \(2 × 1Gi\)/],
];

for (const [what, workloads, nodes, quotas, code, message] of rejections) {
  test(`rejected: ${what}`, () => {
    const v = decide(workloads, nodes, quotas);
    assert.ok(v.rejection, `expected a rejection, got ${JSON.stringify(v)}`);
    assert.equal(v.rejection.code, code);
    assert.match(v.rejection.message, message);
    assert.match(v.rejection.hint, /nothing was committed/);
  });
}

test('the hint of a pod too big names the loco.toml keys to lower', () => {
  assert.match(decide(pods(1, 4, Gi), twoNodes).rejection!.hint, /^lower Resources\.CPU or Resources\.Memory .* in loco\.toml, or ask your cluster operator to add bigger nodes/);
});

const warnings: [string, WorkloadDemand[], NodeFacts[] | LocoError, QuotaFacts[] | LocoError, RegExp][] = [
  ['more replicas than the empty nodes could hold', pods(5, 0.5, 256 * Mi), [node('a', '1', '8Gi'), node('b', '1', '8Gi')], [],
    /^preflight: the 2 Ready nodes could hold at most 4 pods of this size .* and Deployment\/api asks for 5/],
  ['a quota that fits the release only once the running pods go away', pods(2, 0.5, Mi), twoNodes, [quota('compute', { 'requests.cpu': '2' }, { 'requests.cpu': '1500m' })],
    /ResourceQuota compute .* has requests\.cpu 1\.5 of 2 in use and this release needs 1; it fits only as the running pods go away/],
  ['a quota the release exceeds but whose scopes Loco does not evaluate', pods(3, 1, Mi), twoNodes, [quota('best-effort', { pods: '1' }, {}, true)], /allows pods 1, .*\(if its scopes select these pods\)/],
  ['a quota counting CPU limits that Loco pods do not set', pods(1, 0.5, Mi), twoNodes, [quota('limits', { 'limits.cpu': '4' })], /counts limits\.cpu, but the pods of Deployment\/api set no limit for cpu/],
  ['a quota below the autoscaler maximum', pods(2, 1, Mi, { maxReplicas: 6 }), [node('a', '8', '8Gi')], [quota('compute', { 'requests.cpu': '4' })], /less than the autoscaler's maximum needs \(6\)/],
  ['nodes that may not be listed', pods(1, 0.1, Mi), new LocoError('upstream.kubernetes-forbidden', 'the Kubernetes API at https://k does not allow listing nodes (403 Forbidden)', 'grant'), [],
    /^preflight skipped the node checks: .*403 Forbidden/],
  ['an unreachable Kubernetes API', pods(1, 0.1, Mi), new LocoError('unavailable.kubernetes', 'cannot reach the Kubernetes API at https://k (ECONNREFUSED)', 'ask'),
    new LocoError('unavailable.kubernetes', 'cannot reach the Kubernetes API at https://k (ECONNREFUSED)', 'ask'), /^preflight skipped: cannot reach the Kubernetes API at https:\/\/k \(ECONNREFUSED\)\. Argo CD still applies the commit/],
];

for (const [what, workloads, nodes, quotas, message] of warnings) {
  test(`only a warning: ${what}`, () => {
    const v = decide(workloads, nodes, quotas);
    assert.equal(v.rejection, undefined, v.rejection?.message);
    assert.equal(v.warnings.length, 1, JSON.stringify(v.warnings));
    assert.match(v.warnings[0].message, message);
  });
}

test('with no API answer nothing is reported as checked', () => {
  const down = new LocoError('unavailable.kubernetes', 'cannot reach the Kubernetes API at https://k', 'ask');
  assert.deepEqual(decide(pods(1, 0.1, Mi), down, down).checked, []);
});

test('a release with no replicas is not refused for want of nodes', () => {
  const v = decide(pods(0, 64, Gi), []);
  assert.equal(v.rejection, undefined);
  assert.deepEqual(v.checked, ['no pods to place (0 replicas)', `no ResourceQuota in namespace ${NS}`]);
});
