// init, validate and render through the real `loco` binary, with no API anywhere.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { appDir, loco, tempDir, WEB_CONFIG } from './harness.ts';

test('init writes a loco.toml that validates, and refuses to overwrite it', async () => {
  const dir = tempDir('init');
  const init = await loco(['init', '--minimal', '--name', 'shop', '--image', 'ghcr.io/acme/shop:1.0.0'], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  assert.match(readFileSync(join(dir, 'loco.toml'), 'utf8'), /shop/);
  const validate = await loco(['validate', '-o', 'json'], { cwd: dir });
  assert.equal(validate.code, 0, validate.stderr);
  assert.deepEqual(JSON.parse(validate.stdout), { valid: true, file: 'loco.toml', app: 'shop', profiles: ['default'], configVersion: 1, warnings: [] });
  const again = await loco(['init'], { cwd: dir });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists[\s\S]*loco init --force/);
});

test('validate reports every problem as file:line:col and exits 2', async () => {
  const dir = appDir('[Metadata]\nName = "web"\n\n[Resources]\nCPU = "250m"\nMemroy = "1Gi"\n\n[Health]\nKind = "smoke"\n');
  const result = await loco(['validate'], { cwd: dir });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^ {2}loco\.toml:6:1 Resources\.Memroy is not a known key \(did you mean Resources\.Memory\?\)$/m);
  assert.match(result.stderr, /^ {2}loco\.toml:9:1 Health\.Kind/m);
  const json = await loco(['validate', '-o', 'json'], { cwd: dir });
  assert.equal(json.code, 2);
  const problems = JSON.parse(json.stdout).error.problems as { path: string; at: { line: number; column: number } }[];
  assert.deepEqual(problems.map((p) => [p.path, p.at.line, p.at.column]), [['Resources.Memroy', 6, 1], ['Health.Kind', 9, 1]]);
});

test('loco.toml is found from a subfolder; a folder without one says how to make it', async () => {
  const dir = appDir(WEB_CONFIG, { 'src/main.go': 'package main\n' });
  const found = await loco(['validate'], { cwd: join(dir, 'src') });
  assert.equal(found.code, 0, found.stderr);
  assert.match(found.stdout, /valid: app web, profiles dev, prod/);
  const none = await loco(['validate'], { cwd: tempDir('empty') });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no loco\.toml in .* or any folder above it[\s\S]*hint: create one with `loco init`/);
});

test('render without --profile renders every profile as one YAML stream', async () => {
  const dir = appDir(WEB_CONFIG);
  const result = await loco(['render', dir]);
  assert.equal(result.code, 0, result.stderr);
  const sources = [...result.stdout.matchAll(/^# Source: (.*)$/gm)].map((m) => m[1]);
  assert.ok(sources.includes('apps/web/loco.toml'));
  assert.ok(sources.some((s) => s.startsWith('apps/web/overlays/dev/')));
  assert.ok(sources.some((s) => s.startsWith('apps/web/overlays/prod/')));
  const docs = parseAllDocuments(result.stdout);
  assert.ok(Array.isArray(docs) && docs.every((d) => d.errors.length === 0), 'the stream is valid YAML');
});

test('render --profile --out writes that profile\'s tree, identical run to run', async () => {
  const dir = appDir(WEB_CONFIG);
  const out = tempDir('out');
  const first = await loco(['render', dir, '--profile', 'prod', '--out', out, '-o', 'json']);
  assert.equal(first.code, 0, first.stderr);
  const files = JSON.parse(first.stdout).files as string[];
  assert.ok(files.includes('apps/web/overlays/prod/release.yaml'));
  assert.ok(!files.some((f) => f.includes('/overlays/dev/')));
  for (const f of files) assert.ok(existsSync(join(out, f)), f);
  const again = await loco(['render', dir, '--profile', 'prod', '-o', 'json']);
  const tree = JSON.parse(again.stdout).files as Record<string, string>;
  for (const f of files) assert.equal(readFileSync(join(out, f), 'utf8'), tree[f]);
});

test('render of an unknown profile names the ones there are', async () => {
  const dir = appDir(WEB_CONFIG);
  const result = await loco(['render', dir, '--profile', 'qa']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /profile "qa" is not in loco.toml \(it has: dev, prod\)/);
});

test('usage errors exit 2: unknown command, unknown option, bad -o', async () => {
  assert.equal((await loco(['frobnicate'])).code, 2);
  const option = await loco(['render', '--bogus']);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /Unknown option `--bogus`[\s\S]*loco render --help/);
  const output = await loco(['render', appDir(WEB_CONFIG), '-o', 'xml']);
  assert.equal(output.code, 2);
  assert.match(output.stderr, /use -o table or -o json/);
});

test('every command\'s --help has an example', async () => {
  const help = await loco(['--help']);
  const commands = [...help.stdout.matchAll(/^ {2}([a-z]+)\b.*$/gm)].map((m) => m[1]).filter((c, i, all) => all.indexOf(c) === i);
  assert.ok(commands.length >= 20, `commands: ${commands.join(' ')}`);
  for (const command of commands) {
    const r = await loco([command, '--help']);
    assert.match(r.stdout, /Examples:\n {2}\$ loco /, `loco ${command} --help`);
  }
});

test('destroy without --yes in a non-interactive session refuses before contacting any API', async () => {
  const result = await loco(['destroy', 'web', '--non-interactive'], { env: { LOCO_API_URL: 'http://127.0.0.1:9', LOCO_TOKEN: 'x' } });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /needs confirmation[\s\S]*loco destroy web --yes/);
});

test('completion scripts ask loco itself on each TAB; an unknown shell is a usage error', async () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await loco(['completion', shell]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /loco complete -- /, shell);
  }
  const tcsh = await loco(['completion', 'tcsh']);
  assert.equal(tcsh.code, 2);
  assert.match(tcsh.stderr, /no completion for "tcsh"[\s\S]*loco completion bash, zsh or fish/);
});

test('--debug writes a log file and says where', async () => {
  const dir = appDir(WEB_CONFIG);
  const r = await loco(['validate', dir, '--debug']);
  assert.equal(r.code, 0);
  const file = /debug log written to (\S+)/.exec(r.stderr)?.[1];
  assert.ok(file && existsSync(file), r.stderr);
  rmSync(file); // leave nothing behind in the shared temporary folder
});

test('a 0.1 file validates with its warnings at file:line; --strict fails on them; render sends Env.File and a missing one is named', async () => {
  const dir = tempDir('v01');
  {
    writeFileSync(join(dir, 'loco.toml'), '[Metadata]\nConfigVersion = "0.1"\nName = "notes"\n[Routing]\nSubdomain = "notes"\nPrt = 9000\n[Env]\nFile = ".env"\n');
    const missing = await loco(['render', dir]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /Env\.File names .*\.env, which does not exist/);
    writeFileSync(join(dir, '.env'), 'GREETING="hello\nworld"\nPAGE_SIZE=50\n');
    const ok = await loco(['validate', dir]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /loco\.toml:6:1 warning: Routing\.Prt is not a key of loco\.toml 0\.1 and is ignored \(did you mean Routing\.Port\?\)/);
    const strict = await loco(['validate', '--strict', dir]);
    assert.equal(strict.code, 2);
    const rendered = await loco(['render', dir]);
    assert.equal(rendered.code, 0, rendered.stderr);
    assert.match(rendered.stderr, /warning: Routing\.Prt/);
    assert.match(rendered.stdout, /PAGE_SIZE: "50"/);
    assert.match(rendered.stdout, /PORT: "8000"/);
  }
});
