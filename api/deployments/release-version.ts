// The loco.toml format version a release was read with, as its release.yaml records it. A
// release's file is re-read (promotion, env/scale/secrets changes on it) with that version, so a
// file without Metadata.ConfigVersion keeps the meaning it was deployed with after Loco's
// current version moves on (DESIGN.md "loco.toml versions").

import { parse } from 'yaml';
import { asConfigVersion, type ConfigVersion } from '../../generator/config/versions/version.ts';
import type { GitopsStore } from '../gitops/index.ts';

/** The version recorded in apps/<app>/overlays/<profile>/release.yaml at `commit`, or undefined (none recorded). */
export async function recordedConfigVersion(store: GitopsStore, slug: string, commit: string, app: string, profile: string): Promise<ConfigVersion | undefined> {
  const path = `apps/${app}/overlays/${profile}/release.yaml`;
  const text = (await store.readFiles(slug, commit, path)).get(path);
  if (text === undefined) return undefined;
  try {
    return asConfigVersion((parse(text) as { configVersion?: unknown } | null)?.configVersion);
  } catch {
    return undefined; // a hand-edited record that is not YAML: read the file as it says
  }
}
