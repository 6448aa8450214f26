// What Argo CD's repo server and ApplicationSet controller do, for the double: read a
// workspace's bare repository at a revision with the real git CLI and build an overlay with
// the real `kubectl kustomize`.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export interface ManifestObject {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  /** container images, for workloads */
  images: string[];
  replicas: number;
}

export async function git(repo: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', repo, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return stdout;
}

export async function headOf(repo: string, branch: string): Promise<string | undefined> {
  try {
    return (await git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `apps/<app>/overlays/<profile>` directories at a revision, as the git directory generator sees them. */
export async function overlaysAt(repo: string, revision: string): Promise<{ app: string; profile: string }[]> {
  const out = await git(repo, ['ls-tree', '-r', '-d', '--name-only', revision, 'apps/']).catch(() => '');
  return out
    .split('\n')
    .map((p) => /^apps\/([^/]+)\/overlays\/([^/]+)$/.exec(p))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ app: m[1], profile: m[2] }));
}

export function repoExists(path: string): boolean {
  return existsSync(join(path, 'HEAD'));
}

/** Builds `apps/<app>/overlays/<profile>` at `revision`; throws with kustomize's stderr when it fails. */
export async function buildOverlay(repo: string, revision: string, app: string, profile: string): Promise<ManifestObject[]> {
  const dir = await mkdtemp(join(tmpdir(), 'argocd-double-'));
  try {
    // A private index so the bare repository is never touched.
    const env = { GIT_INDEX_FILE: join(dir, '.index') };
    await git(repo, ['--work-tree', dir, 'read-tree', revision], env);
    await git(repo, ['--work-tree', dir, 'checkout-index', '-a', '-f'], env);
    const overlay = join(dir, 'apps', app, 'overlays', profile);
    if (!existsSync(overlay)) throw new Error(`apps/${app}/overlays/${profile}: app path does not exist`);
    let yamlText: string;
    try {
      ({ stdout: yamlText } = await run('kubectl', ['kustomize', overlay], { maxBuffer: 64 << 20 }));
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
      throw new Error(`\`kustomize build <path to cached source>/apps/${app}/overlays/${profile}\` failed exit status 1: ${stderr}`);
    }
    return parseAllDocuments(yamlText)
      .map((d) => d.toJS() as Record<string, any> | null)
      .filter((o): o is Record<string, any> => !!o && typeof o.kind === 'string')
      .map((o) => {
        const [group, version] = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/') : ['', String(o.apiVersion)];
        const containers: { image?: string }[] = o.spec?.template?.spec?.containers ?? o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? [];
        return {
          group,
          version,
          kind: o.kind,
          namespace: o.metadata?.namespace,
          name: o.metadata?.name,
          images: containers.map((c) => c.image).filter((i): i is string => !!i),
          replicas: typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1,
        };
      });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
