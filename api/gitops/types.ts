// The GitopsStore contract (COMMON.md "api/gitops/"): what the rest of Loco may ask of a
// workspace's GitOps repository, whichever host (local disk or GitHub) keeps it.

import type { OutcomeNote } from './outcome-notes.ts';

export type { OutcomeNote } from './outcome-notes.ts';

export interface Author {
  name: string;
  email: string;
}

export interface ChangeRequest {
  slug: string;
  /**
   * Paths this change owns. 'dir/' (trailing slash) owns everything below dir; 'a/b.txt' owns
   * that one file. Owned files that are not in `files` are deleted.
   */
  scope: string[];
  /** Repo-relative path → file text (or bytes). Paths outside `scope` are added to it. */
  files: Map<string, string | Uint8Array>;
  subject: string;
  /** Optional commit body between subject and trailers. */
  body?: string;
  /** `Loco-*` trailers, written in this order. */
  trailers: Record<string, string>;
  author: Author;
  /** The head the caller rendered against; a stale base that touched `scope` is a conflict. */
  baseCommit?: string;
  /** Default 'main'. A missing branch is created from `startPoint` (default 'main'). */
  branch?: string;
  startPoint?: string;
  /**
   * Run under the repository lock before each commit attempt (again after a lost race): throw to
   * abandon the change. Replicas decide "is this change still wanted?" here, where no other
   * writer of this repository can commit between the answer and the commit.
   */
  precondition?: () => Promise<void>;
}

export type ChangeResult =
  | { status: 'committed'; commit: string; parent: string }
  | { status: 'unchanged'; commit: string };

/** One change of a group commit: its commit, or why it alone did not land. */
export type BatchResult = ChangeResult | { status: 'failed'; error: unknown };

export interface HistoryQuery {
  app?: string;
  profile?: string;
  /** Matches the Loco-Actor trailer exactly, or its name part ("alice" in "alice (github:1)"). */
  actor?: string;
  since?: Date | string;
  until?: Date | string;
  /** Default 100. */
  limit?: number;
  branch?: string;
}

export interface HistoryEntry {
  commit: string;
  parents: string[];
  subject: string;
  author: Author;
  /** Commit time, ISO 8601. */
  time: string;
  trailers: Record<string, string>;
}

export interface TreeDiff {
  added: string[];
  removed: string[];
  changed: string[];
  /** Unified diff text (git style, a/ b/ prefixes). */
  patch: string;
}

export interface RestoreRequest {
  slug: string;
  /** The earlier commit whose files come back. */
  fromCommit: string;
  /** The paths restored (same meaning as ChangeRequest.scope), e.g. appScope(app, profile). */
  scope: string[];
  subject: string;
  trailers: Record<string, string>;
  author: Author;
  baseCommit?: string;
  branch?: string;
  /** As ChangeRequest.precondition. */
  precondition?: () => Promise<void>;
}

export interface PullRequest {
  /** GitHub's PR number; null for local repositories (the PR is held in Loco's database). */
  number: number | null;
  url: string | null;
  branch: string;
  base: string;
}

export interface OpenPullRequest {
  slug: string;
  branch: string;
  base?: string;
  title: string;
  body: string;
}

export interface MergeRequest {
  slug: string;
  branch: string;
  base?: string;
  /** When set (GitHub), the pull request is merged through GitHub so it shows as merged. */
  pullRequest?: number | null;
  /** Subject and trailers of the merge commit when one is needed. */
  subject: string;
  trailers: Record<string, string>;
  author: Author;
}

export type MergeResult =
  | { status: 'fast-forward'; commit: string; parent: string }
  | { status: 'merged'; commit: string; parent: string }
  | { status: 'unchanged'; commit: string };

export interface GitopsStore {
  readonly host: 'local' | 'github';
  /**
   * Creates the workspace repository from gitops-repo-skeleton/ when missing; idempotent.
   * `formatVersion` is the repository's .loco/format-version; a repository written by a newer
   * Loco (a higher version than REPO_FORMAT_VERSION) is refused as conflict.repository-format.
   */
  ensureRepository(slug: string): Promise<{ created: boolean; head: string; formatVersion: number }>;
  applyChange(change: ChangeRequest): Promise<ChangeResult>;
  /**
   * Group commit of changes to one repository and branch, in order: one commit per change
   * (each its own subject and trailers, parent = the previous one), one pack, one ref update.
   * A change that fails (precondition, conflict) fails alone: its result says why, the rest land.
   */
  applyChanges(changes: ChangeRequest[]): Promise<BatchResult[]>;
  /**
   * applyChange on a branch made from `startPoint` (default main) when missing. A change that
   * leaves the start point's files as they are is 'unchanged' and creates no branch.
   */
  createBranchCommit(change: ChangeRequest & { branch: string }): Promise<ChangeResult>;
  /** Restores the files of `scope` as they were at `fromCommit`, as a new commit. */
  restore(request: RestoreRequest): Promise<ChangeResult>;
  history(slug: string, query?: HistoryQuery): Promise<HistoryEntry[]>;
  readFiles(slug: string, commit: string, prefix?: string): Promise<Map<string, string>>;
  diff(slug: string, from: string, to: string, prefix?: string): Promise<TreeDiff>;
  /** Whether `commit` is `ancestor` or has it in its history (false when either is unknown). */
  contains(slug: string, commit: string, ancestor: string): Promise<boolean>;
  /** Head commit of a branch (default main), or null when the branch does not exist. */
  head(slug: string, branch?: string): Promise<string | null>;
  /**
   * Records how a deployment of `commit` ended as a git note under refs/notes/loco (pushed to
   * the host with the branch), replacing an earlier outcome of the same deployment.
   */
  recordOutcome(slug: string, commit: string, note: OutcomeNote): Promise<void>;
  /** recordOutcome of several commits at once: one notes commit (a group commit's outcomes). */
  recordOutcomes(slug: string, outcomes: { commit: string; note: OutcomeNote }[]): Promise<void>;
  /** The outcomes git records, by commit (of `commits` only when given). */
  outcomes(slug: string, commits?: Iterable<string>): Promise<Map<string, OutcomeNote[]>>;
  openPullRequest(request: OpenPullRequest): Promise<PullRequest>;
  mergeBranch(request: MergeRequest): Promise<MergeResult>;
  deleteBranch(slug: string, branch: string): Promise<void>;
  /** Where the local copy (bare repository or GitHub mirror) lives; for tools and tests. */
  gitdir(slug: string): string;
}
