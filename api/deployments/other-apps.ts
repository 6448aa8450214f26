// The workspace's other apps as the repository holds them at a commit: each routed app (its
// overlay, or the shared base of the older layout, has a Service) deployed in the profile (it has that overlay) gives the rendered app its
// LOCO_<APP>_URL. Read at render time, so an app learns of a newer one at its own next deploy.

import { appUrl } from '../../generator/index.ts';
import type { GitopsStore } from '../gitops/index.ts';

/** Pure: the other apps' names and in-cluster URLs, from the repository's paths. */
export function otherAppsIn(paths: Iterable<string>, slug: string, app: string, profile: string): { name: string; url: string }[] {
  const routed = new Set<string>();
  const deployed = new Set<string>();
  for (const path of paths) {
    const m = /^apps\/([^/]+)\/(.+)$/.exec(path);
    if (!m || m[1] === app) continue;
    if (m[2] === `overlays/${profile}/service.yaml` || m[2] === 'base/service.yaml') routed.add(m[1]);
    if (m[2] === `overlays/${profile}/kustomization.yaml`) deployed.add(m[1]);
  }
  return [...routed].filter((name) => deployed.has(name)).sort().map((name) => ({ name, url: appUrl(slug, name, profile) }));
}

export async function otherAppsAt(store: GitopsStore, slug: string, head: string, app: string, profile: string): Promise<{ name: string; url: string }[]> {
  return otherAppsIn((await store.readFiles(slug, head, 'apps/')).keys(), slug, app, profile);
}
