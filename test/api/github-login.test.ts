// `loco login` through GitHub's device flow, against the HTTP double of github.com's
// /login/device/code and /login/oauth/access_token and api.github.com's /user
// (test/doubles/github/device-flow.ts): pending, then a Loco token for the GitHub user, linked
// by GitHub user id only — to the member an admin added by login (resolved to its id when
// added), never to a user that merely has the same name (the first-start `admin`).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDeviceFlowDouble, type DeviceFlowDouble } from '../doubles/github/device-flow.ts';
import { call, startTestApi, type TestApi } from './helpers.ts';

describe('GitHub device-flow login', () => {
  let github: DeviceFlowDouble;
  let api: TestApi;

  before(async () => {
    // interval 0: these polls come back to back, which GitHub would answer with slow_down.
    github = await startDeviceFlowDouble({ clientId: 'Iv1.test', interval: 0, accounts: [{ login: 'octocat', id: 583231 }] });
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

  /** Signs in through the device flow as `account`; the Loco token and user it gets. */
  async function signIn(account: { login: string; id: number }): Promise<{ token: string; user: { id: string; name: string } }> {
    const start = (await call(api.app, null, 'POST', '/auth/github/device')).json();
    github.approve(start.userCode, account);
    const done = (await call(api.app, null, 'POST', '/auth/github/token', { deviceCode: start.deviceCode })).json();
    assert.equal(done.status, 'complete', JSON.stringify(done));
    return done;
  }

  test('a GitHub user whose login is admin does not sign in as the first-start admin', async () => {
    const bootstrapAdmin = (await call(api.app, api.adminToken, 'GET', '/me')).json().user;
    assert.equal(bootstrapAdmin.name, 'admin');
    const intruder = await signIn({ login: 'admin', id: 9_000_001 });
    assert.notEqual(intruder.user.id, bootstrapAdmin.id);
    assert.equal(intruder.user.name, 'admin-9000001', 'the name admin is taken, so this account gets its own');
    const me = (await call(api.app, intruder.token, 'GET', '/me')).json();
    assert.deepEqual(me.memberships, []);
    assert.equal((await call(api.app, intruder.token, 'GET', '/orgs/default/workspaces/default/members')).statusCode, 404, 'not a member: the workspace is not even shown');
    // signing in again lands on the same (own) user, by id
    assert.equal((await signIn({ login: 'admin', id: 9_000_001 })).user.id, intruder.user.id);
    assert.equal((await call(api.app, api.adminToken, 'GET', '/me')).json().memberships.length > 0, true, 'the real admin is untouched');
  });

  test('a different GitHub account that now has a member\'s login does not get the member\'s access', async () => {
    github.addAccount({ login: 'renamer', id: 7_100 });
    assert.equal((await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces/default/members', { user: 'renamer', role: 'admin' })).statusCode, 201);
    // the original account renamed itself; someone else registered the login
    const other = await signIn({ login: 'renamer', id: 7_200 });
    assert.deepEqual((await call(api.app, other.token, 'GET', '/me')).json().memberships, []);
    // the member, under whatever login, is linked by id
    const member = await signIn({ login: 'renamed-now', id: 7_100 });
    assert.deepEqual((await call(api.app, member.token, 'GET', '/me')).json().memberships, [{ org: 'default', workspace: 'default', role: 'admin' }]);
  });

  test('adding a member by a login GitHub does not have is a 404 naming it', async () => {
    const res = await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces/default/members', { user: 'no-such-login-x', role: 'deploy' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'not-found.github-user');
    assert.match(res.json().detail ?? res.json().message ?? res.body, /no-such-login-x/);
  });

  test('an expired code is a 401 that says to log in again', async () => {
    const start = (await call(api.app, null, 'POST', '/auth/github/device')).json();
    github.expire(start.userCode);
    const res = await call(api.app, null, 'POST', '/auth/github/token', { deviceCode: start.deviceCode });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'auth.device-expired');
  });
});
