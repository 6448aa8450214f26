// The deploy preflight through the API (fastify.inject, embedded PGlite, real git): a change
// Kubernetes could never run fails as `rejected` before anything reaches the repository; one
// that fits is committed after a `preflight` event; a cluster that cannot be asked, or none
// configured, only costs a warning. The cluster is the HTTP double in test/doubles/kubernetes.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { namespaceFor, workspaceSlug } from '../../generator/names.ts';
import { optionsFromEnv } from '../../api/options.ts';
import { call, followEvents, startTestApi, within, type TestApi } from '../api/helpers.ts';
import { startKubernetesDouble, writeKubeconfig, type KubernetesDouble } from '../doubles/kubernetes/server.ts';

const WS = '/orgs/default/workspaces/default';
const SLUG = workspaceSlug('default', 'default');

function loco(name: string, size: { cpu: string; memory?: string; replicas?: number }): string {
  return `[Metadata]
ConfigVersion = 1
Name = "${name}"

[Resources]
CPU = "${size.cpu}"
Memory = "${size.memory ?? '256Mi'}"

[Resources.Replicas]
Min = ${size.replicas ?? 1}
Max = ${size.replicas ?? 1}

[Routing]
Port = 8080
`;
}

type Event = Awaited<ReturnType<typeof followEvents>>[number];

async function deploy(api: TestApi, app: string, size: { cpu: string; memory?: string; replicas?: number }) {
  const res = await call(api.app, api.adminToken, 'POST', `${WS}/apps/${app}/deployments`, { config: loco(app, size), profile: 'default', image: `registry.example.com/acme/${app}:1` });
  assert.equal(res.statusCode, 202, res.body);
  return finish(api, res.json().id);
}

async function finish(api: TestApi, id: string): Promise<{ deployment: Record<string, any>; events: Event[] }> {
  const events = await within(10_000, `deployment ${id} to finish`, followEvents(api.app, api.adminToken, id));
  const deployment = (await call(api.app, api.adminToken, 'GET', `/deployments/${id}`)).json();
  return { deployment, events };
}

