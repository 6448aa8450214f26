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
//
// Group commits (store.applyChanges) write a pack each, so packs pile up too. Past `maxPacks`,
// `git repack -a` (no -d) writes one pack of everything reachable beside them, `git
// prune-packed` drops the loose copies, and the packs it replaced are only listed as retired;
// they are deleted at a later run, `retireAfterMs` on, long after any reader that listed them
// has read what it looked for.

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export interface PackingOptions {
  /** Count a repository's loose objects after this many commits to it by this process (default 100). */
  checkEveryCommits?: number;
  /** Pack when at least this many loose objects are found (default 5000; git's own gc.auto is 6700). */
  minLooseObjects?: number;
  /** Gather the packs into one when a repository has this many (default 50; each group commit adds one). */
  maxPacks?: number;
  /** Delete the packs a gathering replaced only this long after it (default 10 minutes). */
  retireAfterMs?: number;
  /** The git executable (default `git`, looked up on PATH). */
  git?: string;
  /** Where to say that packing is skipped or failed (default: nowhere). */
  log?: (message: string) => void;
  /** Called, still under the repository lock, after a run that packed: for tests and metrics. */
  onPacked?: (slug: string, packed: { looseObjects: number; gatheredPacks?: number; retiredDeleted?: number }) => void;
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

/** Names (pack-<hash>) of the packs in the repository, without those retired by an earlier gathering. */
export function listPacks(gitdir: string): string[] {
  const dir = path.join(gitdir, 'objects', 'pack');
  const retired = new Set(readRetired(gitdir)?.packs ?? []);
  return readdirSync(dir).filter((f) => f.endsWith('.idx')).map((f) => f.slice(0, -'.idx'.length)).filter((name) => !retired.has(name));
}

const retiredFile = (gitdir: string) => path.join(gitdir, 'objects', 'pack', 'loco-retired.json');

function readRetired(gitdir: string): { at: number; packs: string[] } | null {
  try {
    return JSON.parse(readFileSync(retiredFile(gitdir), 'utf8')) as { at: number; packs: string[] };
  } catch {
    return null;
  }
}

/** Deletes the packs retired at least `afterMs` ago (index first, so no reader finds a pack without it). */
/** Returns how many retired packs it deleted. */
function deleteRetired(gitdir: string, afterMs: number, now: number): number {
  const retired = readRetired(gitdir);
  if (!retired || now - retired.at < afterMs) return 0;
  for (const name of retired.packs) {
    rmSync(path.join(gitdir, 'objects', 'pack', `${name}.idx`), { force: true });
    rmSync(path.join(gitdir, 'objects', 'pack', `${name}.pack`), { force: true });
  }
  rmSync(retiredFile(gitdir), { force: true });
  return retired.packs.length;
}

/** One pack of everything reachable, beside the packs there are; the loose copies of packed objects go. */
async function gatherPacks(git: string, gitdir: string): Promise<void> {
  await run(git, ['--git-dir', gitdir, 'repack', '-a', '-q']);
  await run(git, ['--git-dir', gitdir, 'prune-packed', '-q']);
}

function repack(git: string, gitdir: string): Promise<void> {
  return run(git, ['--git-dir', gitdir, 'repack', '-d', '-q']);
}

function run(git: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(git, args, { timeout: REPACK_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      reject(Object.assign(error, { message: `${error.message.split('\n')[0]}${stderr ? `: ${stderr.trim()}` : ''}` }));
    });
  });
}

export function createPacker(locked: RepoLocked, options: PackingOptions = {}): Packer {
  const every = options.checkEveryCommits ?? 100;
  const minLoose = options.minLooseObjects ?? 5000;
  const maxPacks = options.maxPacks ?? 50;
  const retireAfterMs = options.retireAfterMs ?? 10 * 60_000;
  const git = options.git ?? 'git';
  const log = options.log ?? (() => undefined);
  const commits = new Map<string, number>();
  const running = new Set<string>();
  let noGit = false;

  async function packIfDue(slug: string, gitdir: string): Promise<void> {
    // Counted under the lock: another process may have packed since this one decided to look.
    const retiredDeleted = deleteRetired(gitdir, retireAfterMs, Date.now());
    const looseObjects = countLooseObjects(gitdir);
    if (retiredDeleted > 0) options.onPacked?.(slug, { looseObjects, retiredDeleted });
    const packs = listPacks(gitdir);
    if (packs.length >= maxPacks && !readRetired(gitdir)) {
      await gatherPacks(git, gitdir);
      // the new pack holds every reachable object; the old ones wait out their readers
      const fresh = listPacks(gitdir).filter((name) => !packs.includes(name));
      if (fresh.length > 0) writeFileSync(retiredFile(gitdir), JSON.stringify({ at: Date.now(), packs }));
      options.onPacked?.(slug, { looseObjects, gatheredPacks: packs.length });
      return;
    }
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
      // `running` is cleared before the lock is let go, so the writer waiting behind this run
      // starts the next one when it commits.
      locked(slug, () => packIfDue(slug, gitdir).finally(() => running.delete(slug)))
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
