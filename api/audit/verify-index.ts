// `loco audit verify`, the history index half: does the database's index of main
// (api/history/history-index.ts) say what git says? Pure: given main's first-parent history
// (newest first, down to the root) and the index rows, list every row that differs from its
// commit. Commits above the newest row are not yet indexed (the next history read adds them),
// and rows above the history read are not compared (a commit may land in between).

import type { IndexedCommit } from '../history/history-index.ts';
import type { HistoryEntry } from '../gitops/index.ts';
import type { Finding } from './verify.ts';

const short = (sha: string) => sha.slice(0, 7);
const HINT = 'git is the record and the index only a copy of it: report this, then delete the workspace\'s history_index rows so the next history read rebuilds them from git';

/** Trailers as a comparable string: jsonb does not keep key order. */
const trailerText = (t: Record<string, string>) => JSON.stringify(Object.entries(t).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function differences(row: IndexedCommit, entry: HistoryEntry): string[] {
  const out: string[] = [];
  if (row.commit !== entry.commit) return [`it names commit ${short(row.commit)}, git has ${short(entry.commit)} there`];
  if (row.parents.join(' ') !== entry.parents.join(' ')) out.push('parents');
  if (row.time !== entry.time) out.push(`time ${row.time} ≠ ${entry.time}`);
  if (row.subject !== entry.subject) out.push('subject');
  if (row.author.name !== entry.author.name || row.author.email !== entry.author.email) out.push('author');
  if (trailerText(row.trailers) !== trailerText(entry.trailers)) out.push('trailers');
  return out;
}

export function verifyIndex(history: HistoryEntry[], index: IndexedCommit[]): Finding[] {
  const findings: Finding[] = [];
  const bySeq = new Map(index.map((r) => [r.seq, r]));
  const newest = Math.max(0, ...index.map((r) => r.seq));
  // history[0] is the head, at seq history.length; the root is seq 1
  history.forEach((entry, i) => {
    const seq = history.length - i;
    if (seq > newest) return;
    const row = bySeq.get(seq);
    if (!row) {
      findings.push({ code: 'history-index.mismatch', commit: entry.commit, message: `the history index has no row for commit ${short(entry.commit)} "${entry.subject}" (number ${seq} on main)`, hint: HINT });
      return;
    }
    const diff = differences(row, entry);
    if (diff.length) {
      findings.push({ code: 'history-index.mismatch', commit: entry.commit, message: `the history index disagrees with git on commit ${short(entry.commit)} "${entry.subject}": ${diff.join('; ')}`, hint: HINT });
    }
  });
  return findings;
}
