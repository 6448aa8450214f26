// Names that several parts must agree on: the workspace slug, the namespace of an
// app/profile, and the Argo CD Application that the ApplicationSet makes for an overlay.
// Kept in one place because the generator, the API, the Argo CD manifests and the tracker
// all derive the same names and a mismatch would be silent.
//
// Why "--": org, workspace, app and profile names are DNS labels that may contain single
// dashes, so joining them with "-" is ambiguous (org "a-b" + workspace "c" and org "a" +
// workspace "b-c" would share a repository, and the AppProject glob `acme-web-*` would also
// admit workspace `acme-web-admin`'s namespaces). Loco names may not contain "--"
// (isLocoName), so "--" is an unambiguous separator and `<slug>--*` is a tight boundary.

import { createHash } from 'node:crypto';

const DNS_LABEL_MAX = 63;
export const NAME_SEPARATOR = '--';
/** Longest org or workspace name: keeps `<slug>--` inside the readable prefix of a hashed namespace. */
export const WORKSPACE_NAME_MAX = 24;

const LOCO_NAME = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/**
 * A name Loco accepts for an org, workspace, app or profile: a DNS-1035 label (lowercase
 * letters, digits and "-", starting with a letter, not ending with "-"), at most `max`
 * characters, and without "--" (reserved as the separator).
 */
export function isLocoName(name: string, max = DNS_LABEL_MAX): boolean {
  return name.length <= max && LOCO_NAME.test(name) && !name.includes(NAME_SEPARATOR);
}

/**
 * Why an org or workspace name is refused, as [message, hint], or undefined when it is fine.
 * Checked at creation: a name with "--" would let workspace `web--x` of org `acme` reach into
 * the AppProject glob `acme--web--*`, and a pair too long would fail every later deploy.
 */
export function orgOrWorkspaceNameProblem(kind: 'organization' | 'workspace', name: string): [string, string] | undefined {
  if (isLocoName(name, WORKSPACE_NAME_MAX)) return undefined;
  const rule = `lower-case letters, digits and single "-", starting with a letter, at most ${WORKSPACE_NAME_MAX} characters`;
  if (name.includes(NAME_SEPARATOR)) return [`${kind} name "${name}" contains "--", which Loco reserves as the separator of <org>--<workspace>--<app>--<profile>`, `use single dashes: ${rule}`];
  if (name.length > WORKSPACE_NAME_MAX) return [`${kind} name "${name}" is ${name.length} characters long: the namespaces and Argo CD names built from it would not fit`, `use a shorter name: ${rule}`];
  return [`"${name}" is not a valid ${kind} name`, rule];
}

/** `<org>--<workspace>`: the workspace's name outside Loco (repository, namespaces, Argo CD). */
export function workspaceSlug(org: string, workspace: string): string {
  return `${org}${NAME_SEPARATOR}${workspace}`;
}

/**
 * Namespace of one app in one profile: `<slug>--<app>--<profile>` when it fits a DNS label;
 * otherwise a truncated prefix plus a hash of the full name, so two long names never collide
 * and the namespace still starts with `<slug>--` (the AppProject allows `<slug>--*`).
 */
export function namespaceFor(slug: string, app: string, profile: string): string {
  const full = `${slug}${NAME_SEPARATOR}${app}${NAME_SEPARATOR}${profile}`;
  if (full.length <= DNS_LABEL_MAX) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const prefix = full.slice(0, DNS_LABEL_MAX - hash.length - 1).replace(/-+$/, '');
  return `${prefix}-${hash}`;
}

/** The Argo CD Application the workspace's ApplicationSet creates for `apps/<app>/overlays/<profile>`. */
export function argoApplicationName(slug: string, app: string, profile: string): string {
  return `${slug}${NAME_SEPARATOR}${app}${NAME_SEPARATOR}${profile}`;
}

/** Argo CD AppProject of a workspace. */
export function argoProjectName(slug: string): string {
  return slug;
}

/** The AppProject's destination glob: every namespace namespaceFor gives for this workspace. */
export function namespaceGlob(slug: string): string {
  return `${slug}${NAME_SEPARATOR}*`;
}
