// The text of the git notes (refs/notes/loco) that record how each deployment of a commit
// ended, so history, audit and a rebuild answer from git alone once the database is gone.
// Pure: one paragraph of `Key: value` lines per deployment (several deployments may name one
// commit: a redeploy of the same state, a promotion), readable with `git notes --ref=loco show`.

export const NOTES_REF = 'refs/notes/loco';

export interface OutcomeNote {
  deploymentId: string;
  /** The final status: succeeded, failed, committed (no Argo CD: not verified) … */
  outcome: string;
  reason?: string;
  /** ISO 8601. */
  finishedAt: string;
  message?: string;
  /** Names of the users who approved the promotion that made this deployment. */
  approvedBy?: string[];
  promotion?: string;
}

const oneLine = (text: string) => text.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/\s+/g, ' ').trim();

export function formatOutcomeNote(note: OutcomeNote): string {
  const lines: [string, string | undefined][] = [
    ['Loco-Deployment', note.deploymentId],
    ['Loco-Outcome', note.outcome],
    ['Loco-Reason', note.reason],
    ['Loco-Finished-At', note.finishedAt],
    ['Loco-Promotion', note.promotion],
    ['Loco-Approved-By', note.approvedBy?.length ? note.approvedBy.join(', ') : undefined],
    // Last, and cut: a message is for people and may be long (Argo CD resource messages).
    ['Loco-Message', note.message ? oneLine(note.message).slice(0, 500) : undefined],
  ];
  return lines.filter(([, v]) => v !== undefined && oneLine(v) !== '').map(([k, v]) => `${k}: ${oneLine(v!)}`).join('\n');
}

function parseParagraph(text: string): OutcomeNote | null {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line.trim());
    if (m) fields.set(m[1], m[2]);
  }
  const deploymentId = fields.get('Loco-Deployment');
  const outcome = fields.get('Loco-Outcome');
  const finishedAt = fields.get('Loco-Finished-At');
  if (!deploymentId || !outcome || !finishedAt) return null;
  const approvedBy = (fields.get('Loco-Approved-By') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    deploymentId, outcome, finishedAt,
    ...(fields.get('Loco-Reason') ? { reason: fields.get('Loco-Reason') } : {}),
    ...(fields.get('Loco-Message') ? { message: fields.get('Loco-Message') } : {}),
    ...(fields.get('Loco-Promotion') ? { promotion: fields.get('Loco-Promotion') } : {}),
    ...(approvedBy.length ? { approvedBy } : {}),
  };
}

/** Every deployment outcome a note holds; paragraphs that are not Loco's are ignored. */
export function parseOutcomeNotes(text: string): OutcomeNote[] {
  return text.replace(/\r\n/g, '\n').split(/\n\s*\n/).map(parseParagraph).filter((n): n is OutcomeNote => n !== null);
}

/** The note text with `note` added, replacing an earlier outcome of the same deployment. */
export function mergeOutcomeNote(existing: string | null, note: OutcomeNote): string {
  const kept = existing ? parseOutcomeNotes(existing).filter((n) => n.deploymentId !== note.deploymentId) : [];
  return [...kept, note].map(formatOutcomeNote).join('\n\n') + '\n';
}

/** The outcome of `deploymentId` among a commit's notes; with no id, the commit's only one. */
export function outcomeOf(notes: OutcomeNote[] | undefined, deploymentId: string | undefined): OutcomeNote | undefined {
  if (!notes?.length) return undefined;
  if (deploymentId) return notes.find((n) => n.deploymentId === deploymentId);
  return notes.length === 1 ? notes[0] : undefined;
}