/** The app's files on main and every commit message, read with the real git CLI. */
function onMain(api: TestApi, app: string): { files: string[]; log: string } {
  const gitdir = api.app.loco.store.gitdir(SLUG);
  const files = execFileSync('git', [`--git-dir=${gitdir}`, 'ls-tree', '-r', '--name-only', 'main'], { encoding: 'utf8' }).split('\n').filter((f) => f.startsWith(`apps/${app}/`));
  return { files, log: execFileSync('git', [`--git-dir=${gitdir}`, 'log', '--format=%B', 'main'], { encoding: 'utf8' }) };
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('LOCO_KUBECONFIG names the kubeconfig (made absolute); unset means no preflight', () => {
  assert.deepEqual(optionsFromEnv({ LOCO_KUBECONFIG: 'cluster/kubeconfig' }).kubernetes, { kubeconfig: join(process.cwd(), 'cluster/kubeconfig') });
  assert.equal(optionsFromEnv({}).kubernetes, undefined);
});

// Two Ready 2-CPU workers; the big one is NotReady and must not count.
const NODES = [{ name: 'worker-1', cpu: '2', memory: '8Gi' }, { name: 'worker-2', cpu: '2', memory: '8Gi' }, { name: 'worker-3', cpu: '16', memory: '64Gi', ready: false }];

describe('preflight against a cluster of two 2-CPU nodes', () => {
  let dir: string;
  let cluster: Awaited<ReturnType<typeof startKubernetesDouble>>;
  let api: TestApi;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loco-k8s-'));
    cluster = await startKubernetesDouble({ nodes: NODES });
    api = await startTestApi('pglite', { kubernetes: { kubeconfig: await cluster.writeKubeconfig(join(dir, 'kubeconfig')) } });
  });
  after(async () => {
    await api?.close();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a pod larger than every Ready node fails as rejected, says what to change, and commits nothing', async () => {
    const { deployment, events } = await deploy(api, 'big', { cpu: '4' });
    assert.equal(deployment.status, 'failed');
    assert.equal(deployment.reason, 'rejected');
    assert.equal(deployment.message, 'no node can ever run a pod of this size: asks 4 CPU, the largest node has 2');
    assert.match(deployment.nextStep, /^lower Resources\.CPU or Resources\.Memory .*in loco\.toml, or ask your cluster operator to add bigger nodes; nothing was committed$/);
    assert.deepEqual(events.map((e) => e.type), ['pending', 'image', 'failed']);
    assert.equal(events.at(-1)!.data?.reason, 'rejected');
    const main = onMain(api, 'big');
    assert.deepEqual(main.files, []);
    assert.doesNotMatch(main.log, new RegExp(deployment.id));
  });

  test('a release larger than the namespace ResourceQuota is rejected naming the quota', async () => {
    cluster.setQuotas(namespaceFor(SLUG, 'quota', 'default'), [{ name: 'team-compute', hard: { 'requests.cpu': '1', 'requests.memory': '4Gi', pods: '10' } }]);
    const { deployment } = await deploy(api, 'quota', { cpu: '500m', replicas: 3 });
    assert.equal(deployment.status, 'failed');
    assert.equal(deployment.reason, 'rejected');
    assert.equal(deployment.message, 'ResourceQuota team-compute in namespace default--default--quota--default allows requests.cpu 1, and this release needs 1.5 (3 × 500m)');
    assert.match(deployment.nextStep, /raise ResourceQuota team-compute/);
    assert.deepEqual(onMain(api, 'quota').files, []);
  });

  test('a release that fits is committed after a preflight event that says what was checked', async () => {
    cluster.setQuotas(namespaceFor(SLUG, 'fits', 'default'), [{ name: 'team-compute', hard: { 'requests.cpu': '4', pods: '10' }, used: { 'requests.cpu': '0', pods: '0' } }]);
    const { deployment, events } = await deploy(api, 'fits', { cpu: '250m', replicas: 2 });
    assert.equal(deployment.status, 'committed');
    assert.deepEqual(events.map((e) => e.type), ['pending', 'image', 'preflight', 'rendered', 'committed']);
    assert.equal(events[2].message, 'preflight passed: 2 × (250m CPU, 256Mi memory) for Deployment/fits; 2 of 3 nodes Ready and schedulable, the largest has 2 CPU and 8Gi memory; ResourceQuota team-compute allows it (pods 2 of 10, requests.cpu 500m of 4)');
    assert.ok(onMain(api, 'fits').files.includes('apps/fits/overlays/default/deployment-patch.yaml'));
    assert.match(onMain(api, 'fits').log, new RegExp(`Loco-Deployment: ${deployment.id}`));
    const asked = cluster.calls.map((c) => `${c.method} ${c.path} ${c.status}`);
    assert.ok(asked.includes('GET /api/v1/nodes 200'), asked.join('\n'));
    assert.ok(asked.includes('GET /api/v1/namespaces/default--default--fits--default/resourcequotas 200'), asked.join('\n'));
    assert.deepEqual(cluster.violations, []);
  });

  test('a scale beyond every node is rejected and the running release stays on main', async () => {
    const before = onMain(api, 'fits');
    const res = await call(api.app, api.adminToken, 'POST', `${WS}/apps/fits/scale`, { profile: 'default', cpu: '3' });
    assert.equal(res.statusCode, 202, res.body);
    const { deployment } = await finish(api, res.json().id);
    assert.equal(deployment.reason, 'rejected');
    assert.equal(deployment.message, 'no node can ever run a pod of this size: asks 3 CPU, the largest node has 2');
    assert.deepEqual(onMain(api, 'fits'), before);
  });

  test('too little room on the Ready nodes is a warning, not a failure', async () => {
    const { deployment, events } = await deploy(api, 'crowd', { cpu: '1500m', replicas: 3 });
    assert.equal(deployment.status, 'committed');
    const warning = events.find((e) => e.type === 'warning');
    assert.match(warning?.message ?? '', /^preflight: the 2 Ready nodes could hold at most 2 pods of this size .* asks for 3; the rest would stay Pending unless nodes are added$/);
    assert.match(events.find((e) => e.type === 'preflight')!.message, /^preflight passed with 1 warning: /);
  });

  test('a rollback is checked with the files it restores: to a release the shrunken cluster can no longer run, it is rejected', async () => {
    const large = await deploy(api, 'shrink', { cpu: '1500m' });
    const small = await deploy(api, 'shrink', { cpu: '500m' });
    assert.equal(small.deployment.status, 'committed');
    cluster.setNodes([{ name: 'worker-1', cpu: '1', memory: '8Gi' }]);
    try {
      const res = await call(api.app, api.adminToken, 'POST', `/deployments/${large.deployment.id}/rollback`, {});
      assert.equal(res.statusCode, 202, res.body);
      const { deployment } = await finish(api, res.json().id);
      assert.equal(deployment.reason, 'rejected');
      assert.equal(deployment.message, 'no node can ever run a pod of this size: asks 1.5 CPU, the largest node has 1');
      assert.doesNotMatch(onMain(api, 'shrink').log, /rollback\(shrink@default\)/);
      const patch = execFileSync('git', [`--git-dir=${api.app.loco.store.gitdir(SLUG)}`, 'show', 'main:apps/shrink/overlays/default/deployment-patch.yaml'], { encoding: 'utf8' });
      assert.match(patch, /cpu: 500m/, 'main still holds the small release');
    } finally {
      cluster.setNodes(NODES);
    }
  });
});

