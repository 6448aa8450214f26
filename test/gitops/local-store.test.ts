// The GitOps store on local bare repositories, checked with the real git CLI.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { createGitopsStore } from '../../api/gitops/index.ts';
import { isLocoError } from '../../generator/errors.ts';
import { alice, appFiles, deploy, gitCli, tempDir } from './helpers.ts';

const SLUG = 'acme-web';

async function newStore(t: Parameters<typeof tempDir>[0]) {
  const dataDir = tempDir(t);
  const store = createGitopsStore({ dataDir });
  const { head } = await store.ensureRepository(SLUG);
  return { dataDir, store, head, gitdir: store.gitdir(SLUG) };
}

test('a new workspace repository starts from the skeleton and clones with git', async (t) => {
  const { dataDir, store, gitdir } = await newStore(t);
  assert.equal(gitdir, path.join(dataDir, 'repos', `${SLUG}.git`));
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
  const clone = path.join(tempDir(t), 'clone');
  gitCli(dataDir, 'clone', '-q', gitdir, clone);
  assert.deepEqual(gitCli(clone, 'ls-files').split('\n'), [
    '.github/pull_request_template.md',
    '.github/workflows/validate.yml',
    '.loco/format-version',
    'CODEOWNERS',
    'README.md',
  ]);
  assert.equal(readFileSync(path.join(clone, '.loco/format-version'), 'utf8'), '1\n');
  assert.match(readFileSync(path.join(clone, 'CODEOWNERS'), 'utf8'), /^apps\/\*\/overlays\/prod\/ @acme-web-owners$/m);
  assert.match(readFileSync(path.join(clone, 'README.md'), 'utf8'), /# acme-web — GitOps repository/);
  assert.deepEqual(await store.ensureRepository(SLUG), { created: false, head: gitCli(gitdir, 'rev-parse', 'main'), formatVersion: 1 });
});

test('a deploy is one commit whose trailers git reads', async (t) => {
  const { store, head, gitdir, dataDir } = await newStore(t);
  const change = deploy(SLUG, 'api', 'dev', appFiles('dev', 'api@sha256:aa'));
  const result = await store.applyChange(change);
  assert.equal(result.status, 'committed');
  assert.equal(result.status === 'committed' && result.parent, head);
  assert.equal(gitCli(gitdir, 'rev-parse', 'main'), result.commit);
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
  assert.equal(gitCli(gitdir, 'log', '-1', '--format=%s'), 'deploy(api@dev): registry.example.com/api:1');
  const trailers = gitCli(gitdir, 'log', '-1', '--format=%(trailers)');
  for (const [key, value] of Object.entries(change.trailers)) assert.ok(trailers.includes(`${key}: ${value}`), `${key} in ${trailers}`);
  assert.equal(gitCli(gitdir, 'log', '-1', '--format=%(trailers:key=Loco-App,valueonly)'), 'api');
  const clone = path.join(tempDir(t), 'clone');
  gitCli(dataDir, 'clone', '-q', gitdir, clone);
  assert.equal(readFileSync(path.join(clone, 'apps/api/overlays/dev/kustomization.yaml'), 'utf8'), appFiles('dev', 'api@sha256:aa')['overlays/dev/kustomization.yaml']);
});

test('a redeploy with identical inputs makes no commit and names the commit holding that state', async (t) => {
  const { store, gitdir } = await newStore(t);
  const first = await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'img:1')));
  const again = await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'img:1')));
  assert.deepEqual(again, { status: 'unchanged', commit: first.commit });
  assert.equal(gitCli(gitdir, 'rev-list', '--count', 'main'), '2');
});

test('files under the scope that the change omits are deleted, other apps and profiles stay', async (t) => {
  const { store } = await newStore(t);
  await store.applyChange(deploy(SLUG, 'api', 'dev', { ...appFiles('dev', 'img:1'), 'base/extra.yaml': 'x: 1\n' }));
  await store.applyChange(deploy(SLUG, 'api', 'prod', appFiles('prod', 'img:1')));
  await store.applyChange(deploy(SLUG, 'web', 'dev', appFiles('dev', 'web:1')));
  const result = await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'img:2')));
  const files = await store.readFiles(SLUG, result.commit, 'apps/');
  assert.ok(!files.has('apps/api/base/extra.yaml'));
  assert.match(files.get('apps/api/overlays/dev/kustomization.yaml')!, /img:2/);
  assert.match(files.get('apps/api/overlays/prod/kustomization.yaml')!, /img:1/);
  assert.ok(files.has('apps/web/overlays/dev/kustomization.yaml'));
});

