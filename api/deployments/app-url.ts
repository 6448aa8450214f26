// The public URL a deployment's app answers on in its profile, from the loco.toml it deployed
// (`https://<Subdomain>.<BaseDomain><PathPrefix>` for a SERVICE; none for WORKER and CRON).
// Shown by `loco status`, `loco apps`, after `loco deploy`, and opened by `loco open`.

import { parseConfig, publicUrl, resolveForRender } from '../../generator/index.ts';

// Lists render many deployments of few configs: remember the answer per (workspace, profile, config).
const known = new Map<string, string | null>();

export function releaseUrl(configText: string, profile: string, slug: string): string | undefined {
  const key = `${slug}\n${profile}\n${configText}`;
  let url = known.get(key);
  if (url === undefined) {
    try {
      url = publicUrl(resolveForRender({ config: parseConfig(configText, 'loco.toml'), profile, workspace: slug })) ?? null;
    } catch {
      url = null; // a config this version no longer reads has no URL to show; the deployment still lists
    }
    if (known.size >= 1000) known.delete(known.keys().next().value!);
    known.set(key, url);
  }
  return url ?? undefined;
}
