// Local repositories do not grow a file per object for ever: after enough commits their loose
// objects are packed in the background, under the repository lock, with history intact; and
// without git on the API host commits go on unpacked, saying so once.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { createGitopsStore, type GitopsStore, type PackingOptions } from '../../api/gitops/index.ts';
import { countLooseObjects } from '../../api/gitops/packing.ts';
import { appFiles, deploy, gitCli, tempDir } from './helpers.ts';

const SLUG = 'acme-busy';

function countObjects(gitdir: string): Record<string, number> {
  return Object.fromEntries(gitCli(gitdir, 'count-objects', '-v').split('\n').map((line) => {
    const [key, value] = line.split(': ');
    return [key, Number(value)];
  }));
}

/** The nth deploy: one of three apps, a new image each time. */
const nth = (n: number) => deploy(SLUG, `app-${n % 3}`, 'dev', appFiles('dev', `registry.example.com/app-${n % 3}:${n}`));

/** A git that takes half a second before doing its job: long enough for a writer that did not wait to finish first. */
function slowGit(dir: string): string {
  const file = path.join(dir, 'slow-git');
  writeFileSync(file, '#!/bin/sh\nsleep 0.5\nexec git "$@"\n');
  chmodSync(file, 0o755);
  return file;
}

async function commit(store: GitopsStore, n: number): Promise<string> {
  const result = await store.applyChange(nth(n));
  assert.equal(result.status, 'committed');
  return result.commit;
}

test('a busy local repository is packed in the background, under the repository lock, with history intact', { timeout: 60_000 }, async (t) => {
  const dataDir = tempDir(t, 'packing');
  const events: string[] = [];
  let packed!: () => void;
  const done = new Promise<void>((resolve) => (packed = resolve));
  const packing: PackingOptions = {
    git: slowGit(dataDir),
    checkEveryCommits: 20,
    minLooseObjects: 100,
    onPacked: (slug) => {
      // Still inside the store's repository lock: its file names this process.
      const lock = path.join(dataDir, 'repos', '.locks', `${slug}.lock`);
      events.push(existsSync(lock) && JSON.parse(readFileSync(lock, 'utf8')).pid === process.pid ? 'packed under the lock' : 'packed WITHOUT the lock');
      packed();
    },
  };
  const store = createGitopsStore({ dataDir, packing });
  await store.ensureRepository(SLUG); // the skeleton is the first of the 20
  const gitdir = store.gitdir(SLUG);
  for (let n = 1; n < 19; n++) await commit(store, n);
  const looseBefore = countLooseObjects(gitdir);
  const historyBefore = await store.history(SLUG, { limit: 1000 });
  assert.equal(countObjects(gitdir)['in-pack'], 0, 'nothing is packed before the 20th commit');

  await commit(store, 19);
  events.push('20th commit returned');
  const next = store.applyChange(nth(20)).then(() => events.push('21st commit returned'));
  await done;
  await next;
  assert.deepEqual(events, ['20th commit returned', 'packed under the lock', '21st commit returned'],
    'the commit that triggers packing does not wait for it; the next one waits for the lock');

  const counts = countObjects(gitdir);
  assert.ok(counts.packs >= 1 && counts['in-pack'] >= looseBefore, JSON.stringify(counts));
  assert.ok(counts.count < 20, `only the last commit's objects are loose: ${JSON.stringify(counts)}`);
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
  assert.equal(gitCli(gitdir, 'rev-list', '--count', 'main'), '21');
  // Loco reads the packed history and files as before, and keeps committing on top.
  const historyAfter = await store.history(SLUG, { limit: 1000 });
  assert.deepEqual(historyAfter.slice(2), historyBefore);
  const oldest = historyBefore.at(-2)!;
  assert.match((await store.readFiles(SLUG, oldest.commit, 'apps/app-1/overlays/dev/')).get('apps/app-1/overlays/dev/kustomization.yaml')!, /app-1:1$/m);
  const last = await commit(store, 21);
  assert.equal(gitCli(gitdir, 'rev-parse', 'main'), last);
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
  assert.equal(gitCli(gitdir, 'log', '--format=%(trailers:key=Loco-Change,valueonly)', 'main').split('\n').filter(Boolean).length, 21);
});

