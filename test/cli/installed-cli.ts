// What every installed form of the CLI (npm tarball, single executable) must do from an app
// folder outside the checkout: --help, validate and render the web-basic example.

import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import rootPackage from '../../package.json' with { type: 'json' };
import { root } from './harness.ts';

export type Run = (...args: string[]) => SpawnSyncReturns<string>;

/** An app folder under `work` holding examples/web-basic's loco.toml, and a runner of `command` there with only `path` on PATH. */
export function appOutsideCheckout(work: string, command: string, path: string): Run {
  const app = join(work, 'app');
  mkdirSync(app);
  copyFileSync(join(root, 'examples/web-basic/loco.toml'), join(app, 'loco.toml'));
  const env = { PATH: path, HOME: work, XDG_CONFIG_HOME: join(work, 'config') };
  return (...args) => spawnSync(command, args, { cwd: app, env, encoding: 'utf8' });
}

export function assertHelpValidateRender(loco: Run): void {
  const help = loco('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.ok(help.stdout.startsWith(`loco/${rootPackage.version}\n`), help.stdout.slice(0, 80));
  assert.match(help.stdout, /validate \[path\]/);
  assert.equal(help.stderr, '', 'nothing on stderr (no Node warnings)');

  const validate = loco('validate');
  assert.equal(validate.status, 0, validate.stderr);
  assert.match(validate.stdout, /loco\.toml is valid: app hello-web/);

  const render = loco('render', '--profile', 'default');
  assert.equal(render.status, 0, render.stderr);
  const kinds = parseAllDocuments(render.stdout).flatMap((d) => ('errors' in d && d.errors.length === 0 ? [d.toJS()?.kind] : []));
  assert.ok(kinds.includes('Deployment') && kinds.includes('Service'), `rendered kinds: ${kinds.join(', ')}`);

  const missing = loco('validate', 'no-such-folder');
  assert.equal(missing.status, 2, 'a usage error still exits 2');
  assert.match(missing.stderr, /no-such-folder does not exist/);
}
