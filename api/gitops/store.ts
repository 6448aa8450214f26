// The GitopsStore: one commit per change, compare-and-swap of the branch head under a
// per-repository lock, reads by trailer. All git work happens in the host's local bare copy.

import * as path from 'node:path';
import git from 'isomorphic-git';
import { LocoError } from '../../generator/errors.ts';
import { gitFs } from './git-fs.ts';
import type { GitHost } from './git-host.ts';
import { readHistory } from './history.ts';
import { readNote, readNotes, writeNotesCommit } from './notes.ts';
import { mergeOutcomeNote, parseOutcomeNotes } from './outcome-notes.ts';
import { mergeBranchLocally } from './merge.ts';
import { withRepoLock } from './repo-lock.ts';
import { readRef } from './ref-cas.ts';
import { FORMAT_FILE, REPO_FORMAT_VERSION, skeletonFiles } from './skeleton.ts';
import { formatCommitMessage } from './trailers.ts';
import { applyTreeEdit, type TreeStore } from './tree-edit.ts';
import { ObjectStage, readBlobBytes, readCommitHead, writeCommitObject, writeStaged, writeTreeObject } from './object-stage.ts';
import { ObjectCache } from './object-cache.ts';
import { changedPaths, readFilesAt, scopeDiffers, treeOfCommit } from './tree-read.ts';
import { fileDiff } from '../../generator/unified-diff.ts';
import type { Author, BatchResult, OutcomeNote, ChangeRequest, ChangeResult, GitopsStore, MergeRequest, MergeResult, TreeDiff } from './types.ts';

const SLUG = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const BRANCH = /^(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9][A-Za-z0-9._\/-]{0,199}$/;
/** A lost race re-applies the change on the new head; this many times before giving up. */
const MAX_ATTEMPTS = 8;

export interface StoreContext {
  host: GitHost;
  locksDir: string;
  committer: Author;
  codeOwners: (slug: string) => string;
  /** Registers what to call when a repository's packs changed under the store (the packer gathered or deleted some). */
  onPacksChanged?: (forget: (slug: string) => void) => void;
  /** Parsed objects kept across reads (default: 8 MiB shared by all repositories). */
  objectCache?: ObjectCache;
}

export function checkSlug(slug: string): void {
  if (!SLUG.test(slug) || slug.endsWith('.git') || slug.includes('..')) {
    throw new LocoError('validation.workspace-slug', `"${slug}" is not a valid workspace repository name`, 'use lowercase letters, digits and dashes, e.g. acme-payments');
  }
}

export function checkBranch(branch: string): void {
  if (!BRANCH.test(branch) || branch.endsWith('.lock') || branch.endsWith('/') || branch.endsWith('.')) {
    throw new LocoError('validation.branch', `"${branch}" is not a valid branch name`, 'use letters, digits, dashes, dots and slashes, e.g. loco/promote/api/dev-to-prod/1');
  }
}

function checkPaths(paths: Iterable<string>): void {
  for (const p of paths) {
    const segments = p.split('/').filter((s) => s !== '');
    if (p.startsWith('/') || segments.length === 0 || segments.some((s) => s === '.' || s === '..' || s === '.git')) {
      throw new LocoError('validation.path', `"${p}" is not a path inside the repository`, 'use a repo-relative path such as apps/api/base/');
    }
  }
}

