// A rebuild from git restores how deployments ended, not just that they were committed: the
// outcome notes under refs/notes/loco carry succeeded/failed, the reason, the finish time and
// a promotion's approver — who need not exist in the new database. Argo CD double, PostgreSQL.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argoApplicationName, workspaceSlug } from '../../generator/names.ts';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { call, config, createTestDatabase, followEvents, startTestApi, userWithToken, type TestApi, type TestDatabase } from '../api/helpers.ts';

const SLUG = workspaceSlug('default', 'default');
const ws = '/orgs/default/workspaces/default';
let argocd: ArgoCdDouble;
let api: TestApi;
let dataDir: string;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'loco-outcomes-'));
  const database = await createTestDatabase('postgresql');
  argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`) });
  api = await startTestApi('postgresql', { argocd: { url: argocd.url, token: argocd.token }, progressDeadlineSeconds: 20 }, { dataDir, database });
  cleanups.push(async () => { await api.close(); await database.drop(); });
});

after(async () => {
  for (const fn of cleanups.reverse()) await fn();
  await argocd?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function deployed(app: string, profile: string, image: string) {
  const res = await call(api.app, api.adminToken, 'POST', `${ws}/apps/${app}/deployments`, { config: config(app, image), profile, image });
  assert.equal(res.statusCode, 202, res.body);
  await followEvents(api.app, api.adminToken, res.json().id);
  return (await call(api.app, api.adminToken, 'GET', `/deployments/${res.json().id}`)).json();
}

test('a rebuild from git restores outcomes, reasons, finish times and an approver the new database does not know', async () => {
  const bob = await userWithToken(api.app, 'bob');
  assert.equal((await call(api.app, api.adminToken, 'POST', `${ws}/members`, { user: 'bob', role: 'deploy' })).statusCode, 201);
  const dev = await deployed('shop', 'dev', 'registry.example.com/acme/shop:1.0.0');
  assert.equal(dev.status, 'succeeded', dev.message);
  argocd.setScenario(argoApplicationName(SLUG, 'broken', 'dev'), { outcome: 'comparison-error' });
  const broken = await deployed('broken', 'dev', 'registry.example.com/acme/broken:1.0.0');
  assert.equal(broken.status, 'failed');

  const opened = await call(api.app, api.adminToken, 'POST', `${ws}/apps/shop/promotions`, { from: 'dev', to: 'prod' });
  assert.equal(opened.statusCode, 201, opened.body);
  assert.equal((await call(api.app, bob, 'POST', `/promotions/${opened.json().id}/approve`)).statusCode, 200);
  const merged = await call(api.app, api.adminToken, 'POST', `/promotions/${opened.json().id}/merge`);
  assert.equal(merged.statusCode, 202, merged.body);
  const prod = merged.json().deployment;
  await followEvents(api.app, api.adminToken, prod.id);

  const gitdir = api.app.loco.store.gitdir(SLUG);
  const note = execFileSync('git', [`--git-dir=${gitdir}`, 'notes', '--ref=loco', 'show', prod.commit], { encoding: 'utf8' });
  assert.match(note, new RegExp(`^Loco-Deployment: ${prod.id}\\nLoco-Outcome: succeeded\\n`, 'm'));
  assert.match(note, /^Loco-Approved-By: bob$/m);

  const answer = (entries: Record<string, any>[]) => entries.filter((e) => e.deploymentId).map((e) => ({
    commit: e.commit, deploymentId: e.deploymentId, outcome: e.outcome, reason: e.reason, finishedAt: e.finishedAt, approver: e.pullRequest?.approver,
  }));
  const before = answer((await call(api.app, api.adminToken, 'GET', `${ws}/history`)).json());
  assert.deepEqual(before.map((e) => [e.deploymentId, e.outcome, e.approver]), [[prod.id, 'succeeded', 'bob'], [broken.id, 'failed', undefined], [dev.id, 'succeeded', undefined]]);

  // A second Loco on an empty database over the same repositories; bob never signs up there.
  const empty: TestDatabase = await createTestDatabase('postgresql');
  const fresh = await startTestApi('postgresql', {}, { dataDir, database: empty });
  cleanups.push(async () => { await fresh.close(); await empty.drop(); });
  const rebuilt = await call(fresh.app, fresh.adminToken, 'POST', `${ws}/admin/rebuild-from-git`);
  assert.equal(rebuilt.statusCode, 200, rebuilt.body);
  assert.equal(rebuilt.json().promotions, 1);

  assert.deepEqual(answer((await call(fresh.app, fresh.adminToken, 'GET', `${ws}/history`)).json()), before);
  const restored = (await call(fresh.app, fresh.adminToken, 'GET', `/deployments/${broken.id}`)).json();
  assert.equal(restored.status, 'failed');
  assert.equal(restored.reason, broken.reason);
  assert.equal(restored.finishedAt, broken.finishedAt);
  const verify = (await call(fresh.app, fresh.adminToken, 'GET', `${ws}/audit/verify`)).json();
  assert.deepEqual(verify.findings, []);
  assert.deepEqual(verify.inGit, { deployments: 3, outcomes: 3 });
  assert.deepEqual(argocd.violations, []);
});
