// Protected profiles (prod by default, any profile by workspace rule) change by reviewed pull
// request: a direct deploy or a direct rollback is refused with the way to do it, and leaves
// no record; env and scale changes of a protected profile are for workspace admins only.
// Without Argo CD (deployments end at committed), on the embedded PGlite.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, config, followEvents, startTestApi, userWithToken, type TestApi } from '../api/helpers.ts';

const ws = '/orgs/default/workspaces/default';
const TOML = `${config('api')}\n[Profile.uat]\n`; // has dev and prod already

let api: TestApi;
let admin: string;
let bob: string;

before(async () => {
  api = await startTestApi('pglite');
  admin = api.adminToken;
  bob = await userWithToken(api.app, 'bob');
  assert.equal((await call(api.app, admin, 'POST', `${ws}/members`, { user: 'bob', role: 'deploy' })).statusCode, 201);
});
after(async () => api?.close());

const deploy = (token: string, profile: string, image = 'registry.example.com/acme/api:1') =>
  call(api.app, token, 'POST', `${ws}/apps/api/deployments`, { config: TOML, profile, image });
const rules = (body: object) => call(api.app, admin, 'PUT', `${ws}/promotion-rules`, body);
const deployments = async () => (await call(api.app, admin, 'GET', `${ws}/apps/api/deployments`)).json() as { id: string; profile: string; image: string }[];

async function deployed(profile: string, image: string): Promise<string> {
  const res = await deploy(admin, profile, image);
  assert.equal(res.statusCode, 202, res.body);
  await followEvents(api.app, admin, res.json().id);
  return res.json().id;
}

test('a direct deploy to prod is refused for admins and deployers alike, names the promotion, and records nothing', async () => {
  await deployed('dev', 'registry.example.com/acme/api:1');
  for (const token of [admin, bob]) {
    const res = await deploy(token, 'prod', 'registry.example.com/acme/api:2');
    assert.equal(res.statusCode, 409, res.body);
    const problem = res.json();
    assert.equal(problem.code, 'conflict.protected-profile');
    assert.match(problem.detail ?? problem.message ?? problem.title, /api@prod is protected by review/);
    assert.match(problem.hint, /loco promote api --from <that profile> --to prod/);
    assert.match(problem.hint, /promotion-rules/);
  }
  assert.deepEqual((await deployments()).map((d) => d.profile), ['dev'], 'no prod deployment was recorded');
});

test('a dry run checks what a deploy checks and records nothing', async () => {
  const dry = (profile: string, config = TOML) => call(api.app, bob, 'POST', `${ws}/apps/api/deployments`, { config, profile, image: 'registry.example.com/acme/api:to-be-built', dryRun: true });
  const ok = await dry('dev');
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(ok.json().dryRun, true);
  assert.match(ok.json().configDigest, /^sha256:[0-9a-f]{64}$/);
  assert.equal((await dry('prod')).json().code, 'conflict.protected-profile');
  const bad = await dry('dev', TOML.replace('Name = "api"', 'Name = "other"'));
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().code, 'config.app-mismatch');
  assert.deepEqual((await deployments()).map((d) => d.profile), ['dev'], 'still only the one dev deployment');
});

test('a workspace rule protects any profile, and lifting it for prod allows direct deploys there', async () => {
  assert.equal((await rules({ profiles: { uat: { approvals: 1 }, prod: { approvals: 0 } } })).statusCode, 200);
  const uat = await deploy(bob, 'uat');
  assert.equal(uat.statusCode, 409, uat.body);
  assert.match(uat.json().hint, /--to uat/);
  const fromUat = await call(api.app, bob, 'POST', `${ws}/apps/api/promotions`, { from: 'uat', to: 'prod' });
  assert.equal(fromUat.statusCode, 409, fromUat.body);
  assert.match(fromUat.json().hint, /promote to uat first \(loco promote api --from <earlier profile> --to uat\)/, 'a protected source gets its release by promotion too');
  await deployed('prod', 'registry.example.com/acme/api:1');
  await deployed('prod', 'registry.example.com/acme/api:2');
  assert.equal((await rules({ profiles: {} })).statusCode, 200, 'back to the default: prod protected');
});

test('env and scale of a protected profile: refused to a deployer with who may do it, allowed to an admin', async () => {
  const env = await call(api.app, bob, 'PATCH', `${ws}/apps/api/env?profile=prod`, { set: { LOG_LEVEL: 'debug' } });
  assert.equal(env.statusCode, 409, env.body);
  assert.match(env.json().detail ?? env.json().message, /environment variables of it may be changed by workspace admins only \(your role is deploy\)/);
  const scale = await call(api.app, bob, 'POST', `${ws}/apps/api/scale`, { profile: 'prod', replicas: 4 });
  assert.equal(scale.statusCode, 409, scale.body);
  assert.match(scale.json().hint, /ask a workspace admin of default\/default/);

  const byAdmin = await call(api.app, admin, 'POST', `${ws}/apps/api/scale`, { profile: 'prod', replicas: 4 });
  assert.equal(byAdmin.statusCode, 202, byAdmin.body);
  const events = await followEvents(api.app, admin, byAdmin.json().id);
  assert.equal(events.at(-1)?.type, 'committed');
  const onDev = await call(api.app, bob, 'POST', `${ws}/apps/api/scale`, { profile: 'dev', replicas: 2 });
  assert.equal(onDev.statusCode, 202, 'an unprotected profile is not affected');
});

test('the direct rollback route refuses a protected profile and points to the reviewed rollback', async () => {
  const [prod1] = (await deployments()).filter((d) => d.profile === 'prod' && d.image.endsWith(':1'));
  const before = (await deployments()).length;
  const res = await call(api.app, admin, 'POST', `/deployments/${prod1.id}/rollback`, {});
  assert.equal(res.statusCode, 409, res.body);
  assert.match(res.json().hint, new RegExp(`loco rollback ${prod1.id}`));
  assert.equal((await deployments()).length, before, 'nothing was recorded');

  const reviewed = await call(api.app, admin, 'POST', `${ws}/apps/api/rollbacks`, { deployment: prod1.id });
  assert.equal(reviewed.statusCode, 201, reviewed.body);
  assert.equal(reviewed.json().mode, 'pull-request');
});
