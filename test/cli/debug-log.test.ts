// `loco --debug` writes its log 0600 into the user's state directory ($XDG_STATE_HOME/loco or
// ~/.local/state/loco), not a world-readable file in /tmp, and the log never holds a credential:
// not the --token of the command line, not LOCO_TOKEN, not the saved token of `loco login`.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { redactArgs, redactLine } from '../../cli/debug-log.ts';
import { loco, startApi, tempDir, type RunningApi } from './harness.ts';

let api: RunningApi;
before(async () => {
  api = await startApi();
});
after(async () => {
  await api?.stop();
});

function debugLogOf(stderr: string): { file: string; text: string } {
  const file = /debug log written to (\S+)/.exec(stderr)?.[1];
  assert.ok(file && existsSync(file), stderr);
  return { file, text: readFileSync(file, 'utf8') };
}

test('--token on the command line: the log is 0600 in $XDG_STATE_HOME/loco and shows the token redacted', async () => {
  const state = tempDir('state');
  const r = await loco(['whoami', '--api', api.url, '--token', api.adminToken, '--debug'], { env: { XDG_STATE_HOME: state } });
  assert.equal(r.code, 0, r.stderr);
  const { file, text } = debugLogOf(r.stderr);
  assert.equal(join(file, '..'), join(state, 'loco'));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(state, 'loco')).mode & 0o777, 0o700);
  assert.ok(!text.includes(api.adminToken), text);
  assert.ok(!text.includes(api.adminToken.slice(9)), 'not even the token without its prefix');
  assert.match(text, /loco whoami --api \S+ --token \[redacted\] --debug/);
  assert.match(text, /-> GET \/me\n/, 'the log still says what the command did');
  assert.match(text, /<- 200 GET \/me\n/);
});

test('LOCO_TOKEN, --token=… and a saved login never reach the log; without XDG_STATE_HOME it is ~/.local/state/loco', async () => {
  const home = tempDir('home');
  const viaEnv = await loco(['whoami', '--debug'], { home, env: { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  const first = debugLogOf(viaEnv.stderr);
  assert.equal(join(first.file, '..'), join(home, '.local', 'state', 'loco'));
  assert.equal(statSync(first.file).mode & 0o777, 0o600);
  assert.ok(!first.text.includes(api.adminToken), first.text);

  const inline = await loco(['login', '--api', api.url, `--token=${api.adminToken}`, '--debug'], { home });
  assert.equal(inline.code, 0, inline.stderr);
  const second = debugLogOf(inline.stderr);
  assert.ok(!second.text.includes(api.adminToken), second.text);
  assert.match(second.text, /--token=\[redacted\]/);

  // the token now comes from the saved credentials file
  const saved = await loco(['whoami', '--debug'], { home });
  assert.equal(saved.code, 0, saved.stderr);
  const third = debugLogOf(saved.stderr);
  assert.match(third.text, /token from credentials file/);
  assert.ok(!third.text.includes(api.adminToken), third.text);
  assert.deepEqual(readdirSync(join(home, '.local', 'state', 'loco')).length, 3, 'one new file per run');
});

test('headers, token shapes and sealed values are redacted from any logged line', () => {
  const token = 'loco_pat_' + 'A1b2C3d4'.repeat(5);
  assert.equal(redactLine(`-> GET /me authorization: Bearer ${token}`, []), '-> GET /me authorization: Bearer [redacted]');
  assert.equal(redactLine(`{"headers":{"Authorization":"token ghp_abcdefghij0123456789"}}`, []), '{"headers":{"Authorization":"token [redacted]"}}');
  assert.equal(redactLine(`failed with ${token} and gho_0123456789abcdef`, []), 'failed with loco_pat_[redacted] and gho_[redacted]');
  assert.equal(redactLine('custom credential s3cr3t-value in a message', ['s3cr3t-value']), 'custom credential [redacted] in a message');
  assert.deepEqual(redactArgs(['secrets', 'set', 'DB_URL=postgres://u:p@h/db', '--profile', 'dev']), ['secrets', 'set', 'DB_URL=[redacted]', '--profile', 'dev']);
  assert.deepEqual(redactArgs(['--debug', 'secrets', 'set', 'STRIPE_KEY=sk_live_1']), ['--debug', 'secrets', 'set', 'STRIPE_KEY=[redacted]']);
  assert.deepEqual(redactArgs(['env', 'set', 'LOG_LEVEL=debug', '--token', 't0ps3cret']), ['env', 'set', 'LOG_LEVEL=debug', '--token', '[redacted]']);
});
