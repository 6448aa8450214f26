// The GitOps store (COMMON.md "api/gitops/"): one repository per workspace, one commit per
// change. Local bare repositories by default; GitHub when a token and an org are given.

import * as path from 'node:path';
import { createGitHubHost } from './github-host.ts';
import { createLocalHost } from './local-host.ts';
import { createPacker, type PackingOptions } from './packing.ts';
import { withRepoLock } from './repo-lock.ts';
import { createStore } from './store.ts';
import type { ObjectCache } from './object-cache.ts';
import type { Author, GitopsStore } from './types.ts';

export type * from './types.ts';
export { formatCommitMessage, parseCommitMessage } from './trailers.ts';
export { REPO_FORMAT_VERSION } from './skeleton.ts';
export { NOTES_REF, outcomeOf } from './outcome-notes.ts';
export type { PackingOptions } from './packing.ts';
export { ObjectCache } from './object-cache.ts';

export interface GitopsStoreOptions {
  /** LOCO_DATA_DIR: repositories (or GitHub mirrors) live under <dataDir>/repos/. */
  dataDir: string;
  /** LOCO_GITHUB_TOKEN / LOCO_GITHUB_ORG / LOCO_GITHUB_API_URL; absent means local repositories. */
  github?: { token: string; org: string; apiUrl?: string; fetch?: typeof fetch };
  /** Committer of Loco's commits (the author is the actor of each change). */
  committer?: Author;
  /** Owners written into CODEOWNERS for apps/*\/overlays/prod/. */
  codeOwners?: (slug: string) => string;
  /** Packing of local repositories' loose objects (packing.ts); false turns it off. */
  packing?: PackingOptions | false;
  /** Parsed objects kept in memory across reads (default: 8 MiB for all repositories); tests read its size. */
  objectCache?: ObjectCache;
}

export function createGitopsStore(options: GitopsStoreOptions): GitopsStore {
  const reposDir = path.resolve(options.dataDir, 'repos');
  const github = options.github;
  const locksDir = path.join(reposDir, '.locks');
  // The very lock file the store takes for every write (store.ts `locked`): packing must exclude writers.
  const locked = <T>(slug: string, fn: () => Promise<T>) => withRepoLock(path.join(locksDir, `${slug}.lock`), fn);
  // isomorphic-git's cache holds the pack indexes it read: when packs are gathered or retired
  // ones deleted, the repository's cache is dropped so no read goes to a pack that is gone.
  let packsChanged: (slug: string) => void = () => {};
  const packing = options.packing === false ? false : {
    ...options.packing,
    onPacked: (slug: string, packed: { looseObjects: number; gatheredPacks?: number; retiredDeleted?: number }) => {
      if (packed.gatheredPacks || packed.retiredDeleted) packsChanged(slug);
      if (options.packing) options.packing.onPacked?.(slug, packed);
    },
  };
  const packer = github || packing === false ? undefined : createPacker(locked, packing);
  // GitHub mirrors are not packed here: they are fetched in packs and can be re-cloned.
  const host = github
    ? createGitHubHost({ ...github, mirrorsDir: reposDir })
    : createLocalHost(reposDir, packer ? { published: packer.committed } : {});
  return createStore({
    host,
    locksDir,
    committer: options.committer ?? { name: 'Loco', email: 'loco@localhost' },
    codeOwners: options.codeOwners ?? ((slug) => (github ? `@${github.org}/${slug}-owners` : `@${slug}-owners`)),
    onPacksChanged: (forget) => (packsChanged = forget),
    objectCache: options.objectCache,
  });
}