test('a stale base that touched other files is re-applied on the new head', async (t) => {
  const { store, head } = await newStore(t);
  const web = await store.applyChange(deploy(SLUG, 'web', 'dev', appFiles('dev', 'web:1')));
  const api = await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:1'), { baseCommit: head }));
  assert.equal(api.status, 'committed');
  assert.equal(api.status === 'committed' && api.parent, web.commit);
  const files = await store.readFiles(SLUG, api.commit, 'apps/');
  assert.ok(files.has('apps/web/base/deployment.yaml') && files.has('apps/api/base/deployment.yaml'));
});

test('a stale base that touched the same files is refused as conflict.commit', async (t) => {
  const { store, gitdir } = await newStore(t);
  const first = await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:1')));
  await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:2')));
  const before = gitCli(gitdir, 'rev-parse', 'main');
  await assert.rejects(
    store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:3'), { baseCommit: first.commit })),
    (error) => isLocoError(error) && error.code === 'conflict.commit' && /redeploy from the current state/.test(error.hint),
  );
  assert.equal(gitCli(gitdir, 'rev-parse', 'main'), before);
});

test('rollback restores the files of an earlier commit as a new commit', async (t) => {
  const { store, gitdir } = await newStore(t);
  const v1 = await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:1')));
  await store.applyChange(deploy(SLUG, 'api', 'dev', { ...appFiles('dev', 'api:2'), 'base/new.yaml': 'n: 1\n' }));
  const rolled = await store.restore({
    slug: SLUG,
    fromCommit: v1.commit,
    scope: ['apps/api/loco.toml', 'apps/api/base/', 'apps/api/overlays/dev/'],
    subject: 'rollback(api@dev): to api:1',
    trailers: { 'Loco-App': 'api', 'Loco-Profile': 'dev', 'Loco-Change': 'rollback' },
    author: alice,
  });
  assert.equal(rolled.status, 'committed');
  assert.deepEqual(await store.readFiles(SLUG, rolled.commit, 'apps/api/'), await store.readFiles(SLUG, v1.commit, 'apps/api/'));
  assert.equal(gitCli(gitdir, 'rev-list', '--count', 'main'), '4');
  const again = await store.restore({ slug: SLUG, fromCommit: v1.commit, scope: ['apps/api/'], subject: 'rollback again', trailers: {}, author: alice });
  assert.deepEqual(again, { status: 'unchanged', commit: rolled.commit });
});

test('history is filtered by app, profile, actor and time from the trailers', async (t) => {
  const { store } = await newStore(t);
  const a = await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:1')));
  const b = await store.applyChange(deploy(SLUG, 'web', 'dev', appFiles('dev', 'web:1')));
  const c = await store.applyChange(deploy(SLUG, 'api', 'prod', appFiles('prod', 'api:1'), { trailers: { 'Loco-App': 'api', 'Loco-Profile': 'prod', 'Loco-Actor': 'bob (github:9)' } }));
  const ids = async (q: Parameters<typeof store.history>[1]) => (await store.history(SLUG, q)).map((e) => e.commit);
  assert.deepEqual(await ids({ app: 'api' }), [c.commit, a.commit]);
  assert.deepEqual(await ids({ app: 'api', profile: 'dev' }), [a.commit]);
  assert.deepEqual(await ids({ actor: 'bob' }), [c.commit]);
  assert.deepEqual(await ids({ actor: 'alice (github:1234)' }), [b.commit, a.commit]);
  assert.deepEqual(await ids({ limit: 2 }), [c.commit, b.commit]);
  assert.equal((await store.history(SLUG, {})).length, 4);
  assert.deepEqual(await ids({ until: '2000-01-01T00:00:00Z' }), []);
  assert.deepEqual(await ids({ since: new Date(Date.now() + 3_600_000) }), []);
  const [entry] = await store.history(SLUG, { limit: 1 });
  assert.equal(entry.subject, 'deploy(api@prod): registry.example.com/api:1');
  assert.equal(entry.trailers['Loco-Actor'], 'bob (github:9)');
  assert.deepEqual(entry.author, alice);
  assert.deepEqual(entry.parents, [b.commit]);
});

