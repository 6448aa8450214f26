// The example configs under examples/, loaded and rendered the way the golden, Kustomize and
// determinism tests all need them: fixed workspace, fixed image per example, every profile.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { appUrl, workspaceSlug, parseConfig, profileNames, renderApp, resolveProfile, type LocoConfig, type RenderedTree } from '../../generator/index.ts';
import { repoRoot } from '../support/manifests.ts';

export const examplesDir = path.join(repoRoot, 'examples');
export const WORKSPACE = workspaceSlug('acme', 'default');

export interface Example {
  name: string;
  dir: string;
  text: string;
  config: LocoConfig;
  envFile?: string;
}

export function loadExamples(): Example[] {
  return readdirSync(examplesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(examplesDir, d.name, 'loco.toml')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = path.join(examplesDir, name);
      const text = readFileSync(path.join(dir, 'loco.toml'), 'utf8');
      const config = parseConfig(text, `examples/${name}/loco.toml`);
      const file = resolveProfile(config, profileNames(config)[0], WORKSPACE).env.file;
      return { name, dir, text, config, ...(file ? { envFile: readFileSync(path.join(dir, file), 'utf8') } : {}) };
    });
}

/** A fixed release image: prebuilt examples keep Build.Image, the others get a tag. */
export function imageFor(example: Example): string {
  return example.config.base.build?.image ? '' : `registry.example.com/acme/${example.config.name}:1.0.0`;
}

export function renderExample(example: Example, profile: string, all: Example[]): RenderedTree {
  return renderApp({
    config: example.config,
    configText: example.text,
    profile,
    image: imageFor(example),
    workspace: WORKSPACE,
    otherApps: all.map((e) => ({ name: e.config.name, url: appUrl(WORKSPACE, e.config.name, profile) })),
    ...(example.envFile !== undefined ? { envFile: example.envFile } : {}),
    platform: PLATFORM,
  });
}

/** The platform the examples render for: two secret stores, and Cilium (host names in Network.Egress). */
export const PLATFORM = { secretStores: ['aws-ssm', 'vault'], cni: 'cilium' };

/** Writes a rendered tree under `root`, as the GitOps repository would hold it. */
export function writeTree(root: string, tree: RenderedTree): void {
  for (const [file, text] of tree) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
}