test('packing adds a pack and never deletes one: readers that do not take the lock keep their packs', { timeout: 60_000 }, async (t) => {
  const dataDir = tempDir(t, 'packing');
  const runs: number[] = [];
  let wake = () => {};
  const store = createGitopsStore({ dataDir, packing: { checkEveryCommits: 10, minLooseObjects: 40, onPacked: (_slug, { looseObjects }) => { runs.push(looseObjects); wake(); } } });
  await store.ensureRepository(SLUG);
  const gitdir = store.gitdir(SLUG);
  const packFiles = () => readdirSync(path.join(gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.pack')).sort();
  const seen = new Set<string>();
  for (let n = 1; runs.length < 3; n++) {
    const before = runs.length;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    await commit(store, n);
    if ((n + 1) % 10 === 0) await woken; // every 10th branch move looks, and with 40+ loose objects packs
    if (runs.length > before) {
      const now = packFiles();
      for (const f of seen) assert.ok(now.includes(f), `${f} is still there`);
      for (const f of now) seen.add(f);
    }
  }
  assert.equal(packFiles().length, 3);
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
});

test('without git on the API host, commits go on unpacked and that is said once', { timeout: 60_000 }, async (t) => {
  const logs: string[] = [];
  let logged!: () => void;
  const said = new Promise<void>((resolve) => (logged = resolve));
  const store = createGitopsStore({
    dataDir: tempDir(t, 'packing'),
    packing: { git: '/nonexistent/bin/git', checkEveryCommits: 2, minLooseObjects: 1, log: (m) => { logs.push(m); logged(); } },
  });
  await store.ensureRepository(SLUG);
  await commit(store, 1);
  await said;
  for (let n = 2; n < 8; n++) await commit(store, n);
  assert.equal(logs.length, 1, logs.join('\n'));
  assert.match(logs[0], /"\/nonexistent\/bin\/git" was not found/);
  const gitdir = store.gitdir(SLUG);
  assert.equal(countObjects(gitdir)['in-pack'], 0);
  assert.equal(gitCli(gitdir, 'rev-list', '--count', 'main'), '8');
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
});

test('the packs of group commits are gathered into one; the packs it replaced go only at a later run', { timeout: 60_000 }, async (t) => {
  const dataDir = tempDir(t, 'packing');
  const runs: { looseObjects: number; gatheredPacks?: number }[] = [];
  let atGathering: string[] = [];
  let retiredGone: () => void = () => {};
  const packFiles = () => readdirSync(path.join(store.gitdir(SLUG), 'objects', 'pack')).filter((f) => f.endsWith('.pack')).sort();
  const store = createGitopsStore({ dataDir, packing: {
    checkEveryCommits: 1, minLooseObjects: 1_000_000, maxPacks: 3, retireAfterMs: 0,
    onPacked: (_slug, packed) => {
      if (packed.retiredDeleted) return retiredGone();
      runs.push(packed);
      atGathering = packFiles();
    },
  } });
  await store.ensureRepository(SLUG);
  const gitdir = store.gitdir(SLUG);
  const batch = async (n: number) => {
    const results = await store.applyChanges([nth(3 * n), nth(3 * n + 1), nth(3 * n + 2)]);
    assert.deepEqual(results.map((r) => r.status), ['committed', 'committed', 'committed']);
  };
  for (let n = 0; n < 3; n++) await batch(n);
  const before = packFiles();
  assert.equal(before.length, 3, 'one pack per group commit');
  const historyBefore = await store.history(SLUG, { limit: 1000 });
  // the packer looks after the branch moved and queues for the lock: the next writer waits for it
  await batch(3);
  assert.equal(runs.filter((r) => r.gatheredPacks).length, 1, JSON.stringify(runs));
  assert.equal(atGathering.length, 4, 'the gathered pack beside the three it replaced');
  for (const f of before) assert.ok(atGathering.includes(f), `${f} is kept until a later run`);
  // the packer's next run (queued behind batch 4's commit) deletes the retired packs
  const deleted = new Promise<void>((resolve) => (retiredGone = resolve));
  await batch(4);
  await deleted;
  const after = packFiles();
  assert.ok(before.every((f) => !after.includes(f)), `retired packs are gone: ${after.join(', ')}`);
  assert.ok(after.length <= 3, after.join(', '));
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
  const historyAfter = await store.history(SLUG, { limit: 1000 });
  assert.deepEqual(historyAfter.slice(6), historyBefore);
  assert.equal(gitCli(gitdir, 'rev-list', '--count', 'main'), '16');
  assert.match((await store.readFiles(SLUG, historyBefore.at(-2)!.commit, 'apps/app-0/overlays/dev/')).get('apps/app-0/overlays/dev/kustomization.yaml')!, /app-0:0$/m);
});
