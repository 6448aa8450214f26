// Personal and deploy tokens over the API, with the API's clock moved by hand (no sleeps):
// personal tokens last 90 days unless asked otherwise, deploy tokens five minutes and only for
// their app and profile; an expired or revoked token is refused with the way to a new one, and
// no list ever shows a secret.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../argocd/manual-clock.ts';
import { call, config, followEvents, startTestApi, type TestApi } from './helpers.ts';
import { hashToken } from '../../api/auth/tokens.ts';

const DAY = 86_400_000;
const W = '/orgs/default/workspaces/default';

describe('tokens', () => {
  let api: TestApi;
  const clock = new ManualClock(Date.parse('2026-03-01T09:00:00Z'));

  before(async () => {
    api = await startTestApi('pglite', { clock });
  });
  after(async () => api?.close());

  const createPersonal = async (name: string, expiresInSeconds?: number) => {
    const res = await call(api.app, api.adminToken, 'POST', '/tokens', { name, ...(expiresInSeconds ? { expiresInSeconds } : {}) });
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as { id: string; name: string; token: string; expiresAt: string };
  };

  test('a personal token lasts 90 days by default, or as long as asked, and /me tells its expiry', async () => {
    const laptop = await createPersonal('laptop');
    assert.match(laptop.token, /^loco_pat_/);
    assert.equal(laptop.expiresAt, new Date(clock.now() + 90 * DAY).toISOString());
    const short = await createPersonal('short', 30 * 86_400);
    assert.equal(short.expiresAt, new Date(clock.now() + 30 * DAY).toISOString());
    const me = (await call(api.app, laptop.token, 'GET', '/me')).json();
    assert.deepEqual(me.token, { id: laptop.id, name: 'laptop', kind: 'personal', scope: 'personal', expiresAt: laptop.expiresAt });
  });

  test('the first-start admin token is a personal token with the same 90-day expiry', async () => {
    const me = (await call(api.app, api.adminToken, 'GET', '/me')).json();
    assert.equal(me.token.kind, 'personal');
    assert.equal(me.token.name, 'admin (first start)');
    assert.equal(me.token.expiresAt, new Date(Date.parse('2026-03-01T09:00:00Z') + 90 * DAY).toISOString());
  });

  test('a token works until it expires; then 401 with the way to a new one', async () => {
    const ci = await createPersonal('expiring', 3600);
    assert.equal((await call(api.app, ci.token, 'GET', '/me')).statusCode, 200);
    clock.advance(3600_000 - 1);
    assert.equal((await call(api.app, ci.token, 'GET', '/me')).statusCode, 200, 'still valid a millisecond before');
    clock.advance(1);
    const res = await call(api.app, ci.token, 'GET', `${W}/apps`);
    assert.equal(res.statusCode, 401);
    const problem = res.json();
    assert.equal(problem.code, 'auth.token-expired');
    assert.equal(problem.detail, `the token "expiring" expired at ${ci.expiresAt}`);
    assert.match(problem.hint, /`loco login`/);
    assert.match(problem.hint, /`loco tokens create`/);
  });

  test('the list shows name, kind, scope, dates and last use, never a secret or its hash', async () => {
    const used = await createPersonal('used-once');
    const before = clock.now();
    await call(api.app, used.token, 'GET', '/me');
    const res = await call(api.app, api.adminToken, 'GET', '/tokens');
    assert.equal(res.statusCode, 200);
    const list = res.json() as Record<string, unknown>[];
    const row = list.find((t) => t.id === used.id)!;
    assert.deepEqual(row, { id: used.id, name: 'used-once', kind: 'personal', scope: 'personal', status: 'active', createdAt: new Date(before).toISOString(), expiresAt: used.expiresAt, lastUsedAt: new Date(before).toISOString() });
    assert.equal(list.find((t) => t.name === 'expiring')?.status, 'expired');
    for (const t of [used.token, hashToken(used.token), 'loco_pat_']) assert.ok(!res.body.includes(t), `the list shows ${t}`);
  });

  test('revoking by name or id: the token is refused at once with a hint, and leaves the list', async () => {
    const a = await createPersonal('to-revoke');
    const b = await createPersonal('by-id');
    // both in use first, so this process knows (caches) who they are when they are revoked
    for (const t of [a, b]) assert.equal((await call(api.app, t.token, 'GET', '/me')).statusCode, 200);
    const byName = await call(api.app, api.adminToken, 'DELETE', '/tokens/to-revoke');
    assert.equal(byName.statusCode, 200, byName.body);
    assert.deepEqual(byName.json(), { revoked: a.id, name: 'to-revoke' });
    assert.equal((await call(api.app, api.adminToken, 'DELETE', `/tokens/${b.id}`)).statusCode, 200);
    for (const t of [a, b]) {
      const res = await call(api.app, t.token, 'GET', '/me');
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().code, 'auth.token-revoked');
      assert.match(res.json().detail, new RegExp(`the token "${t.name}" was revoked at `));
      assert.match(res.json().hint, /loco login.*loco tokens create/);
    }
    const ids = ((await call(api.app, api.adminToken, 'GET', '/tokens')).json() as { id: string }[]).map((t) => t.id);
    assert.ok(!ids.includes(a.id) && !ids.includes(b.id));
    const again = await call(api.app, api.adminToken, 'DELETE', '/tokens/to-revoke');
    assert.equal(again.statusCode, 404);
    assert.match(again.json().hint, /loco tokens list/);
  });

  test('a name two tokens share is not revoked by name: the answer lists their ids', async () => {
    const one = await createPersonal('twin');
    const two = await createPersonal('twin');
    const res = await call(api.app, api.adminToken, 'DELETE', '/tokens/twin');
    assert.equal(res.statusCode, 409);
    assert.ok(res.json().detail.includes(one.id) && res.json().detail.includes(two.id), res.body);
    assert.equal((await call(api.app, one.token, 'GET', '/me')).statusCode, 200, 'neither was revoked');
  });

  describe('deploy tokens', () => {
    let deploy: { id: string; token: string; expiresAt: string };
    let deploymentId: string;

    before(async () => {
      const res = await call(api.app, api.adminToken, 'POST', `${W}/deploy-tokens`, { app: 'web', profile: 'dev' });
      assert.equal(res.statusCode, 201, res.body);
      deploy = res.json();
    });

    test('last five minutes by default and /me names their scope', async () => {
      assert.match(deploy.token, /^loco_dpl_/);
      assert.equal(deploy.expiresAt, new Date(clock.now() + 5 * 60_000).toISOString());
      const me = (await call(api.app, deploy.token, 'GET', '/me')).json();
      assert.deepEqual(me.token, { id: deploy.id, name: 'deploy web@dev', kind: 'deploy', scope: 'default/default web@dev', app: 'web', profile: 'dev', expiresAt: deploy.expiresAt });
    });

    test('deploy their app in their profile and read that deployment and its events', async () => {
      const res = await call(api.app, deploy.token, 'POST', `${W}/apps/web/deployments`, { config: config('web'), profile: 'dev', image: 'registry.example.com/acme/web:1' });
      assert.equal(res.statusCode, 202, res.body);
      deploymentId = res.json().id;
      assert.equal((await followEvents(api.app, deploy.token, deploymentId)).at(-1)!.type, 'committed');
      assert.equal((await call(api.app, deploy.token, 'GET', `/deployments/${deploymentId}`)).statusCode, 200);
      assert.equal((await call(api.app, deploy.token, 'GET', `${W}/apps/web/deployments?profile=dev`)).statusCode, 200);
    });

    test('anything else is refused with 403 naming the scope', async () => {
      const refused = [
        ['POST', `${W}/apps/web/deployments`, { config: config('web'), profile: 'uat', image: 'registry.example.com/acme/web:1' }],
        ['POST', `${W}/apps/api/deployments`, { config: config('api'), profile: 'dev', image: 'registry.example.com/acme/api:1' }],
        ['PATCH', `${W}/apps/web/env?profile=dev`, { set: { A: 'b' } }],
        ['POST', `${W}/apps/web/scale`, { profile: 'dev', replicas: 2 }],
        ['POST', `/deployments/${deploymentId}/rollback`, {}],
        ['GET', `${W}/apps/web/deployments`, undefined],
        ['GET', `${W}/apps`, undefined],
        ['GET', `${W}/members`, undefined],
        ['POST', `${W}/deploy-tokens`, { app: 'web', profile: 'dev' }],
        ['POST', '/tokens', { name: 'escalate' }],
        ['GET', '/tokens', undefined],
      ] as const;
      for (const [method, path, body] of refused) {
        const res = await call(api.app, deploy.token, method, path, body);
        assert.equal(res.statusCode, 403, `${method} ${path}: ${res.body}`);
        assert.equal(res.json().detail, 'this deploy token may only deploy web@dev and read those deployments and their events', `${method} ${path}`);
        assert.match(res.json().hint, /loco tokens create --deploy --app <app> --profile <profile>/);
      }
    });

    test('expire after five minutes with a hint to create one for the run', async () => {
      clock.advance(5 * 60_000);
      const res = await call(api.app, deploy.token, 'GET', `/deployments/${deploymentId}`);
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().code, 'auth.token-expired');
      assert.match(res.json().hint, /loco tokens create --deploy --app <app> --profile <profile>/);
    });

    test('may be asked for a longer run, up to a day, and need a profile', async () => {
      const longer = await call(api.app, api.adminToken, 'POST', `${W}/deploy-tokens`, { app: 'web', profile: 'dev', expiresInSeconds: 1800 });
      assert.equal(longer.json().expiresAt, new Date(clock.now() + 1800_000).toISOString());
      assert.equal((await call(api.app, api.adminToken, 'POST', `${W}/deploy-tokens`, { app: 'web', profile: 'dev', expiresInSeconds: 2 * 86_400 })).statusCode, 400);
      assert.equal((await call(api.app, api.adminToken, 'POST', `${W}/deploy-tokens`, { app: 'web' })).statusCode, 400);
    });
  });
});
