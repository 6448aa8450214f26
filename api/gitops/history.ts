// The audit history of a branch, filtered by the Loco-* trailers. It walks first parents from
// the head one commit at a time (a promotion merge carries the trailers itself) and stops as
// soon as `limit` entries are found or commits get older than `since`.

import git from 'isomorphic-git';
import { gitFs } from './git-fs.ts';
import { parseCommitMessage } from './trailers.ts';
import type { TreeStore } from './tree-edit.ts';
import type { HistoryEntry, HistoryQuery } from './types.ts';
import { LocoError } from '../../generator/errors.ts';

export function toMillis(value: Date | string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new LocoError('validation.history-time', `${name} "${String(value)}" is not a time`, 'use an ISO 8601 time such as 2025-01-31T12:00:00Z');
  }
  return ms;
}

function actorMatches(trailer: string | undefined, actor: string): boolean {
  if (trailer === undefined) return false;
  return trailer === actor || trailer.split(' (')[0] === actor;
}

export function matchesQuery(entry: HistoryEntry, query: HistoryQuery): boolean {
  const t = entry.trailers;
  if (query.app !== undefined && t['Loco-App'] !== query.app) return false;
  // An app deletion (Loco-Profile: *) removed the app from every profile, so it belongs to each.
  if (query.profile !== undefined && t['Loco-Profile'] !== query.profile && t['Loco-Profile'] !== '*') return false;
  if (query.actor !== undefined && !actorMatches(t['Loco-Actor'], query.actor)) return false;
  return true;
}

/** Parsed commits by id, per repository cache: commits never change, and audits re-read. */
const parsedCommits = new WeakMap<object, Map<string, HistoryEntry>>();
const MAX_PARSED = 200_000;

async function readEntry(store: TreeStore, oid: string): Promise<HistoryEntry> {
  let parsed = parsedCommits.get(store.cache);
  if (!parsed) parsedCommits.set(store.cache, (parsed = new Map()));
  const known = parsed.get(oid);
  if (known) return known;
  const { commit } = await git.readCommit({ fs: gitFs, gitdir: store.gitdir, oid, cache: store.cache });
  const message = parseCommitMessage(commit.message);
  const entry: HistoryEntry = {
    commit: oid,
    parents: commit.parent,
    subject: message.subject,
    author: { name: commit.author.name, email: commit.author.email },
    time: new Date(commit.committer.timestamp * 1000).toISOString(),
    trailers: message.trailers,
  };
  if (parsed.size >= MAX_PARSED) parsed.clear();
  parsed.set(oid, entry);
  return entry;
}

export async function* walkFirstParent(store: TreeStore, head: string): AsyncGenerator<HistoryEntry> {
  let oid: string | undefined = head;
  while (oid) {
    const entry = await readEntry(store, oid);
    // A copy: callers may keep or change what they get without touching the cache.
    yield { ...entry, parents: [...entry.parents], author: { ...entry.author }, trailers: { ...entry.trailers } };
    oid = entry.parents[0];
  }
}

export async function readHistory(store: TreeStore, head: string | null, query: HistoryQuery): Promise<HistoryEntry[]> {
  const limit = query.limit ?? 100;
  const since = toMillis(query.since, 'since');
  const until = toMillis(query.until, 'until');
  const entries: HistoryEntry[] = [];
  if (!head || limit <= 0) return entries;
  for await (const entry of walkFirstParent(store, head)) {
    const time = Date.parse(entry.time);
    // First-parent commits of one branch are in time order (one committer clock per commit,
    // written under the repository lock), so the first commit before `since` ends the walk.
    if (since !== undefined && time < since) break;
    if (until !== undefined && time > until) continue;
    if (!matchesQuery(entry, query)) continue;
    entries.push(entry);
    if (entries.length >= limit) break;
  }
  return entries;
}
