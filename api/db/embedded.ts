// The embedded default database: PGlite (PostgreSQL compiled to WASM) with its files in the Loco
// data directory, served over the PostgreSQL wire protocol on a loopback port so that the API
// talks to it through the same `pg` driver, dialect and migrations as a real server.

import { createServer } from 'node:net';
import { mkdir } from 'node:fs/promises';
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

export async function startEmbeddedDatabase(dir: string): Promise<EmbeddedDatabase> {
  await mkdir(dir, { recursive: true });
  const db = await PGlite.create(dir);
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
