// Names that several parts must agree on: the workspace slug, the namespace of an
// app/profile, and the Argo CD Application that the ApplicationSet makes for an overlay.
// Kept in one place because the generator, the API, the Argo CD manifests and the tracker
// all derive the same names and a mismatch would be silent.

import { createHash } from 'node:crypto';

const DNS_LABEL_MAX = 63;

/** `<org>-<workspace>`: the workspace's name outside Loco (repository, namespaces, Argo CD). */
export function workspaceSlug(org: string, workspace: string): string {
  return `${org}-${workspace}`;
}

/**
 * Namespace of one app in one profile. Readable when it fits a DNS label; otherwise a
 * truncated prefix plus a hash of the full name, so two long names never collide and the
 * namespace still starts with the workspace slug (the AppProject allows `<slug>-*`).
 */
export function namespaceFor(slug: string, app: string, profile: string): string {
  const full = `${slug}-${app}-${profile}`;
  if (full.length <= DNS_LABEL_MAX) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const prefix = full.slice(0, DNS_LABEL_MAX - hash.length - 1).replace(/-+$/, '');
  return `${prefix}-${hash}`;
}

/** The Argo CD Application the workspace's ApplicationSet creates for `apps/<app>/overlays/<profile>`. */
export function argoApplicationName(slug: string, app: string, profile: string): string {
  return `${slug}-${app}-${profile}`;
}

/** Argo CD AppProject of a workspace. */
export function argoProjectName(slug: string): string {
  return slug;
}
