// Image retention: keep the images the last releases of each app/profile reference (the
// deployed one and `keep` before it), delete the rest of the workspace's repositories through
// the registry API. Only repositories under the workspace's own prefix are touched, so one
// workspace can never delete another's images; a dry run (the default) lists what would go.

import type { EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import { parseImageReference, type ImageReference } from '../../generator/image-reference.ts';
import { endpointFor, registryHost, repositoryPath, type ImageSettings, type WorkspaceImagePolicy } from './policy.ts';
import { RegistryClient } from './registry-client.ts';
import { ownTokenFor } from './registry-token.ts';

export interface PruneResult {
  dryRun: boolean;
  keep: number;
  /** Digests kept per repository (host/path), with the releases that reference them. */
  kept: { repository: string; digest: string; tags: string[] }[];
  deleted: { repository: string; digest: string; tags: string[] }[];
}

interface ReleaseRow {
  app: string;
  profile: string;
  image: string;
}

/** The pinned images of the newest `keep + 1` distinct releases per app/profile: repository → digests. */
export function referencedImages(rows: ReleaseRow[], keep: number): Map<string, Set<string>> {
  const perScope = new Map<string, string[]>();
  for (const row of rows) {
    const key = `${row.app}@${row.profile}`;
    const list = perScope.get(key) ?? [];
    if (!list.includes(row.image) && list.length < keep + 1) list.push(row.image);
    perScope.set(key, list);
  }
  const referenced = new Map<string, Set<string>>();
  for (const images of perScope.values()) for (const text of images) addPinned(referenced, text);
  return referenced;
}

/** The repository (host/path) an image names, and its digest when it is pinned; null when it does not parse. */
function repositoryOf(text: string): { repository: string; digest: string | null } | null {
  const ref = parseImageReference(text);
  return typeof ref === 'string' ? null : { repository: `${registryHost(ref)}/${ref.path}`, digest: ref.digest };
}

/** Adds a pinned image's digest to its repository's set (a tag without a digest references nothing a prune can match). */
function addPinned(referenced: Map<string, Set<string>>, text: string): void {
  const image = repositoryOf(text);
  if (!image?.digest) return;
  if (!referenced.has(image.repository)) referenced.set(image.repository, new Set());
  referenced.get(image.repository)!.add(image.digest);
}

/** A client for the registry of `ref`, signing its own tokens when Loco is that registry's token realm. */
function clientFor(ref: ImageReference, settings: ImageSettings): RegistryClient {
  const endpoint = endpointFor(ref, settings);
  return new RegistryClient(endpoint, { ownToken: ownTokenFor(settings.tokenIssuer, endpoint) });
}

export async function pruneImages(em: EntityManager, input: { workspaceId: string; org: string; workspace: string; keep: number; dryRun: boolean; settings: ImageSettings; policy: WorkspaceImagePolicy }): Promise<PruneResult> {
  const prefixes = input.policy.prefix ? [input.policy.prefix] : (input.settings.registries ?? []).map((r) => `${r.host}/${input.org}/${input.workspace}/`);
  if (prefixes.length === 0) {
    throw new LocoError('usage.prune-no-prefix', 'cannot prune images: this workspace has no repository prefix of its own, so Loco cannot tell its images from anyone else\'s',
      'set LOCO_IMAGE_REGISTRIES on the API (the prefix is then <registry>/<org>/<workspace>/), or a prefix in the workspace\'s image policy');
  }
  // newest first: each app/profile's deployed release, then the ones before it
  const rows = await em.execute<ReleaseRow[]>(
    `select app, profile, image from deployments where workspace_id = ? and commit is not null and change_type in ('deploy', 'rollback', 'promote') order by created_at desc, id desc`,
    [input.workspaceId],
  );
  const referenced = referencedImages(rows, input.keep);
  // Deployments still on their way to a commit hold images no release references yet: keep those too.
  const inFlight = await em.execute<{ image: string }[]>(
    `select image from deployments where workspace_id = ? and commit is null and finished_at is null`,
    [input.workspaceId],
  );
  for (const row of inFlight) addPinned(referenced, row.image);
  const underPrefix = (repository: string) => prefixes.some((p) => repository.startsWith(p.endsWith('/') ? p : `${p}/`));
  // every repository the workspace ever deployed from, under its prefix …
  const repositories = new Set<string>();
  for (const row of [...rows, ...inFlight]) {
    const image = repositoryOf(row.image);
    if (image && underPrefix(image.repository)) repositories.add(image.repository);
  }
  // … and those the registry lists under the prefix: images built and pushed whose deploy never
  // committed (refused by the vulnerability gate, say) would otherwise stay forever.
  for (const prefix of prefixes) {
    const ref = parseImageReference(`${prefix.replace(/\/+$/, '')}/x:x`);
    if (typeof ref === 'string') continue;
    const host = registryHost(ref);
    const pathPrefix = repositoryPath(ref).replace(/x$/, '');
    const listed = await clientFor(ref, input.settings).repositories(pathPrefix);
    for (const name of listed ?? []) repositories.add(`${host}/${name}`);
  }
  const result: PruneResult = { dryRun: input.dryRun, keep: input.keep, kept: [], deleted: [] };
  for (const repository of [...repositories].sort()) {
    const ref = parseImageReference(`${repository}:x`);
    if (typeof ref === 'string') continue;
    const client = clientFor(ref, input.settings);
    const path = repositoryPath(ref);
    const byDigest = new Map<string, string[]>();
    for (const tag of await client.tags(path)) {
      const manifest = await client.manifest(path, tag);
      if (manifest) byDigest.set(manifest.digest, [...(byDigest.get(manifest.digest) ?? []), tag]);
    }
    const keepSet = referenced.get(repository) ?? new Set();
    for (const [digest, tags] of byDigest) {
      const entry = { repository, digest, tags: tags.sort() };
      if (keepSet.has(digest)) {
        result.kept.push(entry);
        continue;
      }
      if (!input.dryRun) await client.deleteManifest(path, digest);
      result.deleted.push(entry);
    }
  }
  return result;
}
