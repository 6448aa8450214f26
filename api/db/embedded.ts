// The embedded default database: PGlite (PostgreSQL compiled to WASM) in this process, with its
// files in the Loco data directory. MikroORM keeps its own `pg` driver, dialect and migrations;
// only the pool's clients differ: their connection hands the wire protocol straight to the WASM
// engine in this process (PGliteConnection below), so there is no socket, no port to find and no
// second copy of every result.
//
// PGlite is one PostgreSQL session. The pool has one client, and a transaction holds that client
// from BEGIN to COMMIT, so statements from other requests wait in the pool (pg-pool's queue)
// instead of landing inside someone else's transaction.

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
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
 * pg's Connection over PGlite, in place of PGlite's own node-postgres adapter, which runs the
 * engine once per protocol message: a prepared statement's parse, bind, describe, execute and
 * sync were five trips into WASM, each with its own result parsing. Here the messages of one
 * exchange are queued and run in one trip when pg asks for the answer (sync or flush): about
 * half the CPU per statement on this machine (a prepared select by key, 130–225 → 95–120 µs). The engine reads
 * the messages one after the other, as a server reads them from its socket.
 *
 * The answer is taken as raw bytes (`exchange`) and parsed once, by pg's own parser: PGlite's
 * execProtocol* calls also parse every message into their own objects, which pg then never
 * reads — 9 % of the API's CPU in bench/request-path.
 */
class PGliteConnection extends EventEmitter {
  // what pg's Client reads or sets on its connection
  _connecting = false;
  stream = { destroy: () => this.end() };
  parsedStatements = {};
  submittedNamedStatements = {};
  readonly #db: PGlite;
  #queued: Buffer[] = [];
  readonly #parser = new Parser();
  /** Exchanges run one after the other, in the order pg sent them. */
  #turn: Promise<unknown>;

  constructor(db: PGlite) {
    super();
    this.#db = db;
    this.#turn = db.waitReady;
  }

  async connect(_port?: number, _host?: string): Promise<void> {
    this._connecting = true;
    await this.#db.waitReady;
    process.nextTick(() => this.emit('readyForQuery'));
  }

  #run(message?: Buffer): void {
    if (message) this.#queued.push(message);
    const bytes = this.#queued.length === 1 ? this.#queued[0] : Buffer.concat(this.#queued);
    this.#queued = [];
    this.#turn = this.#turn
      .then(() => exchange(this.#db, bytes))
      .then((answer) => this.#parser.parse(answer, (m) => {
        this.emit('message', m);
        this.emit(m.name === 'error' ? 'errorMessage' : m.name, m);
      }))
      .catch((error) => this.emit('error', error));
  }

  query(text: string): void {
    this.#run(serialize.query(text));
  }
  parse(query: Parameters<typeof serialize.parse>[0]): void {
    this.#queued.push(serialize.parse(query));
  }
  bind(config: Parameters<typeof serialize.bind>[0]): void {
    this.#queued.push(serialize.bind(config));
  }
  describe(msg: Parameters<typeof serialize.describe>[0]): void {
    this.#queued.push(serialize.describe(msg));
  }
  execute(config: Parameters<typeof serialize.execute>[0]): void {
    this.#queued.push(serialize.execute(config));
  }
  close(msg: Parameters<typeof serialize.close>[0]): void {
    this.#queued.push(serialize.close(msg));
  }
  flush(): void {
    this.#run(serialize.flush());
  }
  sync(): void {
    this.#run(serialize.sync());
  }
  sendCopyFromChunk(chunk: Buffer): void {
    this.#run(serialize.copyData(chunk));
  }
  endCopyFrom(): void {
    this.#run(serialize.copyDone());
  }
  sendCopyFail(message: string): void {
    this.#run(serialize.copyFail(message));
  }
  // no socket: nothing to negotiate or to keep the process alive
  requestSsl(): void {}
  startup(_config: unknown): void {}
  cancel(_processId: number, _secretKey: number): void {}
  password(_password: string): void {}
  ref(): void {}
  unref(): void {}

  /** pg listens for `end` after calling this; the listeners of the old session go at once. */
  end(): void {
    this.#turn = this.#turn.then(() => this.emit('end'));
    for (const name of this.eventNames()) if (name !== 'newListener') this.removeAllListeners(name);
  }
}

/**
 * Runs protocol messages in the engine; its answer as the bytes a server would send. The engine
 * hands its output over in pieces that are views of its memory, so each is copied. (This call
 * leaves PGlite's output handler set to its callback, so every later exchange on this PGlite —
 * the session clean-up below included — goes through here, never through db.exec.)
 */
async function exchange(db: PGlite, bytes: Uint8Array): Promise<Buffer> {
  const pieces: Buffer[] = [];
  await db.execProtocolRawStream(bytes, { syncToFs: false, onRawData: (piece) => pieces.push(Buffer.from(piece)) });
  return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
}

/**
 * The pool's client over PGlite. The pool replaces a client it found broken (or idle too long)
 * with a new one on the same session; a transaction the old one left open is rolled back before
 * the new one is handed out, as a server does when a connection drops.
 */
function pgliteClientClass(db: PGlite): typeof pg.Client {
  let sessionClean: Promise<void> = Promise.resolve();
  class SessionConnection extends PGliteConnection {
    override async connect(port?: number, host?: string): Promise<void> {
      await sessionClean;
      return super.connect(port, host);
    }
    override end(): void {
      super.end();
      sessionClean = sessionClean.then(async () => {
        if (!db.closed && db.isInTransaction()) await exchange(db, serialize.query('rollback'));
      }).catch(() => undefined);
    }
  }
  return class PGliteClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connection: new SessionConnection(db) } as pg.ClientConfig);
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
