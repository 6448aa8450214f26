// One API process per embedded database: PGlite is a single-process database, and a second API
// on the same data dir would open its own copy of the files (another view, and lost writes after
// a restart). The first process holds `<dataDir>/db.lock`, naming its pid and host, for its whole
// life; a later one is refused with that name, unless the named process is gone (a crash).

import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LocoError } from '../../generator/errors.ts';
import { isAlive } from '../pid-alive.ts';

interface Holder {
  pid: number;
  host: string;
  since: string;
}

export interface DataDirLock {
  release(): Promise<void>;
}


async function readHolder(file: string): Promise<Holder | null> {
  try {
    const holder = JSON.parse(await fs.readFile(file, 'utf8')) as Holder;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? holder : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return null; // half-written by a process that died while writing it
  }
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await fs.mkdir(dataDir, { recursive: true });
  const file = join(dataDir, 'db.lock');
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(file, JSON.stringify(me) + '\n', { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
    }
    const holder = await readHolder(file);
    // Another host's pid cannot be checked from here: that holder is taken as alive.
    const held = holder && holder.pid !== process.pid && (holder.host !== me.host || isAlive(holder.pid));
    if (held) {
      throw new LocoError(
        'unavailable.data-dir-in-use',
        `the data directory is in use by another Loco API process (pid ${holder.pid} on ${holder.host}, since ${holder.since}); the embedded database serves one process only`,
        'stop that process first, give this one its own LOCO_DATA_DIR, or run both on PostgreSQL (DATABASE_URL)',
        { data: { pid: holder.pid, host: holder.host } },
      );
    }
    // Its holder is gone (or is this process, from an open that was never closed): take it over.
    await fs.rm(file, { force: true });
  }
  return {
    async release() {
      const holder = await readHolder(file);
      if (holder?.pid === me.pid && holder.since === me.since) await fs.rm(file, { force: true });
    },
  };
}
