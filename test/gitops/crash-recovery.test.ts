// A crash must not wedge a workspace: a `refs/heads/main.lock` left by a killed writer is
// recovered under Loco's own repository lock, and errors never show server paths.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createGitopsStore } from '../../api/gitops/index.ts';
import { appFiles, deploy, gitCli, tempDir } from './helpers.ts';

const SLUG = 'acme-web';
const WORKER = fileURLToPath(new URL('./workers/endless-commits.ts', import.meta.url));

test('a stale refs/heads/main.lock left by a crash does not block the next deploy', async (t) => {
  const dataDir = tempDir(t);
  const store = createGitopsStore({ dataDir });
  const { head } = await store.ensureRepository(SLUG);
  const gitdir = store.gitdir(SLUG);
  // What a writer killed between taking the ref lock and renaming it leaves behind.
  writeFileSync(path.join(gitdir, 'refs/heads/main.lock'), `${head}\n`);
  const result = await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'img:1')));
  assert.equal(result.status, 'committed');
  assert.equal(gitCli(gitdir, 'rev-parse', 'main'), result.status === 'committed' ? result.commit : '');
  assert.equal(gitCli(gitdir, 'log', '-1', '--format=%(trailers:key=Loco-App,valueonly)'), 'api');
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
  // The lock is gone, so native git can move the branch too.
  gitCli(gitdir, 'update-ref', 'refs/heads/main', 'HEAD');
});

test('after a writer is killed with SIGKILL mid-commit, the workspace still takes commits and git is intact', async (t) => {
  const dataDir = tempDir(t);
  await createGitopsStore({ dataDir }).ensureRepository(SLUG);
  const child = spawn(process.execPath, [WORKER, dataDir, SLUG], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  // Kill it while it is busy committing: after its third commit it is already inside the next one.
  let commits = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.startsWith('committed') && ++commits === 3) break;
  }
  child.kill('SIGKILL');
  const [, signal] = await exited;
  assert.equal(signal, 'SIGKILL');

  const store = createGitopsStore({ dataDir });
  const gitdir = store.gitdir(SLUG);
  const result = await store.applyChange(deploy(SLUG, 'api', 'dev', appFiles('dev', 'img:after-crash')));
  assert.equal(result.status, 'committed');
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
  assert.equal(gitCli(gitdir, 'rev-parse', 'main'), result.status === 'committed' ? result.commit : '');
  assert.match(gitCli(gitdir, 'show', 'main:apps/api/overlays/dev/kustomization.yaml'), /img:after-crash|after-crash/);
});
