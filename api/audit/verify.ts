// `loco audit verify`: does the workspace's git history hold up as an audit trail? Pure: given
// main's first-parent history (newest first, down to the root) and the database's deployments,
// list every finding. No findings means: history is linear from the skeleton commit, every
// commit after it was made by Loco with well-formed trailers, and git and the database agree
// on which deployment made which commit.

import { outcomeOf, type HistoryEntry, type OutcomeNote } from '../gitops/index.ts';

export const SKELETON_SUBJECT = /^Create GitOps repository for workspace /;
export const DEPLOYMENT_ID = /^dpl_[0-9A-HJKMNP-TV-Z]{26}$/;
export const PROMOTION_ID = /^prm_[0-9A-HJKMNP-TV-Z]{26}$/;
export const CONFIG_DIGEST = /^sha256:[0-9a-f]{64}$/;
export const CHANGES = ['deploy', 'scale', 'env', 'rollback', 'promote', 'delete', 'secrets'] as const;
export const REQUIRED_TRAILERS = ['Loco-Deployment', 'Loco-Actor', 'Loco-App', 'Loco-Profile', 'Loco-Config-Digest', 'Loco-Image', 'Loco-Change'] as const;

export interface RecordedDeployment {
  id: string;
  app: string;
  profile: string;
  changeType: string;
  image: string;
  configDigest: string;
  status: string;
  commit: string | null;
  /** The outcome is final (outcomes of finished deployments are recorded in git). */
  finished?: boolean;
  reason?: string | null;
}

export interface Finding {
  code:
    | 'history.empty'
    | 'history.no-skeleton'
    | 'history.not-linear'
    | 'commit.no-trailers'
    | 'commit.invalid-trailers'
    | 'commit.no-deployment'
    | 'commit.deployment-mismatch'
    | 'commit.duplicate-deployment'
    | 'deployment.commit-missing'
    | 'deployment.outcome-missing'
    | 'deployment.outcome-mismatch'
    | 'route.unclaimed'
    | 'route.foreign-host'
    | 'route.claim-not-in-git'
    | 'history-index.mismatch';
  message: string;
  hint: string;
  commit?: string;
  deploymentId?: string;
}

export interface VerifyInput {
  /** main's first-parent history, newest first, complete down to the root commit. */
  history: HistoryEntry[];
  /** Every deployment of the workspace in the database. */
  deployments: RecordedDeployment[];
  /** The outcomes git records (refs/notes/loco), by commit. */
  outcomes?: Map<string, OutcomeNote[]>;
}

/** What git alone says: deployments named by commits on main, and how many of them have their outcome recorded. */
export function countInGit(history: HistoryEntry[], outcomes: Map<string, OutcomeNote[]>): { deployments: number; outcomes: number } {
  let deployments = 0;
  let recorded = 0;
  for (const e of history) {
    const id = e.trailers['Loco-Deployment'];
    if (!id || e.trailers['Loco-Change'] === 'delete') continue;
    deployments += 1;
    if (outcomeOf(outcomes.get(e.commit), id)) recorded += 1;
  }
  return { deployments, outcomes: recorded };
}

const REACHED_COMMIT = ['committed', 'syncing', 'progressing', 'succeeded'];
const short = (sha: string) => sha.slice(0, 7);
const isLoco = (t: Record<string, string>) => Object.keys(t).some((k) => k.startsWith('Loco-'));

