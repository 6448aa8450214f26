// Deleting a workspace: one commit on main removes every app (all of apps/), with the trailers
// every Loco commit has (Loco-Change: delete, Loco-App: * for "every app"), so Argo CD's
// ApplicationSet stops generating its Applications and a workspace created later under the same
// name starts with no apps. The repository and its history stay, as the record of what ran.
// What the operator still has to remove from Argo CD is computed from the overlays main had.

import { ulid } from '../ids.ts';
import { argoApplicationName, argoProjectName } from '../../generator/names.ts';
import type { Author, GitopsStore } from '../gitops/index.ts';
import { trailersFor } from './commit.ts';

/** Loco-App of a workspace deletion: no app is named `*`, so audit and rebuild read it as every app. */
export const EVERY_APP = '*';

export interface ArgoCdCleanup {
  /** Applications the ApplicationSet generated from main's overlays (it deletes them once it reads the commit). */
  applications: string[];
  applicationSet: string;
  project: string;
  rbacPolicyKey: string;
  /** What to run, in order, when the Applications or the per-workspace objects remain. */
  commands: string[];
}

/** Pure: the Argo CD objects of a workspace whose overlays were `overlays` ([app, profile] pairs). */
export function argoCdCleanup(slug: string, overlays: [string, string][], argocdNamespace = 'argocd'): ArgoCdCleanup {
  const applications = overlays.map(([app, profile]) => argoApplicationName(slug, app, profile)).sort();
  const project = argoProjectName(slug);
  const rbacPolicyKey = `policy.loco-${slug}.csv`;
  return {
    applications, applicationSet: slug, project, rbacPolicyKey,
    commands: [
      ...(applications.length ? [`kubectl -n ${argocdNamespace} delete applications.argoproj.io ${applications.join(' ')} --ignore-not-found`] : []),
      `kubectl -n ${argocdNamespace} delete applicationsets.argoproj.io ${slug} --ignore-not-found`,
      `kubectl -n ${argocdNamespace} delete appprojects.argoproj.io ${project} --ignore-not-found`,
      `kubectl -n ${argocdNamespace} patch configmap argocd-rbac-cm --type json -p '[{"op":"remove","path":"/data/${rbacPolicyKey.replace(/~/g, '~0').replace(/\//g, '~1')}"}]'`,
    ],
  };
}

/** The [app, profile] overlays on main at `head`. */
async function overlaysAt(store: GitopsStore, slug: string, head: string): Promise<[string, string][]> {
  const seen = new Map<string, [string, string]>();
  for (const path of (await store.readFiles(slug, head, 'apps/')).keys()) {
    const m = /^apps\/([^/]+)\/overlays\/([^/]+)\//.exec(path);
    if (m) seen.set(`${m[1]}/${m[2]}`, [m[1], m[2]]);
  }
  return [...seen.values()];
}

export interface WorkspaceRemoval {
  /** The commit that removed the apps; absent when main had none. */
  commit?: string;
  apps: string[];
  argocd: ArgoCdCleanup;
}

/** Commits the removal of every app of the workspace (run it inside the runner's per-workspace queue). */
export async function removeWorkspaceApps(store: GitopsStore, input: { slug: string; org: string; workspace: string; actor: string; author: Author }): Promise<WorkspaceRemoval> {
  const head = await store.head(input.slug);
  const overlays = head ? await overlaysAt(store, input.slug, head) : [];
  const apps = [...new Set(overlays.map(([app]) => app))].sort();
  const argocd = argoCdCleanup(input.slug, overlays);
  if (!head || apps.length === 0) return { apps, argocd };
  const d = { id: `dpl_${ulid()}`, actor: input.actor, app: EVERY_APP, profile: EVERY_APP, configDigest: '-', image: '-', changeType: 'delete' as const };
  const result = await store.applyChange({
    slug: input.slug, scope: ['apps/'], files: new Map(), baseCommit: head, author: input.author, trailers: trailersFor(d),
    subject: `delete(workspace ${input.org}/${input.workspace}): remove every app (${apps.join(', ')}) from every profile`,
  });
  return { ...(result.status === 'committed' ? { commit: result.commit } : {}), apps, argocd };
}
