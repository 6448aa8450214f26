// Unexpected errors never reach a client: they are logged with the request id and answered as
// "internal error, request id …" in problem+json.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildApp } from '../../api/server.ts';
import { createTestDatabase } from './helpers.ts';

test('an internal error is logged with its request id and answered without its text', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'loco-errors-'));
  const database = await createTestDatabase('postgresql');
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  const app = await buildApp({ dataDir, databaseUrl: database.url!, logger: { level: 'error', stream }, runner: { disabled: true } });
  try {
    app.get('/api/v1/explode', { config: { public: true } }, async () => {
      throw new Error('relation "users" password=hunter2 does not exist');
    });
    const res = await app.inject({ method: 'GET', url: '/api/v1/explode' });
    assert.equal(res.statusCode, 500);
    assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
    const problem = res.json();
    assert.equal(problem.detail, `internal error, request id ${problem.requestId}`);
    assert.ok(!res.body.includes('hunter2') && !res.body.includes('relation'));
    assert.ok(lines.some((l) => l.includes(problem.requestId) && l.includes('hunter2')), 'the log has the error and the request id');
  } finally {
    await app.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
