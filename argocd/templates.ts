// Per-workspace Argo CD objects as typed data. Loco fills them in with typed code (never text
// substitution) and a platform operator installs the result once per workspace. Each builder
// says what it grants; argocd/README.md says the same for humans.

import { namespaceGlob } from '../generator/names.ts';

export const LOCO_MANAGED_BY = 'loco';
export const IN_CLUSTER = 'https://kubernetes.default.svc';
/** Project role whose token Loco (and a workspace's members) use to read the workspace's apps. */
export const READER_ROLE = 'loco-reader';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

export interface AppProject {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'AppProject';
  metadata: ObjectMeta;
  spec: {
    description: string;
    sourceRepos: string[];
    destinations: { server: string; namespace: string }[];
    clusterResourceWhitelist: { group: string; kind: string }[];
    roles: { name: string; description: string; policies: string[] }[];
  };
}

export interface ApplicationSet {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'ApplicationSet';
  metadata: ObjectMeta;
  spec: {
    goTemplate: true;
    goTemplateOptions: string[];
    generators: { git: { repoURL: string; revision: string; directories: { path: string }[] } }[];
    template: {
      metadata: ObjectMeta;
      spec: {
        project: string;
        source: { repoURL: string; targetRevision: string; path: string };
        destination: { server: string; namespace: string };
        syncPolicy: {
          automated: { prune: boolean; selfHeal: boolean };
          syncOptions: string[];
        };
      };
    };
  };
}

export interface RbacConfigMapPatch {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: ObjectMeta;
  data: Record<string, string>;
}

export interface WorkspaceTemplateInput {
  slug: string;
  repoUrl: string;
  argocdNamespace: string;
  branch: string;
  /** SSO groups whose members may read the workspace's apps in the Argo CD UI/CLI. */
  viewerGroups: string[];
  /** Argo CD local account Loco's LOCO_ARGOCD_TOKEN belongs to (needs apiKey in argocd-cm). */
  locoAccount: string;
}

function labels(slug: string): Record<string, string> {
  return { 'app.kubernetes.io/managed-by': LOCO_MANAGED_BY, 'loco.dev/workspace': slug };
}

/**
 * Read-only policy lines for a subject over one workspace's applications. `get` covers get,
 * refresh (a GET with ?refresh=), the watch stream and the resource tree; `logs, get` is a
 * separate permission since Argo CD 2.4/3.0.
 */
function readPolicies(subject: string, slug: string): string[] {
  return [
    `p, ${subject}, applications, get, ${slug}/*, allow`,
    `p, ${subject}, logs, get, ${slug}/*, allow`,
    `p, ${subject}, projects, get, ${slug}, allow`,
  ];
}

/**
 * The workspace's AppProject: it may deploy only from the workspace repository, only into
 * namespaces named `<slug>--*` (generator/names.ts namespaceFor), and the only cluster-scoped
 * kind it may create is Namespace.
 */
export function appProjectFor(input: WorkspaceTemplateInput): AppProject {
  const { slug } = input;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: slug, namespace: input.argocdNamespace, labels: labels(slug) },
    spec: {
      description: `Loco workspace ${slug}: apps from ${input.repoUrl} only`,
      sourceRepos: [input.repoUrl],
      destinations: [{ server: IN_CLUSTER, namespace: namespaceGlob(slug) }],
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
      roles: [
        {
          name: READER_ROLE,
          description: `read ${slug}'s applications and their logs (Loco status and logs)`,
          policies: readPolicies(`proj:${slug}:${READER_ROLE}`, slug),
        },
      ],
    },
  };
}

/**
 * Go template (sprig) that computes namespaceFor(slug, app, profile) inside Argo CD: the full
 * name when it fits a DNS label, else a trimmed prefix plus 8 hex of its sha256. Must stay in
 * step with generator/names.ts (same limits: 63, a 54-character prefix, 8 hex).
 */
export function namespaceGoTemplate(slug: string): string {
  const full = `(printf "%s--%s--%s" "${slug}" (index .path.segments 1) .path.basename)`;
  return (
    `{{- $full := ${full} -}}` +
    `{{- if le (len $full) 63 -}}{{ $full }}` +
    `{{- else -}}{{ regexReplaceAll "-+$" (trunc 54 $full) "" }}-{{ trunc 8 (sha256sum $full) }}{{- end -}}`
  );
}

/**
 * One Application per `apps/<app>/overlays/<profile>` directory, named
 * `<slug>--<app>--<profile>` (argoApplicationName), syncing automatically with prune and
 * self-heal. No retry policy: a failed auto-sync should reach the developer as sync-failed at
 * once, not after minutes of retries.
 */
export function applicationSetFor(input: WorkspaceTemplateInput): ApplicationSet {
  const { slug } = input;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: slug, namespace: input.argocdNamespace, labels: labels(slug) },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [
        { git: { repoURL: input.repoUrl, revision: input.branch, directories: [{ path: 'apps/*/overlays/*' }] } },
      ],
      template: {
        metadata: {
          name: `${slug}--{{ index .path.segments 1 }}--{{ .path.basename }}`,
          labels: {
            ...labels(slug),
            'loco.dev/app': '{{ index .path.segments 1 }}',
            'loco.dev/profile': '{{ .path.basename }}',
          },
          // Deleting an overlay deletes the Application; the finalizer removes its resources too.
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project: slug,
          source: { repoURL: input.repoUrl, targetRevision: input.branch, path: '{{ .path.path }}' },
          destination: { server: IN_CLUSTER, namespace: namespaceGoTemplate(slug) },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: [
              'CreateNamespace=true',
              // Delete pruned objects after the new ones are healthy, and wait for dependents.
              'PruneLast=true',
              'PrunePropagationPolicy=foreground',
              // Never take over an object that another Application already manages.
              'FailOnSharedResource=true',
            ],
          },
        },
      },
    },
  };
}

/**
 * Policy lines for argocd-rbac-cm under a key of its own (`policy.<anything>.csv` keys are
 * merged into the policy by Argo CD), so installing one workspace never rewrites another's.
 */
export function rbacPatchFor(input: WorkspaceTemplateInput): RbacConfigMapPatch {
  const { slug } = input;
  const role = `role:loco-${slug}-viewer`;
  const lines = [
    `# Loco workspace ${slug}: read-only access to its own applications and logs.`,
    ...readPolicies(role, slug),
    ...input.viewerGroups.map((group) => `g, ${group}, ${role}`),
    `g, ${input.locoAccount}, ${role}`,
  ];
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-rbac-cm', namespace: input.argocdNamespace, labels: { 'app.kubernetes.io/part-of': 'argocd' } },
    data: { [`policy.loco-${slug}.csv`]: lines.join('\n') + '\n' },
  };
}
