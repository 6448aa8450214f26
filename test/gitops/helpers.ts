// Shared set-up for the GitOps store tests: throwaway data directories and the real git CLI.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ChangeRequest } from '../../api/gitops/index.ts';

export const alice = { name: 'Alice', email: 'alice@example.com' };

export function tempDir(t: { after: (fn: () => void) => void }, label = 'gitops'): string {
  const dir = mkdtempSync(path.join(tmpdir(), `loco-${label}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the real git CLI and returns its trimmed stdout. */
export function gitCli(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: cwd } }).trim();
}

export function deploy(slug: string, app: string, profile: string, files: Record<string, string>, extra: Partial<ChangeRequest> = {}): ChangeRequest {
  return {
    slug,
    scope: [`apps/${app}/loco.toml`, `apps/${app}/base/`, `apps/${app}/overlays/${profile}/`],
    files: new Map(Object.entries(files).map(([rel, text]) => [`apps/${app}/${rel}`, text])),
    subject: `deploy(${app}@${profile}): registry.example.com/${app}:1`,
    trailers: {
      'Loco-Deployment': `dpl_${app}_${profile}_${Math.random().toString(36).slice(2, 8)}`,
      'Loco-Actor': 'alice (github:1234)',
      'Loco-App': app,
      'Loco-Profile': profile,
      'Loco-Config-Digest': 'sha256:00',
      'Loco-Image': `registry.example.com/${app}:1`,
      'Loco-Change': 'deploy',
    },
    author: alice,
    ...extra,
  };
}

export function appFiles(profile: string, image: string): Record<string, string> {
  return {
    'loco.toml': `Name = "x"\n`,
    'base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
    'base/deployment.yaml': 'kind: Deployment\n',
    [`overlays/${profile}/kustomization.yaml`]: `resources:\n  - ../../base\nimages:\n  - name: app\n    newName: ${image}\n`,
  };
}
