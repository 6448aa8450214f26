// Closing the database while a query is still getting its connection must not hang the process.
// Kysely's PostgresDriver (under MikroORM) awaits `pool.connect()`; when `destroy()` runs in
// between, it has already dropped its pool, so the connect that then arrives throws inside the
// driver and the pg client it got is never released — and `pool.end()`, which waits for every
// checked-out client, never returns. (Seen as a test whose API close hung forever: a runner scan
// was connecting when the API stopped.) So the database closes only once no client of the pool
// is checked out or still connecting: the in-flight queries finish first.

import type pg from 'pg';

/**
 * Resolves true once every client of `pool` is idle (none checked out, none connecting), or
 * false after `timeoutMs` (the caller closes anyway: a query that holds its client for that
 * long is not one to wait for at shutdown).
 */
export function poolDrained(pool: pg.Pool, timeoutMs: number): Promise<boolean> {
  const idle = () => pool.totalCount === pool.idleCount;
  if (idle()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const events = ['release', 'remove', 'error', 'connect'] as const;
    // pg-pool emits `release` before the client is back in its idle list: look once it is
    const check = () => setImmediate(() => {
      if (idle()) done(true);
    });
    const done = (drained: boolean) => {
      clearTimeout(timer);
      for (const event of events) pool.off(event, check);
      resolve(drained);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    for (const event of events) pool.on(event, check);
  });
}
