// The embedded default database: PGlite (PostgreSQL compiled to WASM) in this process, with its
// files in the Loco data directory. MikroORM keeps its own `pg` driver, dialect and migrations;
// only the pool's clients differ: their connection is PGlite's in-process node-postgres adapter
// (`@electric-sql/pglite/node-postgres`), which hands each wire-protocol message straight to the
// WASM engine, so there is no socket, no port to find and no second copy of every result.
//
// PGlite is one PostgreSQL session. The pool has one client, and a transaction holds that client
// from BEGIN to COMMIT, so statements from other requests wait in the pool (pg-pool's queue)
// instead of landing inside someone else's transaction.

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { PglitePgConnection } from '@electric-sql/pglite/node-postgres';
import { extractTarGz } from './tar-extract.ts';

export interface EmbeddedDatabase {
  /** The pg client class for the pool (MikroORM's `driverOptions.Client`): talks to PGlite in-process. */
  Client: typeof pg.Client;
  stop(): Promise<void>;
}

/**
 * PostgreSQL's defaults are sized for a server; in WASM every page of shared memory PGlite
 * initialises stays resident in the process. 128 MB of shared buffers cost ~130 MiB of RSS at
 * start; Loco's working set (a few thousand rows per workspace) fits in 16 MB many times over,
 * and evicted pages come back from the OS page cache, not a disk seek. One session needs few
 * connection slots.
 */
const SMALL_SERVER: string[] = ['-c', 'shared_buffers=16MB', '-c', 'max_connections=5', '-c', 'wal_buffers=1MB'];

/**
 * A fresh PGlite runs initdb in WebAssembly (several seconds). The first one on a machine keeps
 * a copy of its pristine data directory; later fresh databases start from that copy (about a
 * second). Only the empty cluster is cached — Loco's schema always comes from the migrations.
 */
const PGLITE_VERSION = (JSON.parse(readFileSync(join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json'), 'utf8')) as { version: string }).version;
const PRISTINE = join(tmpdir(), `loco-pglite-pristine-${PGLITE_VERSION}.tar.gz`);

async function openPGlite(dir: string): Promise<PGlite> {
  const options: PGliteOptions = { startParams: [...PGlite.defaultStartParams, ...SMALL_SERVER] };
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  if (fresh && existsSync(PRISTINE)) {
    try {
      // unpacked on disk, not through loadDataDir: see tar-extract.ts
      await extractTarGz(await readFile(PRISTINE), dir);
      return await PGlite.create(dir, options);
    } catch {
      // a damaged copy: start over with a real initdb, which rewrites it
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
    }
  }
  const db = await PGlite.create(dir, options);
  if (fresh) {
    const dump = await db.dumpDataDir('gzip');
    const partial = `${PRISTINE}.${process.pid}.tmp`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, PRISTINE).catch(() => undefined);
  }
  return db;
}

/**
 * The pool's client over PGlite. The pool replaces a client it found broken (or idle too long)
 * with a new one on the same session; a transaction the old one left open is rolled back before
 * the new one is handed out, as a server does when a connection drops.
 */
function pgliteClientClass(db: PGlite): typeof pg.Client {
  let sessionClean: Promise<void> = Promise.resolve();
  class SessionConnection extends PglitePgConnection {
    override async connect(port: number, host: string): Promise<void> {
      await sessionClean;
      return super.connect(port, host);
    }
    override end(): void {
      super.end();
      sessionClean = sessionClean.then(async () => {
        if (!db.closed && db.isInTransaction()) await db.exec('rollback');
      }).catch(() => undefined);
    }
  }
  return class PGliteClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connection: new SessionConnection({ pglite: db }) } as pg.ClientConfig);
    }
  };
}

export async function startEmbeddedDatabase(dir: string): Promise<EmbeddedDatabase> {
  await mkdir(dir, { recursive: true });
  const db = await openPGlite(dir);
  return {
    Client: pgliteClientClass(db),
    async stop() {
      await db.close();
    },
  };
}
