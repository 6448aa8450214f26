// The seam between the runner and the Argo CD tracker (api/argocd): the runner hands over a
// committed revision and receives state changes and one outcome.

import type { GitopsStore } from '../gitops/index.ts';
import { readsSharedBase } from './legacy-base.ts';

export interface TrackerEvent {
  type: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface TrackerOutcome {
  status: 'succeeded' | 'failed';
  reason?: string;
  message: string;
  nextStep?: string;
  data?: Record<string, unknown>;
}

export interface TrackRequest {
  application: string;
  project: string;
  revision: string;
  progressDeadlineSeconds: number;
  signal: AbortSignal;
  /**
   * Argo CD follows the branch head, so it may sync a later commit than ours (another app's
   * deploy landed first). What that revision means for this deployment: `same` — it contains
   * our commit and this app/profile's files are unchanged since; `replaced` — it contains our
   * commit but changed them again; `unrelated` — it does not contain our commit (yet).
   */
  releaseAt?: (revision: string) => Promise<ReleaseVerdict>;
}

export type ReleaseVerdict = 'same' | 'replaced' | 'unrelated';

/** Follows one Argo CD application to the outcome for `revision`. */
export type TrackFn = (request: TrackRequest, onEvent: (event: TrackerEvent) => void | Promise<void>) => Promise<TrackerOutcome>;

/**
 * ReleaseVerdict of `revision` for deployment `d` (commit `d.commit` of `d.app`@`d.profile`):
 * Argo CD builds apps/<app>/overlays/<profile> (and, in repositories of the older layout whose
 * overlay lists ../../base, apps/<app>/base), so those folders are the release; loco.toml and
 * overrides.toml only feed the renderer.
 */
export async function releaseAt(store: GitopsStore, slug: string, d: { commit?: string | null; app: string; profile: string }, revision: string): Promise<ReleaseVerdict> {
  if (!d.commit || !(await store.contains(slug, revision, d.commit))) return 'unrelated';
  const overlay = `apps/${d.app}/overlays/${d.profile}/`;
  const kustomization = (await store.readFiles(slug, d.commit, `${overlay}kustomization.yaml`)).get(`${overlay}kustomization.yaml`);
  const prefixes = kustomization !== undefined && readsSharedBase(kustomization) ? [`apps/${d.app}/base/`, overlay] : [overlay];
  for (const prefix of prefixes) {
    const diff = await store.diff(slug, d.commit, revision, prefix);
    if (diff.added.length + diff.removed.length + diff.changed.length > 0) return 'replaced';
  }
  return 'same';
}
