// What a rollback writes: the target commit's config, manifests and image of the app/profile,
// and overrides.toml with that profile's overrides as the target had them — so the next deploy
// does not bring back an env or scale change the rollback undid. Other profiles' overrides stay.

import { appScope, restoreProfileOverrides } from '../../generator/index.ts';
import type { GitopsStore } from '../gitops/index.ts';
import { overridesPath } from './overrides.ts';
import { currentScopeFiles } from './prepare.ts';

/** The paths a rollback of (app, profile) owns. */
export function rollbackScope(app: string, profile: string): string[] {
  return [...appScope(app, profile), overridesPath(app)];
}

export async function rollbackFiles(store: GitopsStore, slug: string, head: string, targetCommit: string, app: string, profile: string): Promise<Map<string, string>> {
  const path = overridesPath(app);
  const [files, now, then] = await Promise.all([
    currentScopeFiles(store, slug, targetCommit, app, profile),
    store.readFiles(slug, head, path).then((f) => f.get(path)),
    store.readFiles(slug, targetCommit, path).then((f) => f.get(path)),
  ]);
  if (now !== undefined || then !== undefined) files.set(path, restoreProfileOverrides(now ?? '', then ?? '', profile));
  return files;
}
