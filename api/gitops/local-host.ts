// Local hosting: bare repositories under <dataDir>/repos/<slug>.git, the default on a fresh
// machine. The bare repository is both the store's working copy and the published one.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import git from 'isomorphic-git';
import { gitFs } from './git-fs.ts';
import { compareAndSwapRef } from './ref-cas.ts';
import type { GitHost } from './git-host.ts';
import { NOTES_REF } from './outcome-notes.ts';
import type { PullRequest } from './types.ts';

export async function initBareRepository(gitdir: string): Promise<void> {
  try {
    await fs.access(path.join(gitdir, 'HEAD'));
    return;
  } catch {
    // missing: create below
  }
  await fs.mkdir(gitdir, { recursive: true });
  await git.init({ fs: gitFs, gitdir, bare: true, defaultBranch: 'main' });
}

export interface LocalHostHooks {
  /** A branch moved (called under the repository lock; must not wait for anything). */
  published?: (slug: string, gitdir: string) => void;
}

export function createLocalHost(reposDir: string, hooks: LocalHostHooks = {}): GitHost {
  return {
    kind: 'local',
    gitdir: (slug) => path.join(reposDir, `${slug}.git`),
    refName: (branch) => `refs/heads/${branch}`,
    async prepare(slug) {
      await initBareRepository(this.gitdir(slug));
    },
    async refresh() {
      // The bare repository is the hosted one: nothing to fetch.
    },
    async publish(slug, branch, expected, next) {
      const moved = await compareAndSwapRef(this.gitdir(slug), this.refName(branch), expected, next);
      if (moved) hooks.published?.(slug, this.gitdir(slug));
      return moved;
    },
    notesRef: NOTES_REF,
    async refreshNotes() {
      // The bare repository holds the notes itself.
    },
    async publishNotes(slug, expected, next) {
      return compareAndSwapRef(this.gitdir(slug), NOTES_REF, expected, next);
    },
    async protect() {
      // Local repositories are written only by Loco; prod review happens in Loco's database.
    },
    async deleteBranch(slug, branch) {
      await git.deleteRef({ fs: gitFs, gitdir: this.gitdir(slug), ref: this.refName(branch) }).catch(() => undefined);
    },
    async openPullRequest(_slug, request): Promise<PullRequest> {
      // With local repositories the pull request lives in Loco's database (DESIGN.md).
      return { number: null, url: null, branch: request.branch, base: request.base };
    },
    async mergePullRequest() {
      return null;
    },
  };
}
