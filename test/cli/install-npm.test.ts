// The CLI as users install it from npm: `npm run build` bundles it, `npm pack` makes the
// tarball, `npm install -g` puts it into a scratch prefix, and `loco` runs from a folder outside
// the checkout with only that prefix and Node on PATH (no TypeScript, no node_modules of ours).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { bundleCli } from '../../cli/build/bundle.ts';
import { tempDir } from './harness.ts';
import { appOutsideCheckout, assertHelpValidateRender } from './installed-cli.ts';

const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_cache: join(cwd, '.npm-cache'), npm_config_update_notifier: 'false', ...env } });

test('the packed CLI installs globally offline and runs validate and render outside the checkout', async () => {
  const work = tempDir('npm');
  const bundle = await bundleCli(join(work, 'dist'));
  const packageDir = join(bundle, '..');

  const [packed] = JSON.parse(npm(['pack', packageDir, '--json', '--pack-destination', work], work)) as { name: string; filename: string; files: { path: string }[] }[];
  assert.equal(packed.name, '@loco-deploy/cli');
  assert.deepEqual(packed.files.map((f) => f.path).sort(), ['README.md', 'loco.js', 'package.json'], 'the tarball ships only what runs');
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  assert.equal(manifest.dependencies, undefined, 'nothing to fetch at install time');

  const prefix = join(work, 'prefix');
  npm(['install', '-g', join(work, packed.filename), '--prefix', prefix, '--offline', '--no-audit', '--no-fund'], work);

  // PATH: the prefix's bin and a folder holding only `node`.
  const nodeOnly = join(work, 'node-only');
  mkdirSync(nodeOnly);
  symlinkSync(process.execPath, join(nodeOnly, 'node'));
  assertHelpValidateRender(appOutsideCheckout(work, 'loco', `${join(prefix, 'bin')}:${nodeOnly}`));
});
