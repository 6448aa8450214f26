// The Kubernetes double and Loco's client against it: what the client reads from real-shaped
// Node and ResourceQuota lists, and the double's own contract check catching a drift.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createKubernetesClient, type NodeFacts, type QuotaFacts } from '../../api/kubernetes/client.ts';
import { startKubernetesDouble } from '../doubles/kubernetes/server.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loco-k8s-double-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

test('the client reads readiness, cordons, allocatable and the namespace quotas', async () => {
  const cluster = await startKubernetesDouble({
    nodes: [{ name: 'a', cpu: '3500m', memory: '16283820Ki' }, { name: 'b', cpu: '2', memory: '8Gi', ready: false }, { name: 'c', cpu: '2', memory: '8Gi', unschedulable: true }],
    quotas: { 'acme--web--api--dev': [{ name: 'compute', hard: { 'requests.cpu': '4', pods: '20' }, used: { 'requests.cpu': '1' } }, { name: 'be', hard: { pods: '2' }, scopes: ['BestEffort'] }] },
  });
  try {
    const client = createKubernetesClient({ kubeconfig: await cluster.writeKubeconfig(join(dir, 'kubeconfig')) });
    const facts = await client.readCluster('acme--web--api--dev');
    const nodes = facts.nodes as NodeFacts[];
    assert.deepEqual(nodes.map((n) => [n.name, n.ready, n.unschedulable, n.allocatable.cpu, n.allocatable.memory]), [
      ['a', true, false, '3500m', '16283820Ki'], ['b', false, false, '2', '8Gi'], ['c', true, true, '2', '8Gi'],
    ]);
    assert.deepEqual(facts.quotas as QuotaFacts[], [
      { name: 'compute', hard: { 'requests.cpu': '4', pods: '20' }, used: { 'requests.cpu': '1', pods: '0' }, scoped: false },
      { name: 'be', hard: { pods: '2' }, used: { pods: '0' }, scoped: true },
    ]);
    assert.deepEqual((await client.readCluster('elsewhere')).quotas, [], 'a namespace without quotas (or not created yet) lists none');
    assert.deepEqual(cluster.violations, []);
  } finally {
    await cluster.stop();
  }
});

test('a body that leaves the contract is not sent: the double answers 500 and records the violation', async () => {
  const cluster = await startKubernetesDouble({
    nodes: [{ name: 'a', cpu: '2', memory: '8Gi' }],
    quotas: { ns: [{ name: 'compute', hard: { pods: '2' } }] },
    tamper: (shape, body) => {
      if (shape === 'NodeList') body.items[0].status.allocatable.cpu = 2; // a number where the model has a quantity string
      if (shape === 'ResourceQuotaList') body.items[0].spec.hardLimits = {}; // not a ResourceQuotaSpec field
      return body;
    },
  });
  try {
    const facts = await createKubernetesClient({ kubeconfig: await cluster.writeKubeconfig(join(dir, 'tampered')) }).readCluster('ns');
    assert.match(String((facts.nodes as Error).message), /answered 500 to listing nodes/);
    assert.match(String((facts.quotas as Error).message), /answered 500 to listing the ResourceQuotas of namespace ns/);
    assert.ok(cluster.violations.some((v) => v === 'V1NodeList.items[0].status.allocatable.cpu: 2 is not a string'), cluster.violations.join('\n'));
    assert.ok(cluster.violations.some((v) => v.startsWith('ResourceQuotaList.items[0]/spec must NOT have additional properties')), cluster.violations.join('\n'));
    assert.ok(cluster.violations.some((v) => v === 'V1ResourceQuotaList.items[0].spec.hardLimits is not a field of V1ResourceQuotaSpec'), cluster.violations.join('\n'));
  } finally {
    await cluster.stop();
  }
});