/** Problems with one commit's trailers (empty when they are valid). */
export function trailerProblems(t: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const key of REQUIRED_TRAILERS) if (!t[key]) problems.push(`${key} is missing`);
  const change = t['Loco-Change'];
  if (change && !(CHANGES as readonly string[]).includes(change)) problems.push(`Loco-Change "${change}" is not one of ${CHANGES.join(', ')}`);
  if (t['Loco-Deployment'] && !DEPLOYMENT_ID.test(t['Loco-Deployment'])) problems.push(`Loco-Deployment "${t['Loco-Deployment']}" is not a deployment id (dpl_ + 26-character ULID)`);
  // An app deletion applies to every profile and has no config or image.
  const deletion = change === 'delete';
  if (t['Loco-Config-Digest'] && !(deletion && t['Loco-Config-Digest'] === '-') && !CONFIG_DIGEST.test(t['Loco-Config-Digest'])) {
    problems.push(`Loco-Config-Digest "${t['Loco-Config-Digest']}" is not sha256:<64 hex digits>`);
  }
  if (change === 'promote' && !t['Loco-Promotion']) problems.push('Loco-Promotion is missing on a promotion');
  if (t['Loco-Promotion'] && !PROMOTION_ID.test(t['Loco-Promotion'])) problems.push(`Loco-Promotion "${t['Loco-Promotion']}" is not a promotion id (prm_ + ULID)`);
  if (t['Loco-Emergency'] !== undefined && (t['Loco-Emergency'] !== 'true' || change !== 'rollback')) problems.push('Loco-Emergency may only be "true" on a rollback');
  return problems;
}

