// The embedded database's pg clients (api/db/embedded.ts): a statement's protocol messages go to
// PGlite in one trip, and what a server does for its connections still holds on the one session —
// an error ends only its statement, a client dropped inside a transaction leaves no transaction
// behind for the next, and named statements prepared once are reused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDatabase } from '../../api/db/embedded.ts';

test('embedded clients: statements, errors, named statements and a client dropped mid-transaction', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'loco-embedded-'));
  const embedded = await startEmbeddedDatabase(join(dir, 'db'));
  try {
    const first = new embedded.Client();
    await first.connect();
    await first.query('create table notes (id int primary key, body text not null)');
    await first.query('insert into notes values ($1, $2), ($3, $4)', [1, 'one', 2, 'two']);
    const named = { name: 'note_by_id', text: 'select body from notes where id = $1' };
    assert.deepEqual((await first.query({ ...named, values: [2] })).rows, [{ body: 'two' }]);
    assert.deepEqual((await first.query({ ...named, values: [1] })).rows, [{ body: 'one' }], 'the prepared statement answers again with new values');

    await assert.rejects(first.query('insert into notes values ($1, $2)', [1, 'again']), /duplicate key value violates unique constraint/);
    assert.deepEqual((await first.query('select count(*)::int as n from notes')).rows, [{ n: 2 }], 'after an error the next statement runs');
    // several statements pg sends at once, answered in order
    const [a, b] = await Promise.all([first.query('select 1 as x'), first.query({ ...named, values: [1] })]);
    assert.deepEqual([a.rows, b.rows], [[{ x: 1 }], [{ body: 'one' }]]);

    await first.query('begin');
    await first.query('insert into notes values ($1, $2)', [3, 'uncommitted']);
    await first.end(); // dropped inside its transaction, as a broken connection would be

    const second = new embedded.Client();
    await second.connect();
    assert.deepEqual((await second.query('select count(*)::int as n from notes')).rows, [{ n: 2 }], 'the dropped client\'s transaction was rolled back');
    await second.query('insert into notes values ($1, $2)', [3, 'three']);
    assert.deepEqual((await second.query('select body from notes order by id')).rows.map((r) => r.body), ['one', 'two', 'three']);
    await second.end();
  } finally {
    await embedded.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
