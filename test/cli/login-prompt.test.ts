// The token prompt of `loco login` in a real terminal (tmux): what the user types is read but
// never shown — not on the screen, not in the scrollback.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, root, startApi, tempDir, type RunningApi } from './harness.ts';
import { hasTmux, typeInTmux } from './tmux.ts';

const skip = hasTmux ? false : 'tmux is not installed';
let api: RunningApi;

before(async () => {
  if (!skip) api = await startApi();
});
after(async () => api?.stop());

test('the token typed at the login prompt is not echoed, and the login works', { skip }, async () => {
  const home = tempDir('home');
  const { screen, exitCode } = await typeInTmux([process.execPath, bin, 'login', '--api', api.url], {
    PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    TERM: 'xterm-256color',
  }, home, [{ after: 'API token for', type: api.adminToken }]);
  const plain = screen.replace(/\x1b\[[0-9;]*m/g, '');
  assert.equal(exitCode, 0, plain);
  assert.match(plain, /Logged in to \S+ as admin\./);
  assert.ok(!plain.includes(api.adminToken), `the typed token is on the screen:\n${plain}`);
  assert.ok(!plain.includes(api.adminToken.slice(0, 12)), 'not even a part of it');
  assert.match(plain, new RegExp(`API token for ${api.url}: \\n`), 'the prompt is shown and the line ends after it');
  assert.ok(readFileSync(join(home, '.config', 'loco', 'credentials.toml'), 'utf8').includes(api.adminToken), 'the token was read and saved');
});
