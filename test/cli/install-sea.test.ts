// The single executable (Node's single-executable applications): built by cli/build/sea.ts,
// it runs --help, validate and render with no Node.js on PATH, and the Homebrew formula
// generated beside it names its exact sha256 and installs the completions it prints.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSea, executableName } from '../../cli/build/sea.ts';
import rootPackage from '../../package.json' with { type: 'json' };
import { tempDir } from './harness.ts';
import { appOutsideCheckout, assertHelpValidateRender } from './installed-cli.ts';

const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

test('the single executable runs validate and render with no node on PATH', { skip: !linuxX64 && 'builds for linux-x64 only' }, async (t) => {
  const work = tempDir('sea');
  t.after(() => rmSync(work, { recursive: true, force: true })); // 120 MB per run
  const built = await buildSea(join(work, 'dist'), 'https://downloads.example.com/loco/v{version}');

  const emptyPath = join(work, 'no-binaries');
  mkdirSync(emptyPath);
  assert.equal(spawnSync('node', ['--version'], { env: { PATH: emptyPath } }).error?.message.includes('ENOENT'), true, 'no node reachable');
  const loco = appOutsideCheckout(work, built.executable, emptyPath);
  assertHelpValidateRender(loco);
  // What the formula's generate_completions_from_executable runs.
  for (const shell of ['bash', 'zsh', 'fish']) {
    const script = loco('completion', shell);
    assert.equal(script.status, 0, script.stderr);
    assert.match(script.stdout, /loco complete -- /);
  }
  assert.match(loco('complete', '--', 'aud').stdout, /^audit\t/, 'the executable answers the scripts\' question');

  const formula = readFileSync(built.formula, 'utf8');
  const sha256 = createHash('sha256').update(readFileSync(built.executable)).digest('hex');
  assert.equal(/^\s*sha256 "([0-9a-f]{64})"$/m.exec(formula)?.[1], sha256, 'the formula names the sha256 of the file built');
  assert.equal(built.sha256, sha256);
  assert.equal(/^\s*version "(.*)"$/m.exec(formula)?.[1], rootPackage.version);
  assert.equal(/^\s*url "(.*)"$/m.exec(formula)?.[1], `https://downloads.example.com/loco/v${rootPackage.version}/${executableName}`);
  assert.match(formula, /bin\.install "loco-linux-x64" => "loco"/);
  assert.match(formula, /generate_completions_from_executable\(bin\/"loco", "completion"\)/);
});
