// The single executable (Node's single-executable applications): built by cli/build/sea.ts,
// it runs --help, validate and render with no Node.js on PATH, and the Homebrew formula
// generated beside it names its exact sha256 and installs the completions it prints.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildSea, executableName } from '../../cli/build/sea.ts';
import rootPackage from '../../package.json' with { type: 'json' };
import { root, tempDir } from './harness.ts';

const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

test('the single executable runs validate and render with no node on PATH', { skip: !linuxX64 && 'builds for linux-x64 only' }, async (t) => {
  const work = tempDir('sea');
  t.after(() => rmSync(work, { recursive: true, force: true })); // 120 MB per run
  const built = await buildSea(join(work, 'dist'), 'https://downloads.example.com/loco/v{version}');

  const emptyPath = join(work, 'no-binaries');
  mkdirSync(emptyPath);
  const app = join(work, 'app');
  mkdirSync(app);
  copyFileSync(join(root, 'examples/web-basic/loco.toml'), join(app, 'loco.toml'));
  const env = { PATH: emptyPath, HOME: work, XDG_CONFIG_HOME: join(work, 'config') };
  assert.equal(spawnSync('node', ['--version'], { env }).error?.message.includes('ENOENT'), true, 'no node reachable');
  const loco = (...args: string[]) => spawnSync(built.executable, args, { cwd: app, env, encoding: 'utf8' });

  const help = loco('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, new RegExp(`^loco/${rootPackage.version.replaceAll('.', '\\.')}`));
  assert.doesNotMatch(help.stderr, /ExperimentalWarning|single executable/i, 'no Node warning on every run');
  const validate = loco('validate');
  assert.equal(validate.status, 0, validate.stderr);
  assert.match(validate.stdout, /loco\.toml is valid: app hello-web/);
  const render = loco('render', '--profile', 'default');
  assert.equal(render.status, 0, render.stderr);
  const kinds = parseAllDocuments(render.stdout).flatMap((d) => ('errors' in d && d.errors.length === 0 ? [d.toJS()?.kind] : []));
  assert.ok(kinds.includes('Deployment'), `rendered kinds: ${kinds.join(', ')}`);
  // What the formula's generate_completions_from_executable runs.
  for (const shell of ['bash', 'zsh', 'fish']) {
    const script = loco('completion', shell);
    assert.equal(script.status, 0, script.stderr);
    assert.match(script.stdout, /loco/);
  }

  const formula = readFileSync(built.formula, 'utf8');
  const sha256 = createHash('sha256').update(readFileSync(built.executable)).digest('hex');
  assert.equal(/^\s*sha256 "([0-9a-f]{64})"$/m.exec(formula)?.[1], sha256, 'the formula names the sha256 of the file built');
  assert.equal(built.sha256, sha256);
  assert.equal(/^\s*version "(.*)"$/m.exec(formula)?.[1], rootPackage.version);
  assert.equal(/^\s*url "(.*)"$/m.exec(formula)?.[1], `https://downloads.example.com/loco/v${rootPackage.version}/${executableName}`);
  assert.match(formula, /bin\.install "loco-linux-x64" => "loco"/);
  assert.match(formula, /generate_completions_from_executable\(bin\/"loco", "completion"\)/);
});
