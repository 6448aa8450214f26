// The file system client handed to isomorphic-git. It writes every file through a temporary
// name and a rename: isomorphic-git never rewrites an object file that exists, so a process
// killed mid-write would otherwise leave a truncated object that no later write repairs, and a
// concurrent reader in another process could see half an object.

import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';

export async function writeFileAtomic(file: string, data: string | Uint8Array, options?: fs.WriteFileOptions): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.promises.writeFile(tmp, data, options);
    await fs.promises.rename(tmp, file);
  } catch (error) {
    await fs.promises.rm(tmp, { force: true });
    throw error;
  }
}

const LOOSE_OBJECT = /[\\/]objects[\\/][0-9a-f]{2}[\\/][0-9a-f]{38}$/;
const missing = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });

/**
 * Two costs isomorphic-git pays on every call, avoided here: it probes the client with
 * `readFile()` (no arguments) to see whether it returns promises, and it looks for every
 * object as a loose file before searching the packs — each a thrown Node error, which is
 * slow to build. Answer the probe with a ready-made rejection, and skip absent loose objects
 * with a synchronous existence check (a stat that throws nothing).
 */
function readFile(file?: string, options?: { encoding?: BufferEncoding | null } | BufferEncoding): Promise<string | Buffer> {
  if (file === undefined) return Promise.reject(missing);
  if (LOOSE_OBJECT.test(file) && !fs.existsSync(file)) return Promise.reject(missing);
  return (fs.promises.readFile as (f: string, o?: unknown) => Promise<string | Buffer>)(file, options);
}

/**
 * stat and readdir run synchronously: isomorphic-git calls them once or twice per object read
 * (it re-lists objects/pack each time), and a thread-pool round trip costs ten times the
 * metadata call itself, which made walking a long history slow. They touch only directory
 * metadata, so the event loop is held for microseconds.
 */
function syncBacked<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Promise<R> {
  return (...args) => {
    try {
      return Promise.resolve(fn(...args));
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

export const gitFs = {
  promises: {
    readFile,
    writeFile: writeFileAtomic,
    mkdir: fs.promises.mkdir,
    rmdir: fs.promises.rmdir,
    unlink: fs.promises.unlink,
    stat: syncBacked((p: string, o?: fs.StatSyncOptions) => fs.statSync(p, o)),
    lstat: syncBacked((p: string, o?: fs.StatSyncOptions) => fs.lstatSync(p, o)),
    // git repack writes its pack and index as .tmp-<pid>-pack-*.idx before renaming them; listed,
    // isomorphic-git would take the half-written index for a pack and fail on a file that moved.
    readdir: syncBacked((p: string, o?: { withFileTypes?: false }) => fs.readdirSync(p, o).filter((name) => !String(name).startsWith('.tmp-'))),
    readlink: fs.promises.readlink,
    symlink: fs.promises.symlink,
    chmod: fs.promises.chmod,
  },
};
