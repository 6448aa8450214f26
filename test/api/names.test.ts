// Org and workspace names follow the rule app and profile names follow: no "--" (it is the
// separator, and `acme` + `web--x` would fall inside AppProject `acme--web`'s glob), and short
// enough that every deploy's names fit — refused at creation, not at every deploy.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, startTestApi, type TestApi } from './helpers.ts';
import { WORKSPACE_NAME_MAX } from '../../generator/names.ts';

let api: TestApi;
before(async () => { api = await startTestApi('pglite'); });
after(() => api.close());

test('a workspace name with "--" is refused at creation with a hint', async () => {
  const res = await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces', { name: 'web--x' });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().code, 'validation.invalid-name');
  assert.match(res.json().detail, /"--"/);
  assert.match(res.json().hint, /single dashes/);
  assert.equal((await call(api.app, api.adminToken, 'GET', '/orgs/default/workspaces/web--x')).statusCode, 404);
});

test('an org name with "--" is refused at creation', async () => {
  const res = await call(api.app, api.adminToken, 'POST', '/orgs', { name: 'acme--web' });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().code, 'validation.invalid-name');
});

test('org and workspace names longer than the limit are refused; the limit itself is accepted', async () => {
  const long = 'a'.repeat(WORKSPACE_NAME_MAX + 1);
  const org = await call(api.app, api.adminToken, 'POST', '/orgs', { name: long });
  assert.equal(org.statusCode, 400);
  assert.match(org.json().detail, /would not fit/);
  assert.equal((await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces', { name: long })).json().code, 'validation.invalid-name');
  const fits = 'b'.repeat(WORKSPACE_NAME_MAX);
  assert.equal((await call(api.app, api.adminToken, 'POST', '/orgs', { name: fits })).statusCode, 201);
  assert.equal((await call(api.app, api.adminToken, 'POST', `/orgs/${fits}/workspaces`, { name: fits })).statusCode, 201);
});
