// What a rollback writes: the target commit's config, manifests and image of the app/profile,
// and overrides.toml with that profile's overrides as the target had them — so the next deploy
// does not bring back an env or scale change the rollback undid. Other profiles' overrides stay.

import { appScope, restoreProfileOverrides } from '../../generator/index.ts';
import type { GitopsStore } from '../gitops/index.ts';
import { rollbackBase } from './legacy-base.ts';
import { overridesPath } from './overrides.ts';
import { currentScopeFiles } from './prepare.ts';

/** The paths a rollback of (app, profile) owns; `files` (rollbackFiles) adds the old shared base when it restores it. */
export function rollbackScope(app: string, profile: string, files?: Map<string, string>): string[] {
  const base = `apps/${app}/base/`;
  const restoresBase = files !== undefined && [...files.keys()].some((path) => path.startsWith(base));
  return [...appScope(app, profile), overridesPath(app), ...(restoresBase ? [base] : [])];
}

export async function rollbackFiles(store: GitopsStore, slug: string, head: string, targetCommit: string, app: string, profile: string): Promise<Map<string, string>> {
  const path = overridesPath(app);
  const [files, headApp, targetApp] = await Promise.all([
    currentScopeFiles(store, slug, targetCommit, app, profile),
    store.readFiles(slug, head, `apps/${app}/`),
    store.readFiles(slug, targetCommit, `apps/${app}/`),
  ]);
  for (const [file, text] of rollbackBase(headApp, targetApp, app, profile)) files.set(file, text);
  const now = headApp.get(path);
  const then = targetApp.get(path);
  if (now !== undefined || then !== undefined) files.set(path, restoreProfileOverrides(now ?? '', then ?? '', profile));
  return files;
}
