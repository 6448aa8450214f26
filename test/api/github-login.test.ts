// `loco login` through GitHub's device flow, against the HTTP double of github.com's
// /login/device/code and /login/oauth/access_token and api.github.com's /user
// (test/doubles/github/device-flow.ts): pending, then a Loco token for the GitHub user, linked
// to the user an admin had already added by name.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDeviceFlowDouble, type DeviceFlowDouble } from '../doubles/github/device-flow.ts';
import { call, startTestApi, type TestApi } from './helpers.ts';

describe('GitHub device-flow login', () => {
  let github: DeviceFlowDouble;
  let api: TestApi;

  before(async () => {
    // interval 0: these polls come back to back, which GitHub would answer with slow_down.
    github = await startDeviceFlowDouble({ clientId: 'Iv1.test', interval: 0 });
    api = await startTestApi('pglite', { githubOAuth: { clientId: 'Iv1.test', webUrl: github.url, apiUrl: github.url } });
    await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces/default/members', { user: 'octocat', role: 'deploy' });
  });
  after(async () => {
    await api?.close();
    await github?.close();
  });

  test('start, pending, then a Loco token for the GitHub user already added by name', async () => {
    const start = await call(api.app, null, 'POST', '/auth/github/device');
    assert.equal(start.statusCode, 200);
    assert.equal(start.json().userCode, github.codes.at(-1)!.userCode);
    const pending = await call(api.app, null, 'POST', '/auth/github/token', { deviceCode: start.json().deviceCode });
    assert.deepEqual(pending.json(), { status: 'pending', interval: 5 });
    github.approve(start.json().userCode, { login: 'octocat', id: 583231, email: 'octocat@github.com' });
    const done = (await call(api.app, null, 'POST', '/auth/github/token', { deviceCode: start.json().deviceCode })).json();
    assert.equal(done.status, 'complete');
    assert.equal(done.user.name, 'octocat');
    const me = (await call(api.app, done.token, 'GET', '/me')).json();
    assert.deepEqual(me.memberships, [{ org: 'default', workspace: 'default', role: 'deploy' }]);
    assert.ok(github.requests.includes('GET /user'));
  });

  test('an expired code is a 401 that says to log in again', async () => {
    const start = (await call(api.app, null, 'POST', '/auth/github/device')).json();
    github.expire(start.userCode);
    const res = await call(api.app, null, 'POST', '/auth/github/token', { deviceCode: start.deviceCode });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'auth.device-expired');
  });
});
