// Merging a promotion branch into its base. On GitHub a pull request is merged by GitHub so it
// shows as merged; otherwise the merge happens here: fast-forward when the base has not moved,
// else a merge commit carrying the branch's changes, refused when both sides changed a file.

import git from 'isomorphic-git';
import { LocoError } from '../../generator/errors.ts';
import { gitFs } from './git-fs.ts';
import type { GitHost } from './git-host.ts';
import { readBlobBytes } from './object-stage.ts';
import { readRef } from './ref-cas.ts';
import { applyTreeEdit, type TreeStore } from './tree-edit.ts';
import { changedPaths, treeOfCommit } from './tree-read.ts';
import type { Author, MergeResult } from './types.ts';

export interface MergeContext {
  host: GitHost;
  ts: TreeStore;
  slug: string;
  branch: string;
  base: string;
  message: string;
  pullRequest: number | null;
  author: Author;
  writeCommit(ts: TreeStore, tree: string, parents: string[], message: string, author: Author): Promise<string>;
}

async function isAncestor(ts: TreeStore, ancestor: string, oid: string): Promise<boolean> {
  if (ancestor === oid) return true;
  return git.isDescendent({ fs: gitFs, gitdir: ts.gitdir, oid, ancestor, depth: -1, cache: ts.cache });
}

export async function mergeBranchLocally(m: MergeContext): Promise<MergeResult> {
  const { host, ts } = m;
  await host.refresh(m.slug, m.branch);
  await host.refresh(m.slug, m.base);
  const branchHead = await readRef(ts.gitdir, host.refName(m.branch));
  if (!branchHead) {
    throw new LocoError('not-found.branch', `branch ${m.branch} does not exist in the ${m.slug} GitOps repository`, 'open the promotion again');
  }
  if (m.pullRequest !== null) {
    const baseBefore = await readRef(ts.gitdir, host.refName(m.base));
    const [title, ...rest] = m.message.split('\n\n');
    const merged = await host.mergePullRequest(m.slug, { number: m.pullRequest, sha: branchHead, title, message: rest.join('\n\n') });
    if (merged) {
      await host.refresh(m.slug, m.base);
      return { status: 'merged', commit: merged, parent: baseBefore ?? merged };
    }
  }
  for (let attempt = 0; attempt < 8; attempt++) {
    const baseHead = await readRef(ts.gitdir, host.refName(m.base));
    if (!baseHead) throw new LocoError('not-found.branch', `branch ${m.base} does not exist in the ${m.slug} GitOps repository`, 'create the workspace repository first');
    if (await isAncestor(ts, branchHead, baseHead)) return { status: 'unchanged', commit: baseHead };
    if (await isAncestor(ts, baseHead, branchHead)) {
      if (await host.publish(m.slug, m.base, baseHead, branchHead)) return { status: 'fast-forward', commit: branchHead, parent: baseHead };
      await host.refresh(m.slug, m.base);
      continue;
    }
    const [mergeBase] = await git.findMergeBase({ fs: gitFs, gitdir: ts.gitdir, oids: [baseHead, branchHead], cache: ts.cache });
    if (!mergeBase) throw new LocoError('conflict.merge', `${m.branch} shares no history with ${m.base}`, 'open the promotion again from the current state');
    const [mbTree, baseTree, branchTree] = await Promise.all([mergeBase, baseHead, branchHead].map((c) => treeOfCommit(ts, c)));
    const theirs = await changedPaths(ts, mbTree, branchTree, '');
    const ours = await changedPaths(ts, mbTree, baseTree, '');
    const touchedOnBase = new Set([...ours.added.keys(), ...ours.removed.keys(), ...ours.changed.keys()]);
    const clash = [...theirs.added.keys(), ...theirs.removed.keys(), ...theirs.changed.keys()].filter((p) => touchedOnBase.has(p));
    if (clash.length) {
      throw new LocoError('conflict.merge', `${m.branch} and ${m.base} both changed ${clash.slice(0, 3).join(', ')}${clash.length > 3 ? ' …' : ''}`, 'close this promotion and promote again from the current state', { data: { paths: clash } });
    }
    const files = new Map<string, Uint8Array>();
    for (const [p, oid] of [...theirs.added, ...[...theirs.changed].map(([p, [, next]]) => [p, next] as [string, string])]) {
      files.set(p, await readBlobBytes(ts, oid));
    }
    const tree = (await applyTreeEdit(ts, baseTree, { scope: [...theirs.removed.keys()], files }))
      ?? (await git.writeTree({ fs: gitFs, gitdir: ts.gitdir, tree: [] }));
    const commit = await m.writeCommit(ts, tree, [baseHead, branchHead], m.message, m.author);
    if (await host.publish(m.slug, m.base, baseHead, commit)) return { status: 'merged', commit, parent: baseHead };
    await host.refresh(m.slug, m.base);
  }
  throw new LocoError('unavailable.commit-contention', `${m.base} kept moving while merging ${m.branch}`, 'retry the merge');
}