test('diff between two commits lists paths and a unified patch for one app', async (t) => {
  const { store } = await newStore(t);
  const v1 = await store.applyChange(deploy(SLUG, 'api', 'dev', { ...appFiles('dev', 'api:1'), 'base/old.yaml': 'o: 1\n' }));
  await store.applyChange(deploy(SLUG, 'web', 'dev', appFiles('dev', 'web:1')));
  const v2 = await store.applyChange(deploy(SLUG, 'api', 'dev', { ...appFiles('dev', 'api:2'), 'base/new.yaml': 'n: 1\n' }));
  const d = await store.diff(SLUG, v1.commit, v2.commit, 'apps/api/');
  assert.deepEqual(d.added, ['apps/api/base/new.yaml']);
  assert.deepEqual(d.removed, ['apps/api/base/old.yaml']);
  assert.deepEqual(d.changed, ['apps/api/overlays/dev/kustomization.yaml']);
  assert.match(d.patch, /^diff --git a\/apps\/api\/overlays\/dev\/kustomization.yaml/m);
  assert.match(d.patch, /^-    newName: api:1\n\+    newName: api:2$/m);
  assert.ok(!d.patch.includes('apps/web'));
});

test('reading an unknown commit is not-found.commit', async (t) => {
  const { store } = await newStore(t);
  await assert.rejects(store.readFiles(SLUG, 'f'.repeat(40), ''), (e) => isLocoError(e) && e.code === 'not-found.commit');
});

test('paths outside the repository and bad workspace names are refused', async (t) => {
  const { store } = await newStore(t);
  await assert.rejects(store.applyChange(deploy(SLUG, 'api', 'dev', { '../../x': 'y' })), (e) => isLocoError(e) && e.code === 'validation.path');
  await assert.rejects(store.ensureRepository('../evil'), (e) => isLocoError(e) && e.code === 'validation.workspace-slug');
});

test('a workspace without a repository has no head, no history, and refuses changes', async (t) => {
  const store = createGitopsStore({ dataDir: tempDir(t) });
  assert.equal(await store.head('acme-none'), null);
  assert.deepEqual(await store.history('acme-none'), []);
  await assert.rejects(store.applyChange(deploy('acme-none', 'api', 'dev', appFiles('dev', 'x'))), (e) => isLocoError(e) && e.code === 'not-found.repository');
});

test('a repository written by a newer Loco layout is refused with an upgrade hint', async (t) => {
  const { store } = await newStore(t);
  await store.applyChange({ slug: SLUG, scope: [], files: new Map([['.loco/format-version', '2\n']]), subject: 'migrate layout to 2', trailers: {}, author: alice });
  await assert.rejects(store.ensureRepository(SLUG), (e) => isLocoError(e) && e.code === 'conflict.repository-format' && /upgrade Loco/.test(e.hint));
});

test('a precondition runs under the repository lock: a second store (another replica) cannot commit in between', async (t) => {
  const { dataDir, store, gitdir } = await newStore(t);
  const replica = createGitopsStore({ dataDir });
  let other: Promise<unknown> | undefined;
  let otherDoneDuringCheck = false;
  const first = store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:1'), {
    precondition: async () => {
      if (other) return;
      other = replica.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:2')));
      const settled = await Promise.race([other.then(() => true, () => true), new Promise((r) => setTimeout(() => r(false), 300))]);
      otherDoneDuringCheck = settled === true;
    },
  }));
  await first;
  await other;
  assert.equal(otherDoneDuringCheck, false, 'the other writer waited for the lock');
  const overlay = (rev: string) => gitCli(gitdir, 'show', `${rev}:apps/api/overlays/dev/kustomization.yaml`);
  assert.match(overlay('main~1'), /newName: api:1/, 'ours first');
  assert.match(overlay('main'), /newName: api:2/, 'then theirs, on top');
});

test('a precondition that throws abandons the change: nothing is committed and the error reaches the caller', async (t) => {
  const { store, head, gitdir } = await newStore(t);
  await assert.rejects(
    store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'api:1'), { precondition: async () => { throw new Error('superseded'); } })),
    /superseded/,
  );
  assert.equal(gitCli(gitdir, 'rev-parse', 'main'), head);
});