describe('preflight when the cluster cannot be asked', () => {
  let dir: string;
  let cluster: KubernetesDouble;
  const apis: TestApi[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loco-k8s-'));
    cluster = await startKubernetesDouble({ nodes: [{ name: 'worker-1', cpu: '2', memory: '8Gi' }] });
  });
  after(async () => {
    for (const api of apis) await api.close();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (kubeconfig?: string) => {
    const api = await startTestApi('pglite', kubeconfig ? { kubernetes: { kubeconfig } } : {});
    apis.push(api);
    return api;
  };

  test('credentials the Kubernetes API refuses (401) cost a warning and the deploy is committed', async () => {
    const api = await start(await writeKubeconfig(join(dir, 'expired'), cluster.url, 'an-expired-token'));
    const { deployment, events } = await deploy(api, 'unauthorized', { cpu: '4' });
    assert.equal(deployment.status, 'committed');
    const warnings = events.filter((e) => e.type === 'warning');
    assert.equal(warnings.length, 1, JSON.stringify(events));
    assert.equal(warnings[0].message, `preflight skipped: the Kubernetes API at ${cluster.url} refused the credentials in LOCO_KUBECONFIG (401 Unauthorized). Argo CD still applies the commit; Loco could not check node capacity or quotas first`);
    assert.ok(cluster.calls.some((c) => c.status === 401));
    assert.deepEqual(cluster.violations, []);
  });

  test('an unreachable Kubernetes API costs a warning and the deploy is committed', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const api = await start(await writeKubeconfig(join(dir, 'unreachable'), url, 'token'));
    const { deployment, events } = await deploy(api, 'unreachable', { cpu: '4' });
    assert.equal(deployment.status, 'committed');
    assert.match(events.find((e) => e.type === 'warning')?.message ?? '', new RegExp(`^preflight skipped: cannot reach the Kubernetes API at ${url} \\(ECONNREFUSED\\)\\. Argo CD still applies`));
  });

  test('without LOCO_KUBECONFIG each deploy says the preflight was skipped and is committed', async () => {
    const api = await start();
    const { deployment, events } = await deploy(api, 'unchecked', { cpu: '4' });
    assert.equal(deployment.status, 'committed');
    assert.deepEqual(events.map((e) => e.type), ['pending', 'image', 'preflight', 'rendered', 'committed']);
    assert.equal(events[2].message, 'preflight skipped: LOCO_KUBECONFIG is unset, so Loco did not check node readiness, capacity or quotas before the commit');
  });
});
