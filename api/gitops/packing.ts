// Packs the loose objects of local repositories now and then. isomorphic-git writes every object
// as a file of its own and has no gc, so a busy workspace would grow by thousands of files a day.
// The git CLI does the packing where it is on PATH; where it is not, repositories stay loose, as
// before, and that is logged once.
//
// Only `git repack -d` without `-a`: the reachable loose objects go into one new pack, then the
// loose copies are removed; existing packs are never rewritten or deleted. Readers do not take the
// repository lock. isomorphic-git falls back from a missing loose object to the packs, and the new
// pack is complete (git renames its .idx into place last) before any loose file goes, so a reader
// never misses an object; but it cannot recover from a pack deleted under it, which `gc` or
// `repack -a -d` would do.

import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';

export interface PackingOptions {
  /** Count a repository's loose objects after this many commits to it by this process (default 100). */
  checkEveryCommits?: number;
  /** Pack when at least this many loose objects are found (default 5000; git's own gc.auto is 6700). */
  minLooseObjects?: number;
  /** The git executable (default `git`, looked up on PATH). */
  git?: string;
  /** Where to say that packing is skipped or failed (default: nowhere). */
  log?: (message: string) => void;
  /** Called, still under the repository lock, after a run that packed: for tests and metrics. */
  onPacked?: (slug: string, packed: { looseObjects: number }) => void;
}

export interface Packer {
  /** A branch of `slug` moved: may start packing in the background. Never waits, never throws. */
  committed(slug: string, gitdir: string): void;
}

/** Runs `fn` under the repository lock of `slug`: the same lock every writer takes. */
export type RepoLocked = <T>(slug: string, fn: () => Promise<T>) => Promise<T>;

/** A git that hangs must not hold the repository lock (and every commit with it) for good. */
const REPACK_TIMEOUT_MS = 5 * 60_000;

/** Loose object files (objects/xx/<38 hex>), not the temporary files of writes in flight. */
export function countLooseObjects(gitdir: string): number {
  const objects = path.join(gitdir, 'objects');
  let count = 0;
  for (const dir of readdirSync(objects)) {
    if (!/^[0-9a-f]{2}$/.test(dir)) continue;
    for (const file of readdirSync(path.join(objects, dir))) if (/^[0-9a-f]{38}$/.test(file)) count += 1;
  }
  return count;
}

function repack(git: string, gitdir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(git, ['--git-dir', gitdir, 'repack', '-d', '-q'], { timeout: REPACK_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      reject(Object.assign(error, { message: `${error.message.split('\n')[0]}${stderr ? `: ${stderr.trim()}` : ''}` }));
    });
  });
}

export function createPacker(locked: RepoLocked, options: PackingOptions = {}): Packer {
  const every = options.checkEveryCommits ?? 100;
  const minLoose = options.minLooseObjects ?? 5000;
  const git = options.git ?? 'git';
  const log = options.log ?? (() => undefined);
  const commits = new Map<string, number>();
  const running = new Set<string>();
  let noGit = false;

  async function packIfDue(slug: string, gitdir: string): Promise<void> {
    // Counted under the lock: another process may have packed since this one decided to look.
    const looseObjects = countLooseObjects(gitdir);
    if (looseObjects < minLoose) return;
    await repack(git, gitdir);
    options.onPacked?.(slug, { looseObjects });
  }

  return {
    committed(slug, gitdir) {
      if (noGit) return;
      const n = (commits.get(slug) ?? 0) + 1;
      commits.set(slug, n);
      if (n < every || running.has(slug)) return;
      commits.set(slug, 0);
      running.add(slug);
      // Not awaited: the commit that got here returns at once, and this queues for the lock
      // behind it, so no writer of this repository runs while git repacks.
      locked(slug, () => packIfDue(slug, gitdir))
        .catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT' && error.syscall?.startsWith('spawn')) {
            noGit = true;
            log(`packing local GitOps repositories is off: "${git}" was not found on PATH, so their objects stay loose files (install git on the API host to pack them)`);
          } else {
            log(`packing the ${slug} GitOps repository failed (it stays as it was; retried after more commits): ${error.message}`);
          }
        })
        .finally(() => running.delete(slug));
    },
  };
}
