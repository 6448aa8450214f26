// Several API processes writing one workspace repository at once: every change lands, in
// some order, on a linear history.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createGitopsStore } from '../../api/gitops/index.ts';
import { gitCli, tempDir } from './helpers.ts';

const WORKER = fileURLToPath(new URL('./workers/commit-worker.ts', import.meta.url));

function runWorker(args: string[]): Promise<{ i: string; status: string; commit: string }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
}

test('50 concurrent changes from 5 processes give 50 commits on a linear history', async (t) => {
  const dataDir = tempDir(t, 'concurrency');
  const slug = 'acme-busy';
  const store = createGitopsStore({ dataDir });
  const { head: root } = await store.ensureRepository(slug);
  const processes = 5;
  const perProcess = 10;
  const batches = Array.from({ length: processes }, (_, p) => Array.from({ length: perProcess }, (_, k) => String(p * perProcess + k)));
  const results = (await Promise.all(batches.map((indexes) => runWorker([dataDir, slug, ...indexes])))).flat();

  assert.equal(results.length, 50);
  assert.ok(results.every((r) => r.status === 'committed'), JSON.stringify(results.filter((r) => r.status !== 'committed')));
  const gitdir = store.gitdir(slug);
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
  assert.equal(gitCli(gitdir, 'rev-list', '--count', 'main'), '51');
  assert.equal(gitCli(gitdir, 'rev-list', '--min-parents=2', 'main'), '', 'no merge commits');
  assert.equal(gitCli(gitdir, 'rev-list', '--max-parents=0', 'main'), root, 'one root: the skeleton');
  const commits = new Set(gitCli(gitdir, 'rev-list', 'main').split('\n'));
  assert.ok(results.every((r) => commits.has(r.commit)), 'every reported commit is on main');

  const tree = gitCli(gitdir, 'ls-tree', '--name-only', 'main', 'apps/').split('\n');
  for (let i = 0; i < 50; i++) assert.ok(tree.includes(`apps/app-${i}`), `app-${i} present`);
  for (let i = 0; i < 50; i++) {
    assert.match(gitCli(gitdir, 'show', `main:apps/app-${i}/overlays/dev/kustomization.yaml`), new RegExp(`newName: img:${i}$`, 'm'));
  }
  const deployments = gitCli(gitdir, 'log', '--format=%(trailers:key=Loco-Deployment,valueonly)', 'main').split('\n').filter(Boolean);
  assert.deepEqual(new Set(deployments), new Set(results.map((r) => `dpl_${r.i}`)));
  // The shared file holds the last writer's value: the newest commit's deployment.
  const newest = gitCli(gitdir, 'log', '-1', '--format=%(trailers:key=Loco-Deployment,valueonly)', 'main');
  assert.equal(`dpl_${gitCli(gitdir, 'show', 'main:apps/shared/last-writer.txt')}`, newest);
});
