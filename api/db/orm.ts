// Opens the database (PostgreSQL from DATABASE_URL, or the embedded PGlite) and brings its
// schema up to date. Migrations are classes in ./migrations, run at every start; the migrator
// records applied ones, so a second run does nothing.

import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { join } from 'node:path';
import { entities } from './entities.ts';
import { lockDataDir } from './data-dir-lock.ts';
import pg from 'pg';
import type { EmbeddedDatabase } from './embedded.ts';
import { CompiledQuery, type DatabaseConnection } from 'kysely';
import { GENERIC_PLANS, withNamedStatements } from './prepared.ts';
import { poolDrained } from './pool-drain.ts';
import { migrations } from './migrations/index.ts';

export interface Database {
  orm: MikroORM;
  /** 'postgresql' or 'pglite' */
  kind: 'postgresql' | 'pglite';
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… ; when missing, the embedded database in `<dataDir>/db`. */
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const dirLock = options.databaseUrl ? undefined : await lockDataDir(options.dataDir);
  let embedded: EmbeddedDatabase | undefined;
  try {
    // imported only when used: an API on PostgreSQL never loads PGlite (~2.4 MiB of RSS measured on its own)
    embedded = options.databaseUrl ? undefined : await (await import('./embedded.ts')).startEmbeddedDatabase(join(options.dataDir, 'db'));
  } catch (error) {
    await dirLock?.release();
    throw error;
  }
  // The embedded database's clients reach PGlite in-process (embedded.ts); the URL only names
  // the user and database pg reports.
  const clientUrl = options.databaseUrl ?? 'postgres://postgres@localhost/postgres';
  const max = embedded ? 1 : (options.poolSize ?? 10);
  let orm: MikroORM;
  let pool: pg.Pool | undefined;
  try {
    orm = await MikroORM.init({
      clientUrl,
      entities,
      extensions: [Migrator],
      pool: { min: 0, max },
      // hot statements go as named prepared statements (prepared.ts), on either database
      driverOptions: { Client: withNamedStatements(embedded ? embedded.Client : pg.Client), onPoolCreated: (created: pg.Pool) => void (pool = created) },
      // each connection plans a named statement once (prepared.ts: GENERIC_PLANS)
      onCreateConnection: async (connection) => {
        await (connection as DatabaseConnection).executeQuery(CompiledQuery.raw(GENERIC_PLANS));
      },
      migrations: { migrationsList: migrations, snapshot: false, silent: true, transactional: true, allOrNothing: true },
      discovery: { warnWhenNoEntities: false },
      debug: false,
      allowGlobalContext: false,
    });
    await orm.migrator.up();
  } catch (error) {
    await embedded?.stop();
    await dirLock?.release();
    throw error;
  }
  return {
    orm,
    kind: embedded ? 'pglite' : 'postgresql',
    async close() {
      // queries still in flight finish first (pool-drain.ts: closing under a connecting query hangs)
      if (pool) await poolDrained(pool, 10_000);
      await orm.close(true);
      await embedded?.stop();
      await dirLock?.release();
    },
  };
}
