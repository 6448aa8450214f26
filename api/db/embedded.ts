// The embedded default database: PGlite (PostgreSQL compiled to WASM) with its files in the Loco
// data directory, served over the PostgreSQL wire protocol on a loopback port so that the API
// talks to it through the same `pg` driver, dialect and migrations as a real server.

import { createServer } from 'node:net';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A fresh PGlite runs initdb in WebAssembly (several seconds). The first one on a machine keeps
 * a copy of its pristine data directory; later fresh databases start from that copy (about a
 * second). Only the empty cluster is cached — Loco's schema always comes from the migrations.
 */
const PGLITE_VERSION = (JSON.parse(readFileSync(join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json'), 'utf8')) as { version: string }).version;
const PRISTINE = join(tmpdir(), `loco-pglite-pristine-${PGLITE_VERSION}.tar.gz`);

async function openPGlite(dir: string): Promise<PGlite> {
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  if (fresh && existsSync(PRISTINE)) {
    try {
      return await PGlite.create(dir, { loadDataDir: new Blob([await readFile(PRISTINE)]) });
    } catch {
      // a damaged copy: fall through to a real initdb, which rewrites it
    }
  }
  const db = await PGlite.create(dir);
  if (fresh) {
    const dump = await db.dumpDataDir('gzip');
    const partial = `${PRISTINE}.${process.pid}.tmp`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, PRISTINE).catch(() => undefined);
  }
  return db;
}

export async function startEmbeddedDatabase(dir: string): Promise<EmbeddedDatabase> {
  await mkdir(dir, { recursive: true });
  const db = await openPGlite(dir);
  // PGlite is single-connection: the socket server accepts one client, so the pool is 1 too.
  for (let attempt = 0; ; attempt++) {
    const port = await freeLoopbackPort();
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 1 });
    try {
      await server.start();
    } catch (error) {
      // another process took the port between probing and binding: probe again
      if (attempt < 5 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      await db.close();
      throw error;
    }
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      async stop() {
        await server.stop();
        await db.close();
      },
    };
  }
}
