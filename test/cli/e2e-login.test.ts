// `loco login` through GitHub's device flow, end to end: the real `loco` binary, a real API
// process configured with a GitHub OAuth app, and a double of github.com's device-flow
// endpoints (test/doubles/github/device-flow.ts) on which the test approves or denies the code
// the CLI printed, as the person at the browser would.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startDeviceFlowDouble, type DeviceFlowDouble } from '../doubles/github/device-flow.ts';
import { apiRequest, loco, loginWithGitHub, startApi, startLoco, tempDir, type RunningApi } from './harness.ts';

let api: RunningApi;
let github: DeviceFlowDouble;

before(async () => {
  // GitHub asks for 5 s between polls; 1 s keeps each login about a second long.
  github = await startDeviceFlowDouble({ interval: 1, accounts: [{ login: 'octocat', id: 583231 }] });
  api = await startApi({ LOCO_GITHUB_CLIENT_ID: github.clientId, LOCO_GITHUB_WEB_URL: github.url, LOCO_GITHUB_API_URL: github.url });
  // An admin adds the GitHub login by name first; logging in links that user.
  await apiRequest(api, 'POST', '/orgs/default/workspaces/default/members', { user: 'octocat', role: 'deploy' });
});
after(async () => {
  await api?.stop();
  await github?.close();
});

const credentialsOf = (home: string) => join(home, '.config', 'loco', 'credentials.toml');

test('login shows the GitHub code, waits for approval, saves a Loco token (0600), and whoami names the GitHub user', async () => {
  const home = tempDir('home');
  const login = await loginWithGitHub(api, github, { login: 'octocat', id: 583231, email: 'octocat@github.com' }, home);
  assert.equal(login.code, 0, login.stdout + login.stderr);
  assert.equal(login.verificationUri, 'https://github.com/login/device');
  assert.equal(login.userCode, github.codes.at(-1)!.userCode, 'the CLI shows the code GitHub handed out');
  assert.match(login.stderr, /Waiting for you to approve Loco on GitHub/);
  assert.match(login.stdout, new RegExp(`Logged in to ${api.url} as octocat\\.\\nWorkspace: default/default`));
  assert.deepEqual(github.polls, ['authorization_pending', 'access_token'], 'polled until approved, then stopped');

  const creds = credentialsOf(home);
  assert.equal(statSync(creds).mode & 0o777, 0o600);
  const saved = readFileSync(creds, 'utf8');
  assert.ok(saved.includes(api.url), 'the token is keyed by the API that issued it');
  assert.doesNotMatch(saved, /gho_/, 'GitHub\'s own token is never saved');

  const who = await loco(['whoami', '-o', 'json'], { home });
  assert.equal(who.code, 0, who.stderr);
  const me = JSON.parse(who.stdout);
  assert.equal(me.user.name, 'octocat');
  assert.equal(me.user.email, 'octocat@github.com');
  assert.equal(me.apiUrl, api.url);
  assert.equal(me.workspace, 'default/default');
  assert.deepEqual(me.memberships, [{ org: 'default', workspace: 'default', role: 'deploy' }]);
  const table = await loco(['whoami'], { home });
  assert.match(table.stdout, /^user\s+octocat <octocat@github\.com>$/m);
});

test('a GitHub user nobody added logs in but is told to pick a workspace', async () => {
  const home = tempDir('home');
  const login = await loginWithGitHub(api, github, { login: 'newcomer', id: 42 }, home);
  assert.equal(login.code, 0, login.stdout + login.stderr);
  assert.match(login.stdout, /as newcomer\.\nPick a workspace: loco use <org>\/<workspace>/);
  const who = JSON.parse((await loco(['whoami', '-o', 'json'], { home })).stdout);
  assert.equal(who.user.name, 'newcomer');
  assert.deepEqual(who.memberships, []);
});

for (const { outcome, act, message } of [
  { outcome: 'denied on GitHub', act: (d: DeviceFlowDouble, code: string) => d.deny(code), message: /error: the login was cancelled on GitHub/ },
  { outcome: 'expired on GitHub', act: (d: DeviceFlowDouble, code: string) => d.expire(code), message: /error: the login code expired before it was entered/ },
]) {
  test(`a login ${outcome} exits 3 with a clear error, saving nothing`, async () => {
    const home = tempDir('home');
    const run = startLoco(['login', '--api', api.url, '--non-interactive'], { home });
    const [, userCode] = await run.waitFor(/enter the code (\S+)/);
    act(github, userCode);
    const result = await run.result;
    assert.equal(result.code, 3, result.stdout + result.stderr);
    assert.match(result.stderr, message);
    assert.match(result.stderr, /^hint: run `loco login` again/m);
    assert.doesNotMatch(result.stdout, /Logged in/);
    assert.equal(existsSync(credentialsOf(home)), false);
    assert.equal((await loco(['whoami'], { home, env: { LOCO_API_URL: api.url } })).code, 3, 'still logged out');
  });
}
