// A deployer's hostile loco.toml or Env.File must not stop the API for everybody: the request is
// refused with a config error and the server keeps answering other requests. How long an
// unrelated GET waited is printed (diagnostic), not asserted: timing is bench/hostile-input.ts's job.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hostileConfigs, hostileEnvFiles } from '../../bench/hostile-inputs.ts';
import { config, startTestApi, type TestApi } from './helpers.ts';
import { measureWhileHostile } from '../../bench/unrelated-get.ts';

let api: TestApi;
let url: string;

before(async () => {
  api = await startTestApi('pglite');
  url = await api.app.listen({ host: '127.0.0.1', port: 0 });
});
after(() => api.close());

const deployUrl = () => `${url}/api/v1/orgs/default/workspaces/default/apps/api/deployments`;

for (const { name, text } of hostileConfigs()) {
  test(`a deploy whose loco.toml has ${name} is refused with 400 config.too-large while other requests are answered`, async (t) => {
    const { hostile, unrelated, waitedMs } = await measureWhileHostile(url, api.adminToken, deployUrl(), { config: text, profile: 'dev', image: 'registry.example.com/acme/api:1', dryRun: true });
    assert.equal(hostile.status, 400);
    assert.equal(hostile.body.code, 'config.too-large');
    assert.ok(hostile.body.hint);
    assert.equal(unrelated.status, 200);
    t.diagnostic(`unrelated GET /api/v1/me waited ${waitedMs.toFixed(0)} ms`);
  });
}

for (const { name, text } of hostileEnvFiles()) {
  test(`a deploy whose Env.File has ${name} is answered without stopping other requests`, async (t) => {
    const withEnvFile = config('api').replace('[Metadata]', '[Env]\nFile = ".env"\n\n[Metadata]');
    const { hostile, unrelated, waitedMs } = await measureWhileHostile(url, api.adminToken, deployUrl(), { config: withEnvFile, profile: 'dev', image: 'registry.example.com/acme/api:1', envFile: text, dryRun: true });
    if (text.length > 64 * 1024) {
      assert.equal(hostile.status, 400);
      assert.equal(hostile.body.code, 'config.too-large');
    } else assert.equal(hostile.status, 200, JSON.stringify(hostile.body));
    assert.equal(unrelated.status, 200);
    t.diagnostic(`unrelated GET /api/v1/me waited ${waitedMs.toFixed(0)} ms`);
  });
}

test('after every hostile request the API still deploys a valid config', async () => {
  const response = await fetch(deployUrl(), { method: 'POST', headers: { authorization: `Bearer ${api.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ config: config('api'), profile: 'dev', image: 'registry.example.com/acme/api:1', dryRun: true }) });
  assert.equal(response.status, 200);
});
