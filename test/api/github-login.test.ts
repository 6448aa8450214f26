// `loco login` through GitHub's device flow, against a small HTTP double of github.com's
// /login/device/code and /login/oauth/access_token and api.github.com's /user (shapes from
// GitHub's device-flow documentation): pending, then a Loco token for the GitHub user, linked
// to the user an admin had already added by name.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { call, startTestApi, type TestApi } from './helpers.ts';

describe('GitHub device-flow login', () => {
  let github: Server;
  let api: TestApi;
  let polls = 0;
  const seen: string[] = [];

  before(async () => {
    github = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url}`);
        const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (req.url === '/login/device/code') {
          assert.equal(JSON.parse(body).client_id, 'Iv1.test');
          return json(200, { device_code: 'dev-123', user_code: 'ABCD-1234', verification_uri: 'https://github.com/login/device', expires_in: 900, interval: 5 });
        }
        if (req.url === '/login/oauth/access_token') {
          const request = JSON.parse(body);
          assert.equal(request.grant_type, 'urn:ietf:params:oauth:grant-type:device_code');
          if (request.device_code !== 'dev-123') return json(200, { error: 'expired_token', error_description: 'expired' });
          return ++polls === 1 ? json(200, { error: 'authorization_pending', error_description: 'pending' }) : json(200, { access_token: 'gho_x', token_type: 'bearer', scope: 'read:user' });
        }
        if (req.url === '/user' && req.headers.authorization === 'Bearer gho_x') return json(200, { login: 'octocat', id: 583231, email: 'octocat@github.com' });
        json(404, { message: 'Not Found' });
      });
    });
    await new Promise<void>((ok) => github.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
    api = await startTestApi('pglite', { githubOAuth: { clientId: 'Iv1.test', webUrl: url, apiUrl: url } });
    await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces/default/members', { user: 'octocat', role: 'deploy' });
  });
  after(async () => {
    await api?.close();
    github?.close();
  });

  test('start, pending, then a Loco token for the GitHub user already added by name', async () => {
    const start = await call(api.app, null, 'POST', '/auth/github/device');
    assert.equal(start.statusCode, 200);
    assert.equal(start.json().userCode, 'ABCD-1234');
    const pending = await call(api.app, null, 'POST', '/auth/github/token', { deviceCode: start.json().deviceCode });
    assert.deepEqual(pending.json(), { status: 'pending', interval: 5 });
    const done = (await call(api.app, null, 'POST', '/auth/github/token', { deviceCode: start.json().deviceCode })).json();
    assert.equal(done.status, 'complete');
    assert.equal(done.user.name, 'octocat');
    const me = (await call(api.app, done.token, 'GET', '/me')).json();
    assert.deepEqual(me.memberships, [{ org: 'default', workspace: 'default', role: 'deploy' }]);
    assert.ok(seen.includes('GET /user'));
  });

  test('an expired code is a 401 that says to log in again', async () => {
    const res = await call(api.app, null, 'POST', '/auth/github/token', { deviceCode: 'old' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'auth.device-expired');
  });
});
