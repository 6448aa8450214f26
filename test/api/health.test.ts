// The probes Kubernetes calls (charts, Dockerfile): /healthz answers while the process lives;
// /readyz says ready only when the database answers, migrations are applied and the data
// directory takes writes, and names the failing check otherwise. No token needed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { DATABASE_KINDS, startTestApi } from './helpers.ts';

for (const kind of DATABASE_KINDS) {
  test(`[${kind}] /healthz and /readyz answer without a token when everything is in place`, async () => {
    const api = await startTestApi(kind, { runner: { disabled: true } });
    try {
      const health = await api.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(health.statusCode, 200);
      assert.deepEqual(health.json(), { status: 'ok' });
      const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200, ready.body);
      assert.deepEqual(ready.json(), { status: 'ready', checks: [{ name: 'database', ok: true }, { name: 'migrations', ok: true }, { name: 'data-dir', ok: true }] });
    } finally {
      await api.close();
    }
  });
}

test('/readyz answers 503 naming the data directory when it takes no writes, and /healthz stays 200', async () => {
  const api = await startTestApi('postgresql', { runner: { disabled: true } });
  try {
    // root ignores file modes, so make the data dir impossible to write into: a file in its place
    await rm(api.dataDir, { recursive: true, force: true });
    await writeFile(api.dataDir, 'not a directory');
    const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    const body = ready.json() as { status: string; checks: { name: string; ok: boolean; message?: string }[] };
    assert.equal(body.status, 'not-ready');
    const dataDir = body.checks.find((c) => c.name === 'data-dir')!;
    assert.equal(dataDir.ok, false);
    assert.match(dataDir.message!, /data directory .* is not writable/);
    assert.ok(body.checks.find((c) => c.name === 'database')!.ok, 'the database is fine');
    assert.doesNotMatch(ready.body, /ENOTDIR|EEXIST|errno/, 'no system error text reaches the client');
    assert.equal((await api.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  } finally {
    await rm(api.dataDir, { force: true });
    await api.close();
  }
});
