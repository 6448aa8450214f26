// Promotion with local repositories: a branch commit, a pull request held by Loco, and a merge
// that fast-forwards or makes a merge commit on main by compare-and-swap.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGitopsStore } from '../../api/gitops/index.ts';
import { isLocoError } from '../../generator/errors.ts';
import { alice, appFiles, deploy, gitCli, tempDir } from './helpers.ts';

const SLUG = 'acme-promo';
const BRANCH = 'loco/promote/api/dev-to-prod/01J';

async function setUp(t: Parameters<typeof tempDir>[0]) {
  const store = createGitopsStore({ dataDir: tempDir(t, 'promo') });
  await store.ensureRepository(SLUG);
  await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:7')));
  const promote = deploy(SLUG, 'api', 'prod', appFiles('prod', 'api:7'), { branch: BRANCH });
  promote.trailers['Loco-Change'] = 'promote';
  return { store, promote, gitdir: store.gitdir(SLUG) };
}

const merge = (trailers: Record<string, string>) => ({ slug: SLUG, branch: BRANCH, subject: 'promote(api@prod): api:7', trailers, author: alice });

test('a promotion branch starts at main and main does not move until the merge', async (t) => {
  const { store, promote, gitdir } = await setUp(t);
  const mainBefore = await store.head(SLUG);
  const onBranch = await store.createBranchCommit({ ...promote, branch: BRANCH });
  assert.equal(onBranch.status === 'committed' && onBranch.parent, mainBefore);
  assert.equal(await store.head(SLUG), mainBefore);
  assert.equal(await store.head(SLUG, BRANCH), onBranch.commit);
  assert.deepEqual(await store.openPullRequest({ slug: SLUG, branch: BRANCH, title: 't', body: 'b' }), { number: null, url: null, branch: BRANCH, base: 'main' });
  const d = await store.diff(SLUG, mainBefore!, onBranch.commit, 'apps/api/overlays/prod/');
  assert.deepEqual(d.added, ['apps/api/overlays/prod/kustomization.yaml']);
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
});

test('merging when main has not moved fast-forwards, keeping the promote commit and its trailers', async (t) => {
  const { store, promote, gitdir } = await setUp(t);
  const onBranch = await store.createBranchCommit({ ...promote, branch: BRANCH });
  const result = await store.mergeBranch(merge(promote.trailers));
  assert.equal(result.status, 'fast-forward');
  assert.equal(result.commit, onBranch.commit);
  assert.equal(gitCli(gitdir, 'log', '-1', '--format=%(trailers:key=Loco-Change,valueonly)', 'main'), 'promote');
  assert.deepEqual(await store.mergeBranch(merge(promote.trailers)), { status: 'unchanged', commit: onBranch.commit });
  await store.deleteBranch(SLUG, BRANCH);
  assert.equal(await store.head(SLUG, BRANCH), null);
});

test('merging after main moved makes one merge commit with trailers and both changes', async (t) => {
  const { store, promote, gitdir } = await setUp(t);
  const onBranch = await store.createBranchCommit({ ...promote, branch: BRANCH });
  const dev = await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:8')));
  const result = await store.mergeBranch(merge(promote.trailers));
  assert.equal(result.status, 'merged');
  assert.equal(gitCli(gitdir, 'rev-parse', `${result.commit}^1`), dev.commit);
  assert.equal(gitCli(gitdir, 'rev-parse', `${result.commit}^2`), onBranch.commit);
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
  assert.match(gitCli(gitdir, 'show', 'main:apps/api/overlays/prod/kustomization.yaml'), /api:7/);
  assert.match(gitCli(gitdir, 'show', 'main:apps/api/overlays/dev/kustomization.yaml'), /api:8/);
  const [entry] = await store.history(SLUG, { app: 'api', profile: 'prod' });
  assert.equal(entry.commit, result.commit, 'first-parent history shows the merge, with the promote trailers');
  assert.equal(entry.trailers['Loco-Change'], 'promote');
});

test('a merge whose files also changed on main is refused as conflict.merge', async (t) => {
  const { store, promote, gitdir } = await setUp(t);
  await store.createBranchCommit({ ...promote, branch: BRANCH });
  await store.applyChange(deploy(SLUG, 'api', 'prod', appFiles('prod', 'api:hotfix')));
  const before = gitCli(gitdir, 'rev-parse', 'main');
  await assert.rejects(store.mergeBranch(merge(promote.trailers)), (e) => isLocoError(e) && e.code === 'conflict.merge' && (e.data?.paths as string[]).includes('apps/api/overlays/prod/kustomization.yaml'));
  assert.equal(gitCli(gitdir, 'rev-parse', 'main'), before);
});
