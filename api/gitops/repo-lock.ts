// A per-repository lock that holds across processes (several API processes share one data
// directory): an O_EXCL lock file naming its holder. A holder that died (its pid is gone on
// this host) or stopped refreshing the file for `staleMs` is broken, so one crash never
// blocks a workspace for good. Callers in one process queue in memory first, so only one of
// them polls the file.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { LocoError } from '../../generator/errors.ts';
import { isAlive } from '../pid-alive.ts';

export interface LockOptions {
  /** Give up waiting after this long. */
  timeoutMs?: number;
  /** A lock file not refreshed for this long is taken as abandoned. */
  staleMs?: number;
}

interface LockRecord {
  pid: number;
  host: string;
  token: string;
  since: string;
}

const queues = new Map<string, Promise<unknown>>();

export async function withRepoLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const previous = queues.get(lockPath) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => holdFileLock(lockPath, fn, options));
  queues.set(lockPath, run);
  try {
    return await run;
  } finally {
    if (queues.get(lockPath) === run) queues.delete(lockPath);
  }
}

async function holdFileLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
  const staleMs = options.staleMs ?? 60_000;
  const token = await acquire(lockPath, options.timeoutMs ?? 60_000, staleMs);
  // Refresh the mtime so a long push over the network is not mistaken for a dead holder.
  const keepAlive = setInterval(() => {
    const now = new Date();
    fs.utimes(lockPath, now, now).catch(() => undefined);
  }, Math.max(250, staleMs / 4));
  keepAlive.unref();
  try {
    return await fn();
  } finally {
    clearInterval(keepAlive);
    await release(lockPath, token);
  }
}

async function acquire(lockPath: string, timeoutMs: number, staleMs: number): Promise<string> {
  const record: LockRecord = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  const deadline = Date.now() + timeoutMs;
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  let wait = 2;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      try {
        await handle.writeFile(JSON.stringify(record));
      } finally {
        await handle.close();
      }
      return record.token;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await breakIfStale(lockPath, staleMs)) continue;
    if (Date.now() > deadline) {
      throw new LocoError(
        'unavailable.repository-locked',
        `the GitOps repository is locked by another change (${lockPath})`,
        'retry in a moment; if no Loco process is running, delete the lock file',
      );
    }
    // Polling with jittered backoff: file locks have no portable wake-up notification.
    await delay(wait + Math.random() * wait);
    wait = Math.min(wait * 2, 50);
  }
}

async function readLock(lockPath: string): Promise<{ record: LockRecord | null; mtimeMs: number } | null> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    let record: LockRecord | null = null;
    try {
      record = JSON.parse(text) as LockRecord;
    } catch {
      record = null; // being written right now, or the writer died before writing
    }
    return { record, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}


/** True when the lock was abandoned and has been removed (or vanished); false to keep waiting. */
async function breakIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  const seen = await readLock(lockPath);
  if (!seen) return true;
  const deadHolder = seen.record !== null && seen.record.host === hostname() && !isAlive(seen.record.pid);
  const silent = Date.now() - seen.mtimeMs > staleMs;
  if (!deadHolder && !silent) return false;
  // Move it aside atomically, then check it is the very lock judged stale: two waiters may
  // race to break the same lock, and the loser must not delete the winner's fresh lock.
  const aside = `${lockPath}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const moved = await readLock(aside);
  if (moved?.record?.token !== seen.record?.token) {
    // We took someone's fresh lock: put it back unless a third process locked meanwhile.
    await fs.link(aside, lockPath).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
  return true;
}

async function release(lockPath: string, token: string): Promise<void> {
  const seen = await readLock(lockPath);
  if (seen?.record?.token === token) await fs.rm(lockPath, { force: true });
}
