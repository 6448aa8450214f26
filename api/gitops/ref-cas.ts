// Compare-and-swap of a branch ref in a bare repository, using git's own `<ref>.lock`
// protocol so a native `git push` into the same repository is serialised with us too.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LocoError } from '../../generator/errors.ts';

const OID = /^[0-9a-f]{40}$/;

/** Inode, size and mtime of a lock file (null when gone): unchanged means nobody touched it. */
async function lockIdentity(file: string): Promise<string | null> {
  try {
    const s = await fs.stat(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The oid a full ref name ('refs/heads/main') points at, or null. Follows no symrefs. */
export async function readRef(gitdir: string, ref: string): Promise<string | null> {
  try {
    const text = (await fs.readFile(path.join(gitdir, ref), 'utf8')).trim();
    if (OID.test(text)) return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    const packed = await fs.readFile(path.join(gitdir, 'packed-refs'), 'utf8');
    for (const line of packed.split('\n')) {
      const [oid, name] = line.split(' ');
      if (name === ref && OID.test(oid)) return oid;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return null;
}

/**
 * Points `ref` at `next` only if it still points at `expected` (null: must not exist yet).
 * Returns false when the ref moved. Never moves a ref that someone else changed.
 *
 * Callers hold Loco's repository lock (repo-lock.ts), so no Loco writer can be inside; a native
 * git holds a ref lock for milliseconds. A `<ref>.lock` that stays unchanged for the whole wait
 * was therefore left by a crash (a process killed mid-commit) and is removed, once: otherwise
 * every later deploy of the workspace would fail for good.
 */
export async function compareAndSwapRef(gitdir: string, ref: string, expected: string | null, next: string): Promise<boolean> {
  if (!OID.test(next)) throw new Error(`compareAndSwapRef: "${next}" is not an object id`);
  const file = path.join(gitdir, ref);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const lockFile = `${file}.lock`;
  let handle: fs.FileHandle | undefined;
  let firstSeen: string | null = null;
  let recovered = false;
  // git holds a ref lock for milliseconds; wait briefly for a concurrent native git.
  for (let attempt = 0; !handle; attempt++) {
    try {
      handle = await fs.open(lockFile, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const seen = await lockIdentity(lockFile);
      firstSeen ??= seen;
      if (attempt >= 100) {
        if (!recovered && seen !== null && seen === firstSeen) {
          await fs.rm(lockFile, { force: true });
          recovered = true;
          attempt = 0;
          firstSeen = null;
          continue;
        }
        // The message names the ref only: the lock file's path is a server path.
        throw new LocoError('unavailable.ref-locked', `${ref} of the workspace repository is locked by another writer`, 'retry in a moment');
      }
      if (seen !== firstSeen) firstSeen = seen; // another writer came and went: wait afresh
      await delay(10);
    }
  }
  let swapped = false;
  try {
    await handle.writeFile(`${next}\n`);
    await handle.close();
    handle = undefined;
    const current = await readRef(gitdir, ref);
    if (current === expected) {
      await fs.rename(lockFile, file);
      swapped = true;
    }
    return swapped;
  } finally {
    if (handle) await handle.close();
    if (!swapped) await fs.rm(lockFile, { force: true });
  }
}
