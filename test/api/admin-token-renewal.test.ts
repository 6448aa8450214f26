// The first-start admin token expires after 90 days like any personal token. A platform whose
// admin never made a token of their own must not be locked out for good: the next start writes a
// new token into $LOCO_DATA_DIR/admin-token when the one there has expired. A deleted file stays
// deleted. The API's clock is moved by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../argocd/manual-clock.ts';
import { existsSync } from 'node:fs';
import { buildApp } from '../../api/server.ts';
import { call, createTestDatabase, startTestApi } from './helpers.ts';

const DAY = 86_400_000;

test('an expired first-start admin token is replaced in the token file at the next start; a deleted file is not re-created', { timeout: 120_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'loco-renew-'));
  const database = await createTestDatabase('pglite');
  const clock = new ManualClock(Date.parse('2026-03-01T09:00:00Z'));
  const tokenFile = join(dataDir, 'admin-token');
  try {
    const first = await startTestApi('pglite', { clock }, { dataDir, database });
    const original = first.adminToken;
    assert.equal((await call(first.app, original, 'GET', '/me')).statusCode, 200);
    await first.app.close();

    // a restart within the 90 days changes nothing
    clock.advance(30 * DAY);
    const second = await startTestApi('pglite', { clock }, { dataDir, database });
    assert.equal((await readFile(tokenFile, 'utf8')).trim(), original);
    await second.app.close();

    clock.advance(61 * DAY);
    const third = await startTestApi('pglite', { clock }, { dataDir, database });
    const renewed = (await readFile(tokenFile, 'utf8')).trim();
    assert.notEqual(renewed, original, 'a new token was written');
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
    assert.equal((await call(third.app, original, 'GET', '/me')).statusCode, 401, 'the expired one stays expired');
    const me = await call(third.app, renewed, 'GET', '/me');
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().name ?? me.json().user?.name, 'admin');
    await third.app.close();

    await rm(tokenFile);
    clock.advance(91 * DAY);
    const fourth = await buildApp({ dataDir, ...(database.url ? { databaseUrl: database.url } : {}), clock });
    await fourth.ready();
    assert.equal(existsSync(tokenFile), false, 'a deleted token file is never re-created');
    await fourth.close();
  } finally {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
