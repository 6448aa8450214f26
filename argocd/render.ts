// Renders the Argo CD objects a platform operator installs for one Loco workspace. Pure: the
// same input gives byte-identical YAML.

import { stringify } from 'yaml';
import { LocoError } from '../generator/errors.ts';
import { argoProjectName } from '../generator/names.ts';
import {
  appProjectFor,
  applicationSetFor,
  rbacPatchFor,
  type AppProject,
  type ApplicationSet,
  type RbacConfigMapPatch,
  type WorkspaceTemplateInput,
} from './templates.ts';

export interface PlatformManifestsInput {
  /** Workspace slug, `<org>--<workspace>` (generator/names.ts workspaceSlug). */
  slug: string;
  /** URL Argo CD clones the workspace repository from. */
  repoUrl: string;
  /** Namespace Argo CD runs in (default `argocd`). */
  argocdNamespace?: string;
  /** Branch the overlays live on (default `main`; DESIGN: one directory per environment on main). */
  branch?: string;
  /** SSO groups that may read the workspace's apps in Argo CD (default none). */
  viewerGroups?: string[];
  /** Argo CD local account whose token Loco uses as LOCO_ARGOCD_TOKEN (default `loco`). */
  locoAccount?: string;
}

export interface PlatformManifests {
  appProject: AppProject;
  applicationSet: ApplicationSet;
  rbac: RbacConfigMapPatch;
  /** File name → YAML text, in install order. */
  files: Map<string, string>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function renderPlatformManifests(input: PlatformManifestsInput): PlatformManifests {
  const values: WorkspaceTemplateInput = {
    slug: input.slug,
    repoUrl: input.repoUrl,
    argocdNamespace: input.argocdNamespace ?? 'argocd',
    branch: input.branch ?? 'main',
    viewerGroups: input.viewerGroups ?? [],
    locoAccount: input.locoAccount ?? 'loco',
  };
  checkInput(values);
  const appProject = appProjectFor(values);
  const applicationSet = applicationSetFor(values);
  const rbac = rbacPatchFor(values);
  const files = new Map<string, string>([
    ['appproject.yaml', toYaml(appProject)],
    ['applicationset.yaml', toYaml(applicationSet)],
    ['argocd-rbac-cm.patch.yaml', toYaml(rbac)],
  ]);
  return { appProject, applicationSet, rbac, files };
}

function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

/** The slug lands inside Go templates and RBAC CSV lines, so only DNS-label characters are let through. */
function checkInput(v: WorkspaceTemplateInput): void {
  const problems: { code: string; message: string; hint: string }[] = [];
  const bad = (code: string, message: string, hint: string) => problems.push({ code, message, hint });
  if (!DNS_LABEL.test(v.slug) || v.slug.length > 63 || argoProjectName(v.slug) !== v.slug) {
    bad('validation.slug', `workspace slug "${v.slug}" is not a DNS label`, 'use lowercase letters, digits and "-", at most 63 characters');
  }
  if (!/^(https?|ssh|git|file):\/\/\S+$|^git@\S+:\S+$/.test(v.repoUrl)) {
    bad('validation.repo-url', `repository URL "${v.repoUrl}" is not a git URL`, 'give an https://, ssh://, git@host:path or file:// URL');
  }
  if (!DNS_LABEL.test(v.argocdNamespace)) {
    bad('validation.namespace', `Argo CD namespace "${v.argocdNamespace}" is not a DNS label`, 'pass the namespace Argo CD is installed in, e.g. argocd');
  }
  for (const subject of [...v.viewerGroups, v.locoAccount]) {
    if (!subject || /[,\n#]/.test(subject)) {
      bad('validation.rbac-subject', `"${subject}" cannot appear in an RBAC policy line`, 'use a group or account name without commas, "#" or newlines');
    }
  }
  if (!/^[\w./-]+$/.test(v.branch)) bad('validation.branch', `branch "${v.branch}" is not a valid branch name`, 'use e.g. main');
  if (problems.length > 0) {
    throw new LocoError('validation.argocd-manifests', problems.map((p) => p.message).join('; '), problems[0].hint, { problems });
  }
}
