// Group commit (store.applyChanges): a batch of changes lands as a chain of commits, one per
// change, in one pack and one ref update; a change that conflicts fails alone. Checked with git.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { createGitopsStore } from '../../api/gitops/index.ts';
import { isLocoError } from '../../generator/errors.ts';
import { appFiles, deploy, gitCli, tempDir } from './helpers.ts';

const SLUG = 'acme-batch';

async function newStore(t: Parameters<typeof tempDir>[0]) {
  const store = createGitopsStore({ dataDir: tempDir(t), packing: false });
  const { head } = await store.ensureRepository(SLUG);
  return { store, head, gitdir: store.gitdir(SLUG) };
}

const packs = (gitdir: string) => readdirSync(path.join(gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.pack'));
const looseObjects = (gitdir: string) =>
  readdirSync(path.join(gitdir, 'objects')).filter((d) => /^[0-9a-f]{2}$/.test(d)).flatMap((d) => readdirSync(path.join(gitdir, 'objects', d)));

test('a batch with a conflicting change: the others land as one commit each, in request order, the conflicting one fails alone', async (t) => {
  const { store, head, gitdir } = await newStore(t);
  const initial = deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:1'));
  const first = await store.applyChange(initial);
  assert.equal(first.status, 'committed');
  const base = first.commit;
  const batch = [
    deploy(SLUG, 'web', 'dev', appFiles('dev', 'web:1'), { baseCommit: base }),
    deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:2'), { baseCommit: base }),
    // rendered on the same head as the change before it, which changed these very files
    deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:3'), { baseCommit: head }),
    deploy(SLUG, 'jobs', 'dev', appFiles('dev', 'jobs:1'), { baseCommit: base }),
  ];
  const packsBefore = packs(gitdir).length;
  const loose = looseObjects(gitdir).length;
  const results = await store.applyChanges(batch);

  assert.deepEqual(results.map((r) => r.status), ['committed', 'committed', 'failed', 'committed']);
  const failed = results[2];
  assert.ok(failed.status === 'failed' && isLocoError(failed.error) && failed.error.code === 'conflict.commit', String(failed.status === 'failed' && failed.error));
  const commits = results.filter((r) => r.status === 'committed');
  // a chain: each commit's parent is the one before it, the first's is the head the batch found
  assert.deepEqual(commits.map((c) => c.parent), [base, commits[0].commit, commits[1].commit]);
  assert.equal(gitCli(gitdir, 'rev-parse', 'main'), commits[2].commit);
  // one new pack for the batch and no loose object
  assert.equal(packs(gitdir).length, packsBefore + 1);
  assert.equal(looseObjects(gitdir).length, loose);
  assert.equal(gitCli(gitdir, 'fsck', '--strict', '--no-dangling'), '');

  const log = gitCli(gitdir, 'log', '--reverse', '--format=%H %(trailers:key=Loco-Deployment,valueonly,separator=)', `${base}..main`).split('\n');
  const landed = [batch[0], batch[1], batch[3]];
  assert.deepEqual(log, landed.map((c, i) => `${commits[i].commit} ${c.trailers['Loco-Deployment']}`));
  for (const [i, change] of landed.entries()) {
    const sha = commits[i].commit;
    assert.equal(gitCli(gitdir, 'log', '-1', '--format=%s', sha), change.subject);
    for (const [key, value] of Object.entries(change.trailers)) {
      assert.equal(gitCli(gitdir, 'log', '-1', `--format=%(trailers:key=${key},valueonly,separator=)`, sha), value);
    }
    // exactly its own change: only its app's files differ from its parent
    const app = change.trailers['Loco-App'];
    for (const file of gitCli(gitdir, 'diff-tree', '-r', '--name-only', '--no-commit-id', sha).split('\n')) assert.ok(file.startsWith(`apps/${app}/`), `${file} in ${app}'s commit`);
  }
  assert.match(gitCli(gitdir, 'show', 'main:apps/api/overlays/dev/kustomization.yaml'), /newName: api:2/);
  // the store reads what the pack holds
  assert.equal((await store.readFiles(SLUG, commits[2].commit, 'apps/jobs/overlays/dev/')).size, 1);
  const history = await store.history(SLUG, { app: 'api' });
  assert.deepEqual(history.map((h) => h.trailers['Loco-Deployment']), [batch[1].trailers['Loco-Deployment'], initial.trailers['Loco-Deployment']]);
});

test('a batch whose precondition refuses one change and leaves another unchanged commits the rest', async (t) => {
  const { store, gitdir } = await newStore(t);
  const first = await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:1')));
  const refused = Object.assign(new Error('superseded'), { code: 'test.superseded' });
  const results = await store.applyChanges([
    deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:1')),
    deploy(SLUG, 'web', 'dev', appFiles('dev', 'web:1'), { precondition: async () => { throw refused; } }),
    deploy(SLUG, 'jobs', 'dev', appFiles('dev', 'jobs:1')),
  ]);
  assert.equal(results[0].status, 'unchanged');
  assert.equal(results[0].commit, first.commit);
  assert.deepEqual(results[1], { status: 'failed', error: refused });
  assert.equal(results[2].status, 'committed');
  assert.equal(gitCli(gitdir, 'rev-list', '--count', `${first.commit}..main`), '1');
  // the refused change left no object behind
  assert.equal(gitCli(gitdir, 'fsck', '--strict', '--unreachable'), '');
  assert.throws(() => gitCli(gitdir, 'cat-file', '-e', `main:apps/web/loco.toml`));
});
