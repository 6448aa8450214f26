// A promotion gets the same certain-failure preflight as a direct deploy, at merge time: prod's
// profile asks for pods no node can run, so the merge is refused (409) and main does not move;
// dev, which fits, went through. With the Argo CD double (a promotion needs a succeeded
// release) and the Kubernetes double.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { workspaceSlug } from '../../generator/names.ts';
import { call, createTestDatabase, followEvents, startTestApi, userWithToken, within } from '../api/helpers.ts';
import { startArgoCdDouble } from '../doubles/argocd/server.ts';
import { startKubernetesDouble } from '../doubles/kubernetes/server.ts';

const WS = '/orgs/default/workspaces/default';
const CONFIG = `[Metadata]
Name = "shop"

[Resources]
CPU = "1"
Memory = "256Mi"

[Routing]
Port = 8080

[Profile.dev]

[Profile.prod]
Resources.CPU = "3"
`;

test('merging a promotion whose target pods no node can run is refused, and main does not move', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'loco-k8s-promote-'));
  const cluster = await startKubernetesDouble({ nodes: [{ name: 'worker-1', cpu: '2', memory: '8Gi' }, { name: 'worker-2', cpu: '2', memory: '8Gi' }] });
  const argocd = await startArgoCdDouble({ repoPath: (slug) => join(dir, 'repos', `${slug}.git`) });
  const api = await startTestApi('pglite', {
    kubernetes: { kubeconfig: await cluster.writeKubeconfig(join(dir, 'kubeconfig')) },
    argocd: { url: argocd.url, token: argocd.token, healthySeconds: 0.2 },
  }, { dataDir: dir, database: await createTestDatabase('pglite') });
  try {
    const admin = api.adminToken;
    const bob = await userWithToken(api.app, 'bob');
    assert.equal((await call(api.app, admin, 'POST', `${WS}/members`, { user: 'bob', role: 'deploy' })).statusCode, 201);
    const dev = await call(api.app, admin, 'POST', `${WS}/apps/shop/deployments`, { config: CONFIG, profile: 'dev', image: 'registry.example.com/acme/shop:1' });
    assert.equal(dev.statusCode, 202, dev.body);
    await within(30_000, 'dev succeeds', followEvents(api.app, admin, dev.json().id));
    assert.equal((await call(api.app, admin, 'GET', `/deployments/${dev.json().id}`)).json().status, 'succeeded');

    const opened = await call(api.app, admin, 'POST', `${WS}/apps/shop/promotions`, { from: 'dev', to: 'prod' });
    assert.equal(opened.statusCode, 201, opened.body);
    const id = opened.json().id;
    assert.equal((await call(api.app, bob, 'POST', `/promotions/${id}/approve`)).statusCode, 200);

    const gitdir = join(dir, 'repos', `${workspaceSlug('default', 'default')}.git`);
    const head = execFileSync('git', [`--git-dir=${gitdir}`, 'rev-parse', 'main'], { encoding: 'utf8' }).trim();
    const merge = await call(api.app, admin, 'POST', `/promotions/${id}/merge`);
    assert.equal(merge.statusCode, 409, merge.body);
    const problem = merge.json();
    assert.equal(problem.code, 'conflict.preflight');
    assert.match(problem.detail, new RegExp(`promotion ${id} cannot be merged: no node can ever run a pod of this size: asks 3 CPU`));
    assert.match(problem.hint, /CPU/);
    assert.equal(execFileSync('git', [`--git-dir=${gitdir}`, 'rev-parse', 'main'], { encoding: 'utf8' }).trim(), head, 'main did not move');
    assert.equal((await call(api.app, admin, 'GET', `/promotions/${id}`)).json().status, 'approved', 'the promotion stays open to fix or close');
    assert.deepEqual([...cluster.violations, ...argocd.violations], []);
  } finally {
    await api.close();
    await argocd.stop();
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
