// `npm run build`: bundles the CLI with esbuild into one CommonJS file with every runtime
// dependency inside, and lays it out as the npm package @loco-deploy/cli (dist/npm/). Node
// does not strip types under node_modules, and an offline `npm install -g` cannot fetch
// dependencies, so the published package is plain JavaScript with no dependencies at all.

import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import rootPackage from '../../package.json' with { type: 'json' };

const root = path.resolve(import.meta.dirname, '..', '..');

/** The published package's name: scoped, so `npx` can never fetch a stranger's `loco`. */
export const packageName = '@loco-deploy/cli';

/** package.json of the published CLI: the bundle only, no dependencies, Node 22 or newer. */
export function npmPackageJson(version: string): Record<string, unknown> {
  return {
    name: packageName,
    version,
    description: rootPackage.description,
    bin: { loco: 'loco.js' },
    files: ['loco.js'],
    engines: { node: '>=22' },
    keywords: ['gitops', 'kubernetes', 'kustomize', 'argocd', 'deploy', 'cli'],
  };
}

/** Writes <outDir>/npm/{package.json,loco.js,README.md}; returns the bundle's path. */
export async function bundleCli(outDir: string): Promise<string> {
  const packageDir = path.join(outDir, 'npm');
  rmSync(packageDir, { recursive: true, force: true });
  mkdirSync(packageDir, { recursive: true });
  const bundle = path.join(packageDir, 'loco.js');
  await build({
    entryPoints: [path.join(root, 'cli', 'main.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    // CommonJS: Node's single-executable applications run a CommonJS script (cli/build/sea.ts).
    format: 'cjs',
    target: 'node22',
    legalComments: 'none',
    logLevel: 'warning',
    // Start-up is most of a short command's time: keep compiled code between runs.
    banner: { js: "#!/usr/bin/env node\nrequire('node:module').enableCompileCache?.();" },
  });
  writeFileSync(path.join(packageDir, 'package.json'), JSON.stringify(npmPackageJson(rootPackage.version), null, 2) + '\n');
  copyFileSync(path.join(root, 'cli', 'build', 'npm-readme.md'), path.join(packageDir, 'README.md'));
  return bundle;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: path.join(root, 'dist') } } });
  const bundle = await bundleCli(path.resolve(values.out));
  process.stdout.write(`wrote ${path.relative(process.cwd(), bundle)} (pack it with: npm pack ${path.relative(process.cwd(), path.dirname(bundle))})\n`);
}
