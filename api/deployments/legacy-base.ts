// Repositories written before overlays were self-contained hold apps/<app>/base/, which every
// overlay listing `../../base` builds from. A deploy to one profile must not change what another
// profile builds (that would bypass the other profile's review), so a deploy never rewrites the
// folder; the deploy after which no overlay reads it any more removes it, and a rollback to a
// release of that layout brings its base back only when no other profile's build would change.

import { LocoError } from '../../generator/errors.ts';

const basePrefix = (app: string) => `apps/${app}/base/`;

/** Whether a kustomization.yaml lists the shared base among its resources. */
export function readsSharedBase(kustomization: string): boolean {
  return /^\s*-\s*["']?\.\.\/\.\.\/base\/?["']?\s*$/m.test(kustomization);
}

/** Profiles whose overlay (in `files`, the app's folder at one commit) builds from the shared base. */
export function sharedBaseReaders(files: Map<string, string>, app: string): string[] {
  const profiles: string[] = [];
  for (const [path, text] of files) {
    const m = new RegExp(`^apps/${app}/overlays/([^/]+)/kustomization\\.yaml$`).exec(path);
    if (m && readsSharedBase(text)) profiles.push(m[1]);
  }
  return profiles.sort();
}

function baseFiles(files: Map<string, string>, app: string): Map<string, string> {
  return new Map([...files].filter(([path]) => path.startsWith(basePrefix(app))));
}

/**
 * Extra scope for a deploy of (app, profile) onto `head` (the app's files there): the old base,
 * to be deleted, once the deploy leaves no overlay reading it; otherwise nothing.
 */
export function orphanedBaseScope(head: Map<string, string>, app: string, profile: string): string[] {
  if (baseFiles(head, app).size === 0) return [];
  return sharedBaseReaders(head, app).some((p) => p !== profile) ? [] : [basePrefix(app)];
}

/**
 * The base files a rollback of (app, profile) to `target` (the app's files at the target commit)
 * must restore with its overlay — none unless the target's overlay reads the shared base. Refused
 * when restoring it would change the build of another profile that still reads the current base.
 */
export function rollbackBase(head: Map<string, string>, target: Map<string, string>, app: string, profile: string): Map<string, string> {
  if (!sharedBaseReaders(target, app).includes(profile)) return new Map();
  const then = baseFiles(target, app);
  const now = baseFiles(head, app);
  const same = then.size === now.size && [...then].every(([path, text]) => now.get(path) === text);
  const others = sharedBaseReaders(head, app).filter((p) => p !== profile);
  if (!same && others.length > 0) {
    throw new LocoError(
      'conflict.shared-base',
      `rolling ${app}@${profile} back would change apps/${app}/base/, which the ${others.join(', ')} overlay${others.length > 1 ? 's' : ''} also build${others.length > 1 ? '' : 's'} from`,
      `that release predates self-contained overlays; deploy its image to ${profile} again instead (loco deploy --profile ${profile}), or promote to ${others.join(', ')} first so no other profile reads the old base`,
      { data: { profiles: others } },
    );
  }
  return then;
}
