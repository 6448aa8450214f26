// The CLI as users install it from npm: `npm run build` bundles it, `npm pack` makes the
// tarball, `npm install -g` puts it into a scratch prefix, and `loco` runs from a folder outside
// the checkout with only that prefix and Node on PATH (no TypeScript, no node_modules of ours).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { bundleCli } from '../../cli/build/bundle.ts';
import { root, tempDir } from './harness.ts';

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
  const app = join(work, 'app');
  mkdirSync(app);
  copyFileSync(join(root, 'examples/web-basic/loco.toml'), join(app, 'loco.toml'));
  const env = { PATH: `${join(prefix, 'bin')}:${nodeOnly}`, HOME: work, XDG_CONFIG_HOME: join(work, 'config') };
  const loco = (...args: string[]) => spawnSync('loco', args, { cwd: app, env, encoding: 'utf8' });

  const help = loco('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^loco\/\d+\.\d+\.\d+/);
  assert.match(help.stdout, /validate \[path\]/);

  const validate = loco('validate');
  assert.equal(validate.status, 0, validate.stderr);
  assert.match(validate.stdout, /loco\.toml is valid: app hello-web/);

  const render = loco('render', '--profile', 'default');
  assert.equal(render.status, 0, render.stderr);
  const kinds = parseAllDocuments(render.stdout).flatMap((d) => ('errors' in d && d.errors.length === 0 ? [d.toJS()?.kind] : []));
  assert.ok(kinds.includes('Deployment') && kinds.includes('Service'), `rendered kinds: ${kinds.join(', ')}`);

  const bad = loco('validate', '--output', 'json', join(work, 'missing'));
  assert.equal(bad.status, 2, 'a usage error still exits 2 from the bundle');
});
