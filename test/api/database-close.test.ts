// Stopping the API while a query is still getting its connection: the database closes once that
// query is done, and neither hangs. (The pool under MikroORM's Kysely driver leaked a client that
// arrived after the close began, and `pool.end()` then waited for it forever: a test whose first
// API stopped while a runner scan was connecting never ended. api/db/pool-drain.ts.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { openDatabase } from '../../api/db/orm.ts';
import { createTestDatabase, within } from './helpers.ts';

test('closing the database while queries are still connecting waits for them and returns', { timeout: 60_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'loco-db-close-'));
  const database = await createTestDatabase('postgresql');
  try {
    const db = await openDatabase({ dataDir, databaseUrl: database.url! });
    const pool = await (db.orm.em.getConnection() as unknown as { getNativeClient(): Promise<pg.Pool> }).getNativeClient();
    // more queries at once than the pool has idle clients: the pool opens new connections for them
    const queries = Array.from({ length: 4 }, (_, i) => db.orm.em.fork().execute<{ n: number }[]>(`select ${i} as n, pg_sleep(0.02)`));
    // the moment the API stops: clients are connecting and none is back
    while (pool.totalCount === pool.idleCount) await new Promise((resolve) => setImmediate(resolve));
    await within(20_000, 'the database closes', db.close());
    const rows = await within(5_000, 'the queries that were in flight settle', Promise.all(queries));
    assert.deepEqual(rows.map((r) => Number(r[0].n)), [0, 1, 2, 3], 'each query in flight at the close got its answer');
    assert.equal(pool.totalCount, 0, 'no connection is left open');
  } finally {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
