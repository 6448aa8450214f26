// Argo CD follows the branch head: when another app's deploy lands between our commit and Argo
// CD's reconcile, our app is synced straight to that later commit. If it holds our app/profile's
// files unchanged, the deployment is judged on it (and succeeds); if a later commit changed
// them again, ours was replaced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitopsStore } from '../../api/gitops/index.ts';
import { releaseAt } from '../../api/deployments/tracking.ts';
import { startArgoCdDouble } from '../doubles/argocd/server.ts';
import { argoApplicationName, workspaceSlug } from '../../generator/names.ts';
import { call, config, createTestDatabase, followEvents, startTestApi, within } from './helpers.ts';

const ws = '/orgs/default/workspaces/default';
const SLUG = workspaceSlug('default', 'default');

test('a deploy whose app Argo CD syncs straight to a later head (another app deployed meanwhile) succeeds on it', { timeout: 60_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'loco-later-head-'));
  const argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`) });
  // Argo CD answers api's refresh late, so web's commit is the head by the time api reconciles.
  argocd.setScenario(argoApplicationName(SLUG, 'api', 'dev'), { latencyMs: 1500 });
  const api = await startTestApi('pglite', { argocd: { url: argocd.url, token: argocd.token, healthySeconds: 0.2 }, progressDeadlineSeconds: 20 }, { dataDir, database: await createTestDatabase('pglite') });
  try {
    const deploy = (app: string) => call(api.app, api.adminToken, 'POST', `${ws}/apps/${app}/deployments`, { config: config(app), profile: 'dev', image: `registry.example.com/acme/${app}:1` });
    const first = (await deploy('api')).json().id;
    const second = (await deploy('web')).json().id;
    const events = await within(40_000, 'api ends', followEvents(api.app, api.adminToken, first));
    await within(40_000, 'web ends', followEvents(api.app, api.adminToken, second));
    const [a, w] = await Promise.all([first, second].map(async (id) => (await call(api.app, api.adminToken, 'GET', `/deployments/${id}`)).json()));
    assert.equal(a.status, 'succeeded', JSON.stringify(events.map((e) => `${e.type}: ${e.message}`), null, 1));
    assert.equal(w.status, 'succeeded');
    assert.notEqual(a.commit, w.commit);
    const went = events.find((e) => /Argo CD went to commit/.test(e.message));
    assert.ok(went, 'an event says which later commit Argo CD synced and why it counts');
    assert.match(went.message, new RegExp(`went to commit ${w.commit.slice(0, 7)}, which holds ${a.commit.slice(0, 7)}'s files for this app unchanged`));
    assert.deepEqual(argocd.violations, []);
  } finally {
    await api.close();
    await argocd.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('releaseAt: a later commit is the same release, a replacement, or unrelated', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'loco-release-at-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const store = createGitopsStore({ dataDir, packing: false });
  const { head: skeleton } = await store.ensureRepository(SLUG);
  const author = { name: 'alice', email: 'alice@example.com' };
  const change = async (app: string, profile: string, image: string, extra: Record<string, string> = {}) => (await store.applyChange({
    slug: SLUG, subject: `deploy(${app}@${profile})`, trailers: {}, author,
    scope: [`apps/${app}/base/`, `apps/${app}/overlays/${profile}/`, `apps/${app}/loco.toml`],
    files: new Map(Object.entries({ [`apps/${app}/base/deployment.yaml`]: 'kind: Deployment\n', [`apps/${app}/overlays/${profile}/kustomization.yaml`]: `images:\n  - newName: ${image}\n`, [`apps/${app}/loco.toml`]: `# ${image}\n`, ...extra })),
  })).commit;
  const ours = await change('api', 'dev', 'api:1');
  const otherApp = await change('web', 'dev', 'web:1');
  const otherProfile = await change('api', 'prod', 'api:9'); // loco.toml is shared by the profiles; dev's files stay
  const d = { commit: ours, app: 'api', profile: 'dev' };
  assert.equal(await releaseAt(store, SLUG, d, otherApp), 'same');
  assert.equal(await releaseAt(store, SLUG, d, otherProfile), 'same');
  const again = await change('api', 'dev', 'api:2');
  assert.equal(await releaseAt(store, SLUG, d, again), 'replaced');
  assert.equal(await releaseAt(store, SLUG, d, skeleton), 'unrelated', 'an older commit does not hold ours');
  assert.equal(await releaseAt(store, SLUG, d, 'f'.repeat(40)), 'unrelated', 'an unknown commit');
});
