// POST …/admin/rebuild-from-git, the pure half: which apps, deployments and merged promotions
// a workspace's records were, read from main's history alone (DESIGN.md: the database can be
// rebuilt from git). The trailers say who, what and which deployment; the shell reads each
// commit's apps/<app>/loco.toml for the config text.

import { outcomeOf, type HistoryEntry, type OutcomeNote } from '../gitops/index.ts';
import { DEPLOYMENT_ID, PROMOTION_ID, trailerProblems } from './verify.ts';

export interface PlannedDeployment {
  id: string;
  app: string;
  profile: string;
  changeType: 'deploy' | 'scale' | 'env' | 'rollback' | 'promote' | 'secrets';
  image: string;
  configDigest: string;
  commit: string;
  actor: string;
  /** Commit time, ISO 8601: the deployment's createdAt and finishedAt. */
  time: string;
  subject: string;
  promotion?: { id: string; from: string; sourceDeploymentId?: string; approvedBy: string[] };
  emergency: boolean;
  /** How it ended, as git's note on the commit records it (absent: not recorded, e.g. still in flight). */
  outcome?: OutcomeNote;
}

export interface RebuildPlan {
  /** App names that exist at main's head (an app deleted later is not recreated). */
  apps: string[];
  /** Oldest first. */
  deployments: PlannedDeployment[];
  /** Commits left out, and why (hand-made, invalid trailers, of an app deleted later). */
  skipped: { commit: string; reason: string }[];
}

/**
 * `history`: main's first-parent history, newest first (as GitopsStore.history returns it);
 * `outcomes`: the notes under refs/notes/loco, by commit.
 */
export function planRebuild(history: HistoryEntry[], outcomes: Map<string, OutcomeNote[]> = new Map()): RebuildPlan {
  const skipped: RebuildPlan['skipped'] = [];
  const deleted = new Set<string>();
  const kept: PlannedDeployment[] = [];
  // Newest first: a deletion makes every earlier commit of that app history without records.
  for (const entry of history) {
    const t = entry.trailers;
    if (entry.parents.length === 0) continue; // the skeleton commit
    if (!t['Loco-Deployment']) {
      skipped.push({ commit: entry.commit, reason: 'no Loco trailers' });
      continue;
    }
    const problems = trailerProblems(t);
    if (problems.length || !DEPLOYMENT_ID.test(t['Loco-Deployment'])) {
      skipped.push({ commit: entry.commit, reason: `invalid trailers: ${problems.join('; ')}` });
      continue;
    }
    const app = t['Loco-App'];
    if (t['Loco-Change'] === 'delete') {
      deleted.add(app);
      skipped.push({ commit: entry.commit, reason: `deletion of ${app} (its records go with it)` });
      continue;
    }
    if (deleted.has(app) || deleted.has('*')) { // '*': every app, when the workspace was deleted
      skipped.push({ commit: entry.commit, reason: `${app} was deleted later` });
      continue;
    }
    const promotionId = t['Loco-Promotion'];
    const outcome = outcomeOf(outcomes.get(entry.commit), t['Loco-Deployment']);
    // the trailer names who approved a merge Loco made; the note also who approved on GitHub
    const approvedBy = (t['Loco-Approved-By'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    kept.push({
      id: t['Loco-Deployment'],
      app,
      profile: t['Loco-Profile'],
      changeType: t['Loco-Change'] as PlannedDeployment['changeType'],
      image: t['Loco-Image'],
      configDigest: t['Loco-Config-Digest'],
      commit: entry.commit,
      actor: t['Loco-Actor'],
      time: entry.time,
      subject: entry.subject,
      emergency: t['Loco-Emergency'] === 'true',
      ...(promotionId && PROMOTION_ID.test(promotionId)
        ? {
            promotion: {
              id: promotionId,
              from: t['Loco-Promoted-From'] ?? t['Loco-Profile'],
              ...(t['Loco-Source-Deployment'] ? { sourceDeploymentId: t['Loco-Source-Deployment'] } : {}),
              approvedBy: approvedBy.length ? approvedBy : outcome?.approvedBy ?? [],
            },
          }
        : {}),
      ...(outcome ? { outcome } : {}),
    });
  }
  const deployments = kept.reverse();
  const apps = [...new Set(deployments.map((d) => d.app))].sort();
  return { apps, deployments, skipped };
}
