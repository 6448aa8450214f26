// Two API processes on one data dir with the embedded database would each see their own copy
// (an org made through one is 404 through the other, writes lost on restart): the second is
// refused at start, naming the first; a lock left by a killed process does not block a restart.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestApi } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../api/main.ts', import.meta.url));

async function runApi(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, LOCO_DATA_DIR: dataDir, LOCO_PORT: '0', DATABASE_URL: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code, stderr };
}

test('a second API process on a data dir in use is refused at start, naming the other process', async () => {
  const api = await startTestApi('pglite');
  try {
    const second = await runApi(api.dataDir);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, new RegExp(`in use by another Loco API process \\(pid ${process.pid} on ${hostname()}`));
    assert.match(second.stderr, /hint: stop that process first/);
    // The first one is unaffected.
    assert.equal((await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${api.adminToken}` } })).statusCode, 200);
  } finally {
    await api.close();
  }
});

test('a lock left by a process that died does not stop the next start', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'loco-api-'));
  try {
    const dead = spawn(process.execPath, ['-e', '0']);
    await once(dead, 'exit');
    await writeFile(join(dataDir, 'db.lock'), JSON.stringify({ pid: dead.pid, host: hostname(), since: new Date().toISOString() }));
    const api = await startTestApi('pglite', {}, { dataDir, database: { drop: async () => {} } });
    assert.equal((await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${api.adminToken}` } })).statusCode, 200);
    await api.close();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
