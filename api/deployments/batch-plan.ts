// How a group commit orders its deployments (pure): which are replaced by a newer one of the
// same batch, and where the batch is cut so that every change renders on the commit it follows.

/** At most this many commits per store.applyChanges call: a GitHub push of more falls back to isomorphic-git's slower one. */
export const MAX_BATCH = 100;

/** Changes a newer release of the same app/profile replaces while they wait (the runner's #newerRelease). */
const RELEASES = new Set(['deploy', 'rollback']);
const NEWER_RELEASES = new Set(['deploy', 'rollback', 'promote']);

export interface PlannedChange {
  id: string;
  app: string;
  appId: string;
  profile: string;
  changeType: string;
}

/** The later deployment of the batch (in request order) that replaces the one at `index`, if any. */
export function newerInBatch<T extends PlannedChange>(batch: T[], index: number): T | undefined {
  const d = batch[index];
  if (!RELEASES.has(d.changeType)) return undefined;
  return batch.slice(index + 1).findLast((n) => n.appId === d.appId && n.profile === d.profile && NEWER_RELEASES.has(n.changeType));
}

/**
 * The batch cut where an app comes round again: every change of one store.applyChanges call is
 * rendered on the same head, so two changes of one app (an env change after a deploy) go to
 * consecutive calls, the second rendered on the first's commit. Request order is kept.
 */
export function segmentsByApp<T extends { app: string }>(changes: T[]): T[][] {
  const segments: T[][] = [];
  let current: T[] = [];
  let apps = new Set<string>();
  for (const c of changes) {
    if (apps.has(c.app) || current.length >= MAX_BATCH) {
      segments.push(current);
      current = [];
      apps = new Set();
    }
    current.push(c);
    apps.add(c.app);
  }
  if (current.length > 0) segments.push(current);
  return segments;
}