export function verifyHistory(input: VerifyInput): Finding[] {
  const findings: Finding[] = [];
  const { history } = input;
  if (history.length === 0) {
    return [{ code: 'history.empty', message: 'main has no commits', hint: 'the repository was never created or main was deleted: restore it from a backup or a mirror' }];
  }
  const root = history[history.length - 1];
  if (root.parents.length !== 0 || !SKELETON_SUBJECT.test(root.subject)) {
    findings.push({ code: 'history.no-skeleton', commit: root.commit, message: `the oldest commit on main (${short(root.commit)} "${root.subject}") is not Loco's skeleton commit`, hint: 'main was replaced or rewritten: compare it with a mirror or backup of the repository' });
  }
  const byCommit = new Map<string, RecordedDeployment[]>();
  const byId = new Map(input.deployments.map((d) => [d.id, d]));
  for (const d of input.deployments) if (d.commit) byCommit.set(d.commit, [...(byCommit.get(d.commit) ?? []), d]);
  const onMain = new Set(history.map((e) => e.commit));
  const seenIds = new Map<string, string>();
  // Apps deleted later lose their records with them, so their earlier commits need none.
  const deletedLater = new Set<string>();

  for (const entry of history.slice(0, -1)) {
    const t = entry.trailers;
    const at = `commit ${short(entry.commit)} "${entry.subject}"`;
    const merge = entry.parents.length > 1;
    const recorded = byCommit.get(entry.commit) ?? [];
    if (merge && !isLoco(t) && recorded.some((d) => d.changeType === 'promote' || d.changeType === 'rollback')) {
      continue; // a promotion pull request merged on GitHub: the deployment that tracks it names it
    }
    if (merge) {
      const kind = t['Loco-Change'];
      if (kind !== 'promote' && kind !== 'rollback') {
        findings.push({ code: 'history.not-linear', commit: entry.commit, message: `${at} is a merge that is not a Loco promotion`, hint: 'changes reach main as Loco commits or promotion pull requests; find who merged it (`git show`) and redo the change through Loco' });
      }
    }
    if (!isLoco(t)) {
      findings.push({ code: 'commit.no-trailers', commit: entry.commit, message: `${at} by ${entry.author.name} <${entry.author.email}> has no Loco trailers: it was not made by Loco`, hint: 'changes to the GitOps repository go through Loco (deploy, scale, env, rollback, promote); revert it with a Loco rollback and check who can push to the repository' });
      continue;
    }
    const problems = trailerProblems(t);
    if (problems.length) {
      findings.push({ code: 'commit.invalid-trailers', commit: entry.commit, message: `${at} has invalid trailers: ${problems.join('; ')}`, hint: 'a commit with edited or hand-written trailers: find its author with `git show` and compare with `loco history`' });
      continue;
    }
    const id = t['Loco-Deployment'];
    const app = t['Loco-App'];
    if (t['Loco-Change'] === 'delete') {
      deletedLater.add(app);
      continue;
    }
    const earlier = seenIds.get(id);
    if (earlier) {
      findings.push({ code: 'commit.duplicate-deployment', commit: entry.commit, deploymentId: id, message: `${at} names deployment ${id}, which commit ${short(earlier)} names too`, hint: 'one deployment makes one commit: one of the two was copied by hand' });
    }
    seenIds.set(id, entry.commit);
    const d = byId.get(id);
    if (!d) {
      if (!deletedLater.has(app) && !deletedLater.has('*')) { // '*': the workspace was deleted (api/deployments/remove-workspace.ts)
        findings.push({ code: 'commit.no-deployment', commit: entry.commit, deploymentId: id, message: `${at} names deployment ${id}, which the database does not have`, hint: 'the database lost records: rebuild them into an empty database (an org admin: POST /api/v1/orgs/<org>/workspaces/<ws>/admin/rebuild-from-git), or check for a forged commit' });
      }
      continue;
    }
    const mismatch: string[] = [];
    if (d.commit !== entry.commit) mismatch.push(`the database says it made ${d.commit ? short(d.commit) : 'no commit'}`);
    if (d.app !== app) mismatch.push(`app ${d.app} ≠ ${app}`);
    if (d.profile !== t['Loco-Profile']) mismatch.push(`profile ${d.profile} ≠ ${t['Loco-Profile']}`);
    if (d.image !== t['Loco-Image']) mismatch.push(`image ${d.image} ≠ ${t['Loco-Image']}`);
    if (d.configDigest !== t['Loco-Config-Digest']) mismatch.push(`config digest ${d.configDigest} ≠ ${t['Loco-Config-Digest']}`);
    if (mismatch.length) {
      findings.push({ code: 'commit.deployment-mismatch', commit: entry.commit, deploymentId: id, message: `${at} and deployment ${id} disagree: ${mismatch.join('; ')}`, hint: 'git is the record: check who changed the database row or the commit' });
    }
  }

  for (const d of input.deployments) {
    if (!d.commit && REACHED_COMMIT.includes(d.status)) {
      findings.push({ code: 'deployment.commit-missing', deploymentId: d.id, message: `deployment ${d.id} (${d.app}@${d.profile}) is ${d.status} but names no commit`, hint: 'the record was edited by hand: compare it with `loco history`' });
    }
    if (d.commit && !onMain.has(d.commit)) {
      findings.push({ code: 'deployment.commit-missing', deploymentId: d.id, commit: d.commit, message: `deployment ${d.id} (${d.app}@${d.profile}, ${d.status}) says it made commit ${short(d.commit)}, which is not on main`, hint: 'main was rewritten or force-pushed: restore the commit from a mirror or backup' });
      continue;
    }
    if (!input.outcomes || !d.commit || !d.finished) continue;
    const note = outcomeOf(input.outcomes.get(d.commit), d.id);
    if (!note) {
      findings.push({ code: 'deployment.outcome-missing', deploymentId: d.id, commit: d.commit, message: `deployment ${d.id} (${d.app}@${d.profile}) ended ${d.status}, but git records no outcome for it on commit ${short(d.commit)}`, hint: 'the note under refs/notes/loco could not be written or was removed (see the API log); git alone cannot tell how this deployment ended' });
    } else if (note.outcome !== d.status || (note.reason ?? null) !== (d.reason ?? null)) {
      const said = (status: string, reason?: string | null) => `${status}${reason ? ` (${reason})` : ''}`;
      findings.push({ code: 'deployment.outcome-mismatch', deploymentId: d.id, commit: d.commit, message: `deployment ${d.id} (${d.app}@${d.profile}) ended ${said(d.status, d.reason)} in the database, but git records ${said(note.outcome, note.reason)}`, hint: 'one of the two was changed by hand: compare `git notes --ref=loco show <commit>` with `loco events <deployment>`' });
    }
  }
  return findings;
}
