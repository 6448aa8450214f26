// Input the API stores is checked at the boundary. A NUL character in any stored input (an id, the idempotency key, the image, an env value, a
// token name, a rollback body) is refused with 400 at the boundary; it used to reach PostgreSQL
// and answer 500.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, config, startTestApi, type TestApi } from './helpers.ts';

let api: TestApi;
before(async () => { api = await startTestApi('pglite'); });
after(() => api.close());

const deploys = '/orgs/default/workspaces/default/apps/api/deployments';
const body = { config: config('api'), profile: 'dev', image: 'registry.example.com/acme/api:1' };

const cases: Array<[string, string, string, unknown, RegExp]> = [
  ['a deployment id', 'GET', '/deployments/dpl_%00x', undefined, /^path\.id/],
  ['an idempotency key', 'POST', deploys, { ...body, idempotencyKey: 'k\u0000' }, /^body\.idempotencyKey/],
  ['an image', 'POST', deploys, { ...body, image: 'registry.example.com/acme/api:1\u0000' }, /^body\.image/],
  ['an env value in loco.toml', 'POST', deploys, { ...body, config: body.config + '\n[Env.Variables]\nA = "x\u0000"\n' }, /^body\.config/],
  ['a token name', 'POST', '/tokens', { name: 'ci\u0000' }, /^body\.name/],
  ['a rollback body', 'POST', '/deployments/dpl_x/rollback', { idempotencyKey: '\u0000' }, /^body\.idempotencyKey/],
];

for (const [what, method, url, payload, at] of cases) {
  test(`a NUL character in ${what} is refused with 400 validation.nul-byte`, async () => {
    const res = await call(api.app, api.adminToken, method, url, payload);
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().code, 'validation.nul-byte');
    assert.match(res.json().detail, at);
    assert.ok(res.json().hint);
  });
}

test('the same requests without the NUL character are not refused for it', async () => {
  const res = await call(api.app, api.adminToken, 'POST', deploys, { ...body, idempotencyKey: 'k1', dryRun: true });
  assert.equal(res.statusCode, 200, res.body);
});

test('an image that is not an OCI reference is refused with 400 validation.invalid-image and nothing is recorded', async () => {
  const res = await call(api.app, api.adminToken, 'POST', deploys, { ...body, image: 'nginx:1.27\nprivileged: true' });
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().code, 'validation.invalid-image');
  assert.match(res.json().hint, /registry\/name:tag/);
  assert.deepEqual((await call(api.app, api.adminToken, 'GET', deploys)).json(), []);
});
