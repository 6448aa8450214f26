// The store's cache of parsed objects (object-cache.ts): what git holds is what the store reads,
// also after another writer (the git CLI) committed beside it, and the cache keeps to its bound.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { createGitopsStore, ObjectCache } from '../../api/gitops/index.ts';
import { appFiles, deploy, gitCli, tempDir } from './helpers.ts';

const SLUG = 'acme-cache';

test('a commit the git CLI pushes into the repository is read as git has it, with the cache full of older objects', async (t) => {
  const objectCache = new ObjectCache();
  const store = createGitopsStore({ dataDir: tempDir(t), packing: false, objectCache });
  await store.ensureRepository(SLUG);
  const gitdir = store.gitdir(SLUG);
  // a group commit (pack) and reads of it: its trees, commits and blobs are cached now
  const results = await store.applyChanges([deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:1')), deploy(SLUG, 'web', 'dev', appFiles('dev', 'web:1'))]);
  const ours = results.at(-1)!;
  assert.equal(ours.status, 'committed');
  assert.match((await store.readFiles(SLUG, ours.commit, 'apps/api/')).get('apps/api/overlays/dev/kustomization.yaml')!, /api:1/);
  assert.ok(objectCache.count > 0, 'the group commit filled the cache');

  // someone edits the same app with plain git and pushes to the bare repository
  const work = tempDir(t, 'cache-clone');
  gitCli(work, 'clone', '-q', gitdir, 'w');
  const clone = path.join(work, 'w');
  gitCli(clone, 'config', 'user.name', 'Bob');
  gitCli(clone, 'config', 'user.email', 'bob@example.com');
  writeFileSync(path.join(clone, 'apps/api/overlays/dev/kustomization.yaml'), 'resources:\n  - ../../base\nimages:\n  - name: app\n    newName: api:by-hand\n');
  writeFileSync(path.join(clone, 'apps/api/base/extra.yaml'), 'kind: ConfigMap\n');
  gitCli(clone, 'commit', '-qam', 'by hand');
  gitCli(clone, 'add', '.');
  gitCli(clone, 'commit', '-qm', 'extra file');
  gitCli(clone, 'push', '-q', 'origin', 'HEAD:main');
  const theirs = gitCli(gitdir, 'rev-parse', 'main');

  assert.equal(await store.head(SLUG), theirs);
  const files = await store.readFiles(SLUG, theirs, 'apps/api/');
  assert.match(files.get('apps/api/overlays/dev/kustomization.yaml')!, /api:by-hand/);
  assert.equal(files.get('apps/api/base/extra.yaml'), 'kind: ConfigMap\n');
  // the older commit still reads as it was
  assert.match((await store.readFiles(SLUG, ours.commit, 'apps/api/')).get('apps/api/overlays/dev/kustomization.yaml')!, /api:1/);
  const diff = await store.diff(SLUG, ours.commit, theirs, 'apps/api/');
  assert.deepEqual({ added: diff.added, changed: diff.changed }, { added: ['apps/api/base/extra.yaml'], changed: ['apps/api/overlays/dev/kustomization.yaml'] });

  // the next group commit builds on the CLI's commit and keeps its files
  const next = await store.applyChanges([deploy(SLUG, 'web', 'dev', appFiles('dev', 'web:2')), deploy(SLUG, 'jobs', 'dev', appFiles('dev', 'jobs:1'))]);
  assert.deepEqual(next.map((r) => r.status), ['committed', 'committed']);
  assert.equal(next[0].status === 'committed' && next[0].parent, theirs);
  assert.equal(gitCli(gitdir, 'show', 'main:apps/api/base/extra.yaml'), 'kind: ConfigMap');
  assert.match(gitCli(gitdir, 'show', 'main:apps/api/overlays/dev/kustomization.yaml'), /api:by-hand/);
  assert.match(gitCli(gitdir, 'show', 'main:apps/web/overlays/dev/kustomization.yaml'), /web:2/);
  assert.equal(gitCli(gitdir, 'fsck', '--strict', '--no-dangling'), '');
});

test('the cache stays within its bound over many commits, and reads stay right', async (t) => {
  const bound = 64 * 1024;
  const objectCache = new ObjectCache(bound);
  const store = createGitopsStore({ dataDir: tempDir(t), packing: false, objectCache });
  await store.ensureRepository(SLUG);
  const gitdir = store.gitdir(SLUG);
  const big = (app: string, round: number) => ({ ...appFiles('dev', `${app}:${round}`), 'base/deployment.yaml': `kind: Deployment\n# ${app} ${round}\n${'x'.repeat(3000)}\n` });
  let peak = 0;
  const heads: { commit: string; app: string; round: number }[] = [];
  for (let round = 0; round < 12; round++) {
    const apps = [`a${round % 4}`, `b${round % 5}`, `c${round}`];
    const results = await store.applyChanges(apps.map((app) => deploy(SLUG, app, 'dev', big(app, round))));
    results.forEach((r, i) => {
      assert.equal(r.status, 'committed');
      if (r.status === 'committed') heads.push({ commit: r.commit, app: apps[i], round });
    });
    await store.recordOutcomes(SLUG, results.map((r, i) => ({ commit: (r as { commit: string }).commit, note: { deploymentId: `d${round}-${i}`, outcome: 'succeeded', finishedAt: new Date().toISOString() } })));
    peak = Math.max(peak, objectCache.bytes);
  }
  assert.ok(peak <= bound, `cache at ${peak} bytes, bound ${bound}`);
  assert.ok(objectCache.bytes > bound / 2, 'the cache is used');
  // every commit still reads as git has it, whether or not its objects are still cached
  for (const { commit, app, round } of heads) {
    const file = `apps/${app}/base/deployment.yaml`;
    assert.equal((await store.readFiles(SLUG, commit, file)).get(file), gitCli(gitdir, 'show', `${commit}:${file}`) + '\n');
    assert.match((await store.readFiles(SLUG, commit, file)).get(file)!, new RegExp(`# ${app} ${round}`));
  }
  assert.ok(objectCache.bytes <= bound);
  const outcomes = await store.outcomes(SLUG, heads.map((h) => h.commit));
  assert.equal(outcomes.size, heads.length);
  assert.equal(gitCli(gitdir, 'fsck', '--strict', '--no-dangling'), '');
});
