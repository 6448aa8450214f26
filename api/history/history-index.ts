// The history index: main's first-parent commits with their trailers in the database, so a
// history read is one indexed query instead of a walk through git (10,000 commits: ~2 s).
// Git stays the record: rows are written only from git's own commits (never from deployment
// rows), so manual commits, promotions merged on GitHub and rebuilds are in it like any other;
// each read first tops the index up from its last indexed commit to main's head (reindexing
// all of it when main was rewritten), and `loco audit verify` compares it with git
// (api/audit/verify-index.ts).

import type { EntityManager } from '@mikro-orm/postgresql';
import { toMillis } from '../gitops/history.ts';
import type { GitopsStore, HistoryEntry, HistoryQuery } from '../gitops/index.ts';

/** Rows per insert statement: well under PostgreSQL's 65,535 bind parameters (12 per row). */
const BATCH = 1_000;
/** First walk from the head when topping up; grows fourfold until it meets the indexed commit. */
const FIRST_WALK = 64;

export interface IndexedCommit extends HistoryEntry {
  /** Position on main's first-parent line, the root commit being 1. */
  seq: number;
}

interface Row {
  seq: number | string;
  commit: string;
  parents: string[] | string;
  time_ms: number | string;
  subject: string;
  author_name: string;
  author_email: string;
  trailers: Record<string, string> | string;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function fromRow(r: Row): IndexedCommit {
  return {
    seq: Number(r.seq),
    commit: r.commit,
    parents: json(r.parents),
    subject: r.subject,
    author: { name: r.author_name, email: r.author_email },
    time: new Date(Number(r.time_ms)).toISOString(),
    trailers: json(r.trailers),
  };
}

async function indexedHead(em: EntityManager, workspaceId: string): Promise<{ seq: number; commit: string } | undefined> {
  const rows = await em.execute<{ seq: number | string; commit: string }[]>(
    `select seq, commit from history_index where workspace_id = ? order by seq desc limit 1`, [workspaceId]);
  return rows[0] ? { seq: Number(rows[0].seq), commit: rows[0].commit } : undefined;
}

/**
 * Writes `entries` (newest first) as the rows above `base`; `base` 0 replaces the whole index.
 * Under a transaction-scoped lock per workspace, and only if the index still ends at `expected`:
 * two readers topping up at once write once, and a reader that lost the race leaves it be.
 */
async function writeRows(em: EntityManager, workspaceId: string, entries: HistoryEntry[], base: number, expected: string | undefined): Promise<void> {
  await em.transactional(async (tx) => {
    await tx.execute(`select pg_advisory_xact_lock(hashtext(?))`, [`history_index:${workspaceId}`]);
    if ((await indexedHead(tx, workspaceId))?.commit !== expected) return;
    if (base === 0) await tx.execute(`delete from history_index where workspace_id = ?`, [workspaceId]);
    const oldestFirst = [...entries].reverse();
    for (let i = 0; i < oldestFirst.length; i += BATCH) {
      const chunk = oldestFirst.slice(i, i + BATCH);
      const params = chunk.flatMap((e, j) => [
        workspaceId, base + i + j + 1, e.commit, JSON.stringify(e.parents), Date.parse(e.time), e.subject, e.author.name, e.author.email,
        e.trailers['Loco-App'] ?? null, e.trailers['Loco-Profile'] ?? null, e.trailers['Loco-Actor'] ?? null, JSON.stringify(e.trailers),
      ]);
      await tx.execute(
        `insert into history_index (workspace_id, seq, commit, parents, time_ms, subject, author_name, author_email, app, profile, actor, trailers)
         values ${chunk.map(() => '(?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)').join(', ')}`,
        params,
      );
    }
  });
}

/** Replaces the workspace's index with `history` (main's whole first-parent line, newest first), as a rebuild reads it. */
export async function replaceIndex(em: EntityManager, workspaceId: string, history: HistoryEntry[]): Promise<void> {
  await writeRows(em, workspaceId, history, 0, await indexedHead(em, workspaceId).then((h) => h?.commit));
}

/**
 * Brings the index up to main's head: walks first parents from the head until it meets the last
 * indexed commit and writes what is new. A head whose line never meets it (main rewritten, or
 * nothing indexed yet) is indexed whole.
 */
export async function topUpIndex(em: EntityManager, store: GitopsStore, workspaceId: string, slug: string): Promise<void> {
  const head = await store.head(slug);
  const top = await indexedHead(em, workspaceId);
  if (!head) {
    if (top) await writeRows(em, workspaceId, [], 0, top.commit);
    return;
  }
  if (top?.commit === head) return;
  for (let limit = FIRST_WALK; ; limit *= 4) {
    // store.history keeps parsed commits per repository, so each longer walk re-reads only what is new
    const entries = await store.history(slug, { limit });
    const met = top ? entries.findIndex((e) => e.commit === top.commit) : -1;
    if (met >= 0) return writeRows(em, workspaceId, entries.slice(0, met), top!.seq, top!.commit);
    if (entries.length < limit) return writeRows(em, workspaceId, entries, 0, top?.commit);
  }
}

/** Every indexed commit of the workspace, newest first (for the audit's comparison with git). */
export async function readIndex(em: EntityManager, workspaceId: string): Promise<IndexedCommit[]> {
  const rows = await em.execute<Row[]>(
    `select seq, commit, parents, time_ms, subject, author_name, author_email, trailers from history_index where workspace_id = ? order by seq desc`,
    [workspaceId]);
  return rows.map(fromRow);
}

/**
 * main's history answered from the index, topped up first: the same entries, order and filters
 * as readHistory (api/gitops/history.ts) walking git. Another branch than main is walked in git.
 */
export async function indexedHistory(em: EntityManager, store: GitopsStore, workspaceId: string, slug: string, query: HistoryQuery = {}): Promise<HistoryEntry[]> {
  if (query.branch !== undefined && query.branch !== 'main') return store.history(slug, query);
  const limit = query.limit ?? 100;
  const since = toMillis(query.since, 'since');
  const until = toMillis(query.until, 'until');
  if (limit <= 0) return [];
  await topUpIndex(em, store, workspaceId, slug);
  const where = ['workspace_id = ?'];
  const params: unknown[] = [workspaceId];
  if (query.app !== undefined) where.push('app = ?'), params.push(query.app);
  // an app deletion (Loco-Profile: *) removed the app from every profile, so it belongs to each
  if (query.profile !== undefined) where.push(`(profile = ? or profile = '*')`), params.push(query.profile);
  // the actor trailer exactly, or its name part ("alice" in "alice (github:1)")
  if (query.actor !== undefined) where.push(`(actor = ? or split_part(actor, ' (', 1) = ?)`), params.push(query.actor, query.actor);
  if (since !== undefined) where.push('time_ms >= ?'), params.push(since);
  if (until !== undefined) where.push('time_ms <= ?'), params.push(until);
  const rows = await em.execute<Row[]>(
    `select seq, commit, parents, time_ms, subject, author_name, author_email, trailers from history_index
      where ${where.join(' and ')} order by seq desc limit ?`,
    [...params, limit]);
  return rows.map((r) => {
    const { seq: _seq, ...entry } = fromRow(r);
    return entry;
  });
}
