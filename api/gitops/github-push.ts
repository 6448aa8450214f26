// Pushing one branch update over git's smart-HTTP protocol with exactly the objects a change
// wrote. isomorphic-git's own push lists every object of the whole tree to learn what the
// server lacks (seconds per deploy with 500 apps); here the new objects are known: the commits
// since one the server advertises, and per commit only the subtrees that differ from its first
// parent. The update carries the old value we expect, so the server's ref update is the
// compare-and-swap.

import git from 'isomorphic-git';
import type { TreeEntry } from 'isomorphic-git';
import { gitFs } from './git-fs.ts';
import type { TreeStore } from './tree-edit.ts';

const ZERO = '0'.repeat(40);
/** Beyond this many unadvertised commits, let isomorphic-git work out the pack. */
const MAX_NEW_COMMITS = 200;

export type PushOutcome = { status: 'ok' } | { status: 'moved' } | { status: 'refused'; reason: string } | { status: 'fallback' };

function pktLine(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body]);
}

/** The payloads of a pkt-line stream (flush packets are skipped). */
export function parsePktLines(data: Uint8Array): string[] {
  const lines: string[] = [];
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at + 4 <= buf.length) {
    const length = Number.parseInt(buf.subarray(at, at + 4).toString('latin1'), 16);
    if (Number.isNaN(length)) break;
    if (length < 4) { at += 4; continue; }
    lines.push(buf.subarray(at + 4, at + length).toString('utf8'));
    at += length;
  }
  return lines;
}

/** Branch name → oid as advertised by git-receive-pack. */
export function parseAdvertisement(data: Uint8Array): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of parsePktLines(data)) {
    if (line.startsWith('#')) continue;
    const [oid, rest] = line.replace(/\n$/, '').split(' ');
    const name = rest?.split('\0')[0];
    if (oid && name && name !== 'capabilities^{}') refs.set(name, oid);
  }
  return refs;
}

async function entries(ts: TreeStore, tree: string): Promise<TreeEntry[]> {
  return (await git.readTree({ fs: gitFs, gitdir: ts.gitdir, oid: tree, cache: ts.cache })).tree;
}

/** Objects of `tree` that are not in `base` at the same path (all of them when base is null). */
async function newTreeObjects(ts: TreeStore, base: string | null, tree: string, into: Set<string>): Promise<void> {
  if (base === tree || into.has(tree)) return;
  into.add(tree);
  const old = base ? new Map((await entries(ts, base)).map((e) => [e.path, e])) : new Map<string, TreeEntry>();
  for (const e of await entries(ts, tree)) {
    const before = old.get(e.path);
    if (before?.oid === e.oid) continue;
    if (e.type === 'tree') await newTreeObjects(ts, before?.type === 'tree' ? before.oid : null, e.oid, into);
    else if (e.type === 'blob') into.add(e.oid);
  }
}

/** Every object reachable from `next` but not from the advertised commits, or null if too many. */
async function objectsToSend(ts: TreeStore, next: string, advertised: Set<string>): Promise<string[] | null> {
  const objects = new Set<string>();
  const queue = [next];
  let commits = 0;
  while (queue.length) {
    const oid = queue.pop()!;
    if (advertised.has(oid) || objects.has(oid)) continue;
    if (++commits > MAX_NEW_COMMITS) return null;
    const { commit } = await git.readCommit({ fs: gitFs, gitdir: ts.gitdir, oid, cache: ts.cache });
    objects.add(oid);
    const parentTree = commit.parent[0] ? (await git.readCommit({ fs: gitFs, gitdir: ts.gitdir, oid: commit.parent[0], cache: ts.cache })).commit.tree : null;
    await newTreeObjects(ts, parentTree, commit.tree, objects);
    queue.push(...commit.parent);
  }
  return [...objects];
}

/** `ref`: a full ref name when given (refs/notes/loco); otherwise refs/heads/<branch>. */
export async function pushBranch(options: { ts: TreeStore; url: string; headers: Record<string, string>; branch: string; ref?: string; expected: string | null; next: string }): Promise<PushOutcome> {
  const { ts, url, headers } = options;
  const ref = options.ref ?? `refs/heads/${options.branch}`;
  const discovery = await fetch(`${url}/info/refs?service=git-receive-pack`, { headers: { ...headers, 'user-agent': 'git/loco' } });
  if (!discovery.ok) throw Object.assign(new Error(`git-receive-pack discovery answered HTTP ${discovery.status}`), { code: 'HttpError', data: { statusCode: discovery.status } });
  const refs = parseAdvertisement(new Uint8Array(await discovery.arrayBuffer()));
  const old = refs.get(ref) ?? ZERO;
  if (old !== (options.expected ?? ZERO)) return { status: 'moved' };
  const oids = await objectsToSend(ts, options.next, new Set(refs.values()));
  if (!oids) return { status: 'fallback' };
  const { packfile } = await git.packObjects({ fs: gitFs, gitdir: ts.gitdir, oids, cache: ts.cache, write: false });
  const body = Buffer.concat([pktLine(`${old} ${options.next} ${ref}\0report-status agent=loco\n`), Buffer.from('0000'), Buffer.from(packfile!)]);
  const response = await fetch(`${url}/git-receive-pack`, {
    method: 'POST',
    headers: { ...headers, 'user-agent': 'git/loco', 'content-type': 'application/x-git-receive-pack-request', accept: 'application/x-git-receive-pack-result' },
    body,
  });
  if (!response.ok) throw Object.assign(new Error(`git-receive-pack answered HTTP ${response.status}`), { code: 'HttpError', data: { statusCode: response.status } });
  const report = parsePktLines(new Uint8Array(await response.arrayBuffer())).map((l) => l.replace(/\n$/, ''));
  if (report[0] !== 'unpack ok') return { status: 'refused', reason: report[0] ?? 'no report from the server' };
  const line = report.find((l) => l.startsWith(`ok ${ref}`) || l.startsWith(`ng ${ref}`));
  if (line?.startsWith('ok ')) return { status: 'ok' };
  const reason = line?.slice(`ng ${ref} `.length) ?? 'no status for the branch';
  // The server's compare-and-swap lost ("failed to update ref", "fetch first"): the branch
  // moved. Anything else (a protected-branch hook) is a refusal that retrying will not fix.
  return /failed to (update|lock)|fetch first|non-fast-forward|stale info/.test(reason) ? { status: 'moved' } : { status: 'refused', reason };
}
