// The one boundary between the GitOps store and where repositories live. The store does all
// git work in a local bare repository (the repository itself for the local host, a mirror
// for GitHub); a host only says how that copy relates to the hosted one.

import type { PullRequest } from './types.ts';

export interface GitHost {
  readonly kind: 'local' | 'github';
  /** The local bare repository the store reads and writes. */
  gitdir(slug: string): string;
  /** The ref in the local copy that holds the host's view of `branch`. */
  refName(branch: string): string;
  /** Makes the hosted repository exist (empty is fine) and the local copy usable. */
  prepare(slug: string): Promise<void>;
  /** Brings the local copy of `branch` up to date with the host. */
  refresh(slug: string, branch: string): Promise<void>;
  /**
   * Moves `branch` from `expected` (null: create) to `next` on the host by compare-and-swap;
   * false when the branch moved meanwhile. Never forces.
   */
  publish(slug: string, branch: string, expected: string | null, next: string): Promise<boolean>;
  /** The local ref that holds the host's refs/notes/loco (deployment outcomes, outcome-notes.ts). */
  readonly notesRef: string;
  /** Brings the local copy of refs/notes/loco up to date with the host (missing there: removed here). */
  refreshNotes(slug: string): Promise<void>;
  /** Moves refs/notes/loco from `expected` to `next` on the host by compare-and-swap; false when it moved. */
  publishNotes(slug: string, expected: string | null, next: string): Promise<boolean>;
  /** Guards `branch` of a new repository (branch protection on GitHub; nothing locally). */
  protect(slug: string, branch: string): Promise<void>;
  deleteBranch(slug: string, branch: string): Promise<void>;
  openPullRequest(slug: string, request: { branch: string; base: string; title: string; body: string }): Promise<PullRequest>;
  /**
   * Merges a host-side pull request whose head must still be `sha`; returns the new head of
   * the base branch, or null when the host has no pull requests (the store merges itself).
   */
  mergePullRequest(slug: string, request: { number: number; sha: string; title: string; message: string }): Promise<string | null>;
}
