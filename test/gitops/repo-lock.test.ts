// The per-repository lock works across processes and survives a holder that died.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { withRepoLock } from '../../api/gitops/repo-lock.ts';
import { tempDir } from './helpers.ts';

test('a lock left by a process that died is broken', async (t) => {
  const lock = path.join(tempDir(t, 'lock'), 'ws.lock');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(lock, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), token: 'dead', since: new Date().toISOString() }));
  assert.equal(await withRepoLock(lock, async () => 'ran'), 'ran');
  assert.equal(existsSync(lock), false);
});

test('a lock nobody refreshed for longer than staleMs is broken', async (t) => {
  const lock = path.join(tempDir(t, 'lock'), 'ws.lock');
  writeFileSync(lock, '');
  const old = new Date(Date.now() - 120_000);
  utimesSync(lock, old, old);
  assert.equal(await withRepoLock(lock, async () => 'ran', { staleMs: 60_000 }), 'ran');
});

test('a live holder makes others wait, then give up with unavailable.repository-locked', async (t) => {
  const lock = path.join(tempDir(t, 'lock'), 'ws.lock');
  writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: 'alive', since: new Date().toISOString() }));
  await assert.rejects(withRepoLock(lock, async () => 'ran', { timeoutMs: 50 }), (e: any) => e.code === 'unavailable.repository-locked');
  assert.equal(existsSync(lock), true, 'the live holder keeps its lock');
});

test('callers in one process run one at a time', async (t) => {
  const lock = path.join(tempDir(t, 'lock'), 'ws.lock');
  let inside = 0;
  let most = 0;
  await Promise.all(Array.from({ length: 10 }, () => withRepoLock(lock, async () => {
    inside++;
    most = Math.max(most, inside);
    await new Promise((resolve) => setImmediate(resolve));
    inside--;
  })));
  assert.equal(most, 1);
});