export function decode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export function createStore(ctx: StoreContext): GitopsStore {
  const { host } = ctx;
  const caches = new Map<string, TreeStore>();
  const objects = ctx.objectCache ?? new ObjectCache();
  const treeStore = (slug: string): TreeStore => {
    let s = caches.get(slug);
    if (!s) caches.set(slug, (s = { gitdir: host.gitdir(slug), cache: {}, objects: objects.of(slug) }));
    return s;
  };
  ctx.onPacksChanged?.((slug) => {
    caches.delete(slug);
    // Content never goes stale, but an unreachable object the gathering left out would still
    // look present to requireCommit.
    objects.forget(slug);
  });
  const locked = <T>(slug: string, fn: () => Promise<T>): Promise<T> => withRepoLock(path.join(ctx.locksDir, `${slug}.lock`), fn);

  async function writeCommit(ts: TreeStore, tree: string, parents: string[], message: string, author: Author): Promise<string> {
    let timestamp = Math.floor(Date.now() / 1000);
    // Keep committer time monotonic along a branch so history can stop at `since`.
    for (const p of parents) timestamp = Math.max(timestamp, (await readCommitHead(ts, p)).timestamp);
    return writeCommitObject(ts, { tree, parent: parents, message, author, committer: ctx.committer, timestamp });
  }

  async function commitExists(slug: string, oid: string): Promise<boolean> {
    if (!/^[0-9a-f]{40}$/.test(oid)) return false;
    try {
      // through the cache: readFiles and diff read the same commit again right after
      await readCommitHead(treeStore(slug), oid);
      return true;
    } catch {
      return false;
    }
  }

  /** The commit, fetching the host's main once when the local copy does not have it yet. */
  async function requireCommit(slug: string, oid: string): Promise<string> {
    if (await commitExists(slug, oid)) return oid;
    if (host.kind !== 'local') {
      await host.refresh(slug, 'main');
      if (await commitExists(slug, oid)) return oid;
    }
    throw new LocoError('not-found.commit', `commit ${oid} is not in the ${slug} GitOps repository`, 'use a full 40-character commit id from `loco history`');
  }

  /** The paths whose objects decide a conflict: the scope, plus files it does not cover. */
  function conflictScope(change: ChangeRequest): string[] {
    const dirs = change.scope.filter((p) => p.endsWith('/'));
    return [...change.scope, ...[...change.files.keys()].filter((f) => !dirs.some((d) => f.startsWith(d)))];
  }

  /** Where the branch starts: its head, or (a new branch) the start point's head. */
  async function parentOf(slug: string, branch: string, startPoint: string | undefined, head: string | null, ts: TreeStore): Promise<string> {
    if (head) return head;
    const start = startPoint ?? 'main';
    let parent: string | null = null;
    if (branch !== start) {
      await host.refresh(slug, start);
      parent = await readRef(ts.gitdir, host.refName(start));
    }
    if (!parent) {
      throw new LocoError('not-found.repository', `the ${slug} GitOps repository has no branch ${branch === start ? branch : start}`, 'create the workspace repository first (ensureRepository)');
    }
    return parent;
  }

  /** One change as the next commit of the chain on `tip` (objects go to the stage of `os`). */
  async function chainOne(os: TreeStore, change: ChangeRequest, tip: { commit: string; tree: string; time: number }): Promise<ChangeResult & { tree: string }> {
    await change.precondition?.();
    const tree = (await applyTreeEdit(os, tip.tree, { scope: change.scope, files: change.files })) ?? (await writeTreeObject(os, []));
    if (tree === tip.tree) return { status: 'unchanged', commit: tip.commit, tree };
    if (change.baseCommit && change.baseCommit !== tip.commit) {
      const baseTree = await treeOfCommit(os, await requireCommit(change.slug, change.baseCommit));
      if (await scopeDiffers(os, baseTree, tip.tree, conflictScope(change))) {
        throw new LocoError(
          'conflict.commit',
          `the files of this change were changed since ${change.baseCommit.slice(0, 7)} (now at ${tip.commit.slice(0, 7)})`,
          'redeploy from the current state: fetch the latest config and run the change again',
          { data: { baseCommit: change.baseCommit, head: tip.commit } },
        );
      }
    }
    const message = formatCommitMessage(change.subject, change.trailers, change.body);
    const commit = await writeCommitObject(os, { tree, parent: [tip.commit], message, author: change.author, committer: ctx.committer, timestamp: tip.time });
    return { status: 'committed', commit, parent: tip.commit, tree };
  }

  /**
   * Group commit: the changes, in order, as a chain of commits (one per change) on one branch,
   * all new objects in one pack, one compare-and-swap of the branch. A change that fails (its
   * precondition, a conflict, a bad path) fails alone and leaves no object behind.
   */
  async function applyBatch(changes: ChangeRequest[]): Promise<BatchResult[]> {
    if (changes.length === 0) return [];
    const { slug } = changes[0];
    const branch = changes[0].branch ?? 'main';
    if (changes.some((c) => c.slug !== slug || (c.branch ?? 'main') !== branch)) throw new Error('applyChanges: every change of a batch goes to one repository and branch');
    checkSlug(slug);
    checkBranch(branch);
    const invalid = changes.map((c) => {
      try {
        checkPaths([...c.scope, ...c.files.keys()]);
        return null;
      } catch (error) {
        return error;
      }
    });
    const ts = treeStore(slug);
    return locked(slug, async () => {
      await host.refresh(slug, branch);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const head = await readRef(ts.gitdir, host.refName(branch));
        const parent = await parentOf(slug, branch, changes[0].startPoint, head, ts);
        // A lone change writes loose objects, which the packer gathers in bulk later; a batch
        // stages its objects and writes them as one pack.
        const stage = changes.length > 1 ? new ObjectStage() : undefined;
        const os: TreeStore = stage ? { ...ts, stage } : ts;
        const start = await readCommitHead(os, parent);
        let tip = { commit: parent, tree: start.tree, time: Math.max(Math.floor(Date.now() / 1000), start.timestamp) };
        const results: BatchResult[] = [];
        for (const [i, change] of changes.entries()) {
          if (invalid[i]) {
            results.push({ status: 'failed', error: invalid[i] });
            continue;
          }
          const mark = stage?.mark() ?? 0;
          try {
            const { tree, ...result } = await chainOne(os, change, tip);
            results.push(result);
            if (result.status === 'committed') tip = { ...tip, commit: result.commit, tree };
          } catch (error) {
            stage?.rollback(mark);
            results.push({ status: 'failed', error });
          }
        }
        if (tip.commit === parent) return results;
        if (stage) await writeStaged(ts, stage);
        if (await host.publish(slug, branch, head, tip.commit)) return results;
        // Lost a race with a writer outside this lock (another machine, a native git push):
        // re-read the head and re-apply the changes on it. The pack written stays unreachable
        // until the packer's next repack drops it.
        await host.refresh(slug, branch);
      }
      throw new LocoError('unavailable.commit-contention', `the ${slug} GitOps repository kept moving while committing`, 'retry the change');
    });
  }

  async function apply(change: ChangeRequest): Promise<ChangeResult> {
    const [result] = await applyBatch([change]);
    if (result.status === 'failed') throw result.error;
    return result;
  }

  /** Outcome notes of several commits as one notes commit (one lock, one ref update). */
  async function recordOutcomes(slug: string, outcomes: { commit: string; note: OutcomeNote }[]): Promise<void> {
    checkSlug(slug);
    if (outcomes.length === 0) return;
    const ts = treeStore(slug);
    await locked(slug, async () => {
      await host.refreshNotes(slug);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const head = await readRef(ts.gitdir, host.notesRef);
        const texts = new Map<string, string>();
        for (const { commit, note } of outcomes) texts.set(commit, mergeOutcomeNote(texts.get(commit) ?? (await readNote(ts, head, commit)), note));
        const message = outcomes.length === 1
          ? `Outcome of ${outcomes[0].note.deploymentId} on ${outcomes[0].commit.slice(0, 7)}: ${outcomes[0].note.outcome}${outcomes[0].note.reason ? ` (${outcomes[0].note.reason})` : ''}\n`
          : `Outcomes of ${outcomes.length} deployments: ${outcomes.map((o) => `${o.note.deploymentId} ${o.note.outcome}`).join(', ')}\n`;
        // a group commit's notes go as one pack, as its commits do (a lone note stays loose)
        const stage = outcomes.length > 1 ? new ObjectStage() : undefined;
        const next = await writeNotesCommit(stage ? { ...ts, stage } : ts, head, texts, message, ctx.committer);
        if (stage) await writeStaged(ts, stage);
        if (await host.publishNotes(slug, head, next)) return;
        await host.refreshNotes(slug);
      }
      throw new LocoError('unavailable.commit-contention', `the outcome notes of the ${slug} GitOps repository kept moving`, 'retry the change');
    });
  }

  /** The layout version of the repository at `commit`; a newer one than ours is refused. */
  async function checkFormat(ts: TreeStore, slug: string, commit: string): Promise<number> {
    const file = (await readFilesAt(ts, await treeOfCommit(ts, commit), FORMAT_FILE)).get(FORMAT_FILE);
    // Repositories made before the version file existed are version 1.
    const version = file ? Number.parseInt(decode(file).trim(), 10) : 1;
    if (!Number.isInteger(version) || version > REPO_FORMAT_VERSION) {
      throw new LocoError(
        'conflict.repository-format',
        `the ${slug} GitOps repository has layout version ${file ? decode(file).trim() : '?'}, newer than this Loco understands (${REPO_FORMAT_VERSION})`,
        'upgrade Loco before changing this workspace',
      );
    }
    return version;
  }

  async function refreshedHead(slug: string, branch: string): Promise<string | null> {
    checkSlug(slug);
    checkBranch(branch);
    await host.refresh(slug, branch);
    return readRef(host.gitdir(slug), host.refName(branch));
  }

  const store: GitopsStore = {
    host: host.kind,
    gitdir: (slug) => host.gitdir(slug),

    async ensureRepository(slug) {
      checkSlug(slug);
      const ts = treeStore(slug);
      const created = await locked(slug, async () => {
        await host.prepare(slug);
        await host.refresh(slug, 'main');
        const existing = await readRef(ts.gitdir, host.refName('main'));
        if (existing) return { created: false, head: existing };
        const files = await skeletonFiles({ workspace: slug, codeOwners: ctx.codeOwners(slug) });
        // Loose, as a lone change's: once per repository, and the packer counts packs (each
        // one brings the next gathering of all of them closer).
        const tree = (await applyTreeEdit(ts, null, { scope: [], files }))!;
        const message = formatCommitMessage(`Create GitOps repository for workspace ${slug}`, {});
        const commit = await writeCommit(ts, tree, [], message, ctx.committer);
        if (!(await host.publish(slug, 'main', null, commit))) {
          await host.refresh(slug, 'main');
          return { created: false, head: (await readRef(ts.gitdir, host.refName('main')))! };
        }
        await host.protect(slug, 'main');
        return { created: true, head: commit };
      });
      return { ...created, formatVersion: await checkFormat(ts, slug, created.head) };
    },

    applyChange: apply,
    applyChanges: applyBatch,
    createBranchCommit: (change) => apply(change),

    async restore(request) {
      checkSlug(request.slug);
      checkPaths(request.scope);
      const ts = treeStore(request.slug);
      const fromTree = await treeOfCommit(ts, await requireCommit(request.slug, request.fromCommit));
      const files = new Map<string, string | Uint8Array>();
      for (const p of request.scope) {
        for (const [file, bytes] of await readFilesAt(ts, fromTree, p)) files.set(file, bytes);
      }
      return apply({ ...request, files });
    },

    async head(slug, branch = 'main') {
      return refreshedHead(slug, branch);
    },

    async history(slug, query = {}) {
      const head = await refreshedHead(slug, query.branch ?? 'main');
      return readHistory(treeStore(slug), head, query);
    },

    async readFiles(slug, commit, prefix = '') {
      checkSlug(slug);
      const ts = treeStore(slug);
      const tree = await treeOfCommit(ts, await requireCommit(slug, commit));
      const out = new Map<string, string>();
      for (const [file, bytes] of await readFilesAt(ts, tree, prefix)) out.set(file, decode(bytes));
      return out;
    },

    async diff(slug, from, to, prefix = ''): Promise<TreeDiff> {
      checkSlug(slug);
      const ts = treeStore(slug);
      const [a, b] = [await requireCommit(slug, from), await requireCommit(slug, to)];
      const changes = await changedPaths(ts, await treeOfCommit(ts, a), await treeOfCommit(ts, b), prefix);
      const text = async (oid: string | undefined): Promise<string | null> =>
        oid === undefined ? null : decode(await readBlobBytes(ts, oid));
      const paths = [...new Set([...changes.added.keys(), ...changes.removed.keys(), ...changes.changed.keys()])].sort();
      let patch = '';
      for (const p of paths) {
        const [before, after] = changes.changed.get(p) ?? [changes.removed.get(p), changes.added.get(p)];
        patch += fileDiff(p, await text(before), await text(after));
      }
      return { added: [...changes.added.keys()].sort(), removed: [...changes.removed.keys()].sort(), changed: [...changes.changed.keys()].sort(), patch };
    },

    async contains(slug, commit, ancestor) {
      checkSlug(slug);
      try {
        const [c, a] = [await requireCommit(slug, commit), await requireCommit(slug, ancestor)];
        if (c === a) return true;
        const ts = treeStore(slug);
        return await git.isDescendent({ fs: gitFs, gitdir: ts.gitdir, oid: c, ancestor: a, depth: -1, cache: ts.cache });
      } catch (error) {
        if (error instanceof LocoError && error.code === 'not-found.commit') return false;
        throw error;
      }
    },

    async recordOutcome(slug, commit, note) {
      await recordOutcomes(slug, [{ commit, note }]);
    },

    recordOutcomes,

    async outcomes(slug, commits) {
      checkSlug(slug);
      const ts = treeStore(slug);
      await host.refreshNotes(slug);
      const notes = await readNotes(ts, await readRef(ts.gitdir, host.notesRef), commits);
      return new Map([...notes].map(([commit, text]) => [commit, parseOutcomeNotes(text)]));
    },

    async openPullRequest(request) {
      checkSlug(request.slug);
      checkBranch(request.branch);
      return host.openPullRequest(request.slug, { branch: request.branch, base: request.base ?? 'main', title: request.title, body: request.body });
    },

    async mergeBranch(request: MergeRequest): Promise<MergeResult> {
      checkSlug(request.slug);
      checkBranch(request.branch);
      const base = request.base ?? 'main';
      checkBranch(base);
      const message = formatCommitMessage(request.subject, request.trailers);
      return locked(request.slug, () => mergeBranchLocally({ host, ts: treeStore(request.slug), slug: request.slug, branch: request.branch, base, message, pullRequest: request.pullRequest ?? null, author: request.author, writeCommit }));
    },

    async deleteBranch(slug, branch) {
      checkSlug(slug);
      checkBranch(branch);
      if (branch === 'main') throw new LocoError('usage.delete-main', 'main cannot be deleted', 'delete a promotion branch instead');
      await locked(slug, () => host.deleteBranch(slug, branch));
    },
  };
  return store;
}
