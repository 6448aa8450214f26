// The DORA figures of a workspace, per app and profile, over a window: deployment frequency,
// lead time for changes, change failure rate and time to restore. Pure: it reads the release
// records (what git's trailers and outcome notes hold, mirrored in the database) and a window.
//
// Definitions (DORA's, as Loco can observe them):
// - a deployment is a change (deploy, rollback, promote, env, scale) that reached the cluster:
//   it ended `succeeded`, or `committed` where no Argo CD follows the workspace;
// - a change failure is a change that was committed and then failed in the cluster (degraded,
//   sync-failed, timeout, untracked), or a release a rollback undid; refusals before the commit
//   (invalid config, policy) and superseded changes never reached the cluster and are not;
// - lead time runs from the source commit's time when the build recorded it, else from the
//   request, to the outcome;
// - time to restore runs from a failure's outcome (or the rollback's request) to the next
//   deployment of that app and profile.

export interface ReleaseRecord {
  app: string;
  profile: string;
  changeType: string;
  status: string;
  reason: string | null;
  /** The commit on main (null: never committed). */
  commit: string | null;
  requestedAt: Date;
  finishedAt: Date | null;
  /** Time of the image's source commit, when the build recorded it. */
  sourceCommittedAt?: Date | null;
}

export interface DoraFigures {
  app: string;
  profile: string;
  deployments: number;
  deploymentFrequencyPerDay: number;
  /** Median lead time for changes, in seconds (null: no deployment in the window). */
  leadTimeSeconds: number | null;
  changeFailures: number;
  /** Change failures / (deployments + change failures); null when nothing was changed. */
  changeFailureRate: number | null;
  restores: number;
  /** Median time to restore, in seconds (null: no failure was restored in the window). */
  timeToRestoreSeconds: number | null;
}

export interface DoraReport {
  since: string;
  until: string;
  days: number;
  /** The whole workspace (app and profile "*"). */
  total: DoraFigures;
  apps: DoraFigures[];
}

const COUNTED = new Set(['deploy', 'rollback', 'promote', 'env', 'scale']);
const CLUSTER_FAILURES = new Set(['degraded', 'sync-failed', 'timeout', 'untracked']);

const isDeployment = (r: ReleaseRecord) => COUNTED.has(r.changeType) && r.finishedAt !== null && (r.status === 'succeeded' || r.status === 'committed');
const isClusterFailure = (r: ReleaseRecord) => r.status === 'failed' && r.commit !== null && CLUSTER_FAILURES.has(r.reason ?? '');

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function figures(app: string, profile: string, records: ReleaseRecord[], since: Date, until: Date, days: number): DoraFigures {
  const inWindow = (t: Date | null) => t !== null && t >= since && t < until;
  const ordered = [...records].sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime());
  const deployments = ordered.filter((r) => isDeployment(r) && inWindow(r.finishedAt));
  // A failure is known at its outcome; a release a rollback undid, at the rollback's request.
  const failures: { at: Date; key: string }[] = [
    ...ordered.filter((r) => isClusterFailure(r) && inWindow(r.finishedAt)).map((r) => ({ at: r.finishedAt!, key: `${r.app}@${r.profile}` })),
    ...ordered.filter((r) => r.changeType === 'rollback' && r.commit !== null && inWindow(r.requestedAt)).map((r) => ({ at: r.requestedAt, key: `${r.app}@${r.profile}` })),
  ];
  const restoreTimes: number[] = [];
  for (const failure of failures) {
    const next = ordered.find((r) => `${r.app}@${r.profile}` === failure.key && isDeployment(r) && r.finishedAt! >= failure.at);
    if (next && inWindow(next.finishedAt)) restoreTimes.push((next.finishedAt!.getTime() - failure.at.getTime()) / 1000);
  }
  const leadTimes = deployments.map((r) => (r.finishedAt!.getTime() - (r.sourceCommittedAt ?? r.requestedAt).getTime()) / 1000);
  const changed = deployments.length + failures.length;
  return {
    app,
    profile,
    deployments: deployments.length,
    deploymentFrequencyPerDay: Math.round((deployments.length / days) * 1000) / 1000,
    leadTimeSeconds: median(leadTimes),
    changeFailures: failures.length,
    changeFailureRate: changed === 0 ? null : Math.round((failures.length / changed) * 1000) / 1000,
    restores: restoreTimes.length,
    timeToRestoreSeconds: median(restoreTimes),
  };
}

export function computeDora(records: ReleaseRecord[], window: { since: Date; until: Date }): DoraReport {
  const days = Math.max((window.until.getTime() - window.since.getTime()) / 86_400_000, 1 / 24);
  const groups = new Map<string, ReleaseRecord[]>();
  for (const r of records) {
    const key = `${r.app}\u0000${r.profile}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const apps = [...groups.entries()]
    .map(([key, rs]) => {
      const [app, profile] = key.split('\u0000');
      return figures(app, profile, rs, window.since, window.until, days);
    })
    .sort((a, b) => a.app.localeCompare(b.app) || a.profile.localeCompare(b.profile));
  return { since: window.since.toISOString(), until: window.until.toISOString(), days: Math.round(days * 1000) / 1000, total: figures('*', '*', records, window.since, window.until, days), apps };
}
