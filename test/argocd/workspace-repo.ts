// A real bare GitOps repository for the Argo CD tests, made with the git CLI: one app `api`
// with a profile `dev`, in the layout the generator renders (apps/<app>/base, overlays/<profile>).

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { namespaceFor } from '../../generator/names.ts';

export interface WorkspaceRepo {
  root: string;
  slug: string;
  repoPath: (slug: string) => string;
  /** Commits files (path → text; null deletes) on main and returns the commit SHA. */
  commit(files: Record<string, string | null>, subject?: string): string;
  cleanup(): void;
}

export function createWorkspaceRepo(slug = 'acme-web'): WorkspaceRepo {
  const root = mkdtempSync(join(tmpdir(), 'loco-argocd-'));
  const bare = join(root, 'repos', `${slug}.git`);
  const work = join(root, 'work');
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Loco Test', '-c', 'user.email=test@loco.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim();
  mkdirSync(bare, { recursive: true });
  git(bare, 'init', '--bare', '--initial-branch=main', '-q');
  mkdirSync(work);
  git(work, 'init', '--initial-branch=main', '-q');
  git(work, 'remote', 'add', 'origin', bare);
  return {
    root,
    slug,
    repoPath: (s) => join(root, 'repos', `${s}.git`),
    commit(files, subject = 'deploy(api@dev)') {
      for (const [path, text] of Object.entries(files)) {
        const full = join(work, path);
        if (text === null) rmSync(full, { force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, text);
        }
      }
      git(work, 'add', '-A');
      git(work, 'commit', '-q', '--allow-empty', '-m', subject);
      git(work, 'push', '-q', 'origin', 'main');
      return git(work, 'rev-parse', 'HEAD');
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Files of a deployable app: base Deployment + Service, an overlay pinning the image. */
export function appFiles(slug: string, app: string, profile: string, image: string): Record<string, string> {
  const base = `apps/${app}/base`;
  return {
    [`${base}/kustomization.yaml`]: 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - service.yaml\n',
    [`${base}/deployment.yaml`]: [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      `  name: ${app}`,
      'spec:',
      '  replicas: 2',
      '  selector:',
      `    matchLabels: { app: ${app} }`,
      '  template:',
      '    metadata:',
      `      labels: { app: ${app} }`,
      '    spec:',
      '      containers:',
      `        - name: ${app}`,
      '          image: placeholder',
      '          ports: [{ containerPort: 8080 }]',
      '',
    ].join('\n'),
    [`${base}/service.yaml`]: `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}\nspec:\n  selector: { app: ${app} }\n  ports: [{ port: 80, targetPort: 8080 }]\n`,
    [`apps/${app}/overlays/${profile}/kustomization.yaml`]: [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `namespace: ${namespaceFor(slug, app, profile)}`,
      'resources:',
      '  - ../../base',
      'images:',
      `  - name: placeholder`,
      `    newName: ${image.split('@')[0]}`,
      ...(image.includes('@') ? [`    digest: ${image.split('@')[1]}`] : []),
      '',
    ].join('\n'),
  };
}
