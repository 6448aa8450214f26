// The API's behaviour end to end through fastify.inject, on real git repositories, against
// both databases: the embedded PGlite default and a real PostgreSQL (same suite).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { workspaceSlug } from '../../generator/names.ts';
import { DATABASE_KINDS, call, config, followEvents, startTestApi, userWithToken, type TestApi } from './helpers.ts';

const git = (gitdir: string, ...args: string[]) => execFileSync('git', [`--git-dir=${gitdir}`, ...args], { encoding: 'utf8' });

for (const kind of DATABASE_KINDS) {
  describe(`API on ${kind}`, () => {
    let api: TestApi;
    let token: string;
    const ws = '/orgs/default/workspaces/default';
    before(async () => {
      api = await startTestApi(kind);
      token = api.adminToken;
    });
    after(async () => api?.close());

    const deploy = (app: string, body: Record<string, unknown>) => call(api.app, token, 'POST', `${ws}/apps/${app}/deployments`, body);

    test('first start writes the admin token with mode 0600 and it works', async () => {
      const info = await stat(join(api.dataDir, 'admin-token'));
      assert.equal(info.mode & 0o777, 0o600);
      const me = await call(api.app, token, 'GET', '/me');
      assert.equal(me.statusCode, 200);
      assert.deepEqual(me.json().memberships, [{ org: 'default', workspace: 'default', role: 'admin' }]);
    });

    test('a deploy answers 202 at once, commits with trailers and ends at committed without Argo CD', async () => {
      const res = await deploy('api', { config: config('api'), profile: 'dev', image: 'registry.example.com/acme/api:2' });
      assert.equal(res.statusCode, 202);
      const created = res.json();
      assert.equal(created.status, 'pending');
      const events = await followEvents(api.app, token, created.id);
      assert.deepEqual(events.map((e) => e.type), ['pending', 'image', 'preflight', 'rendered', 'committed']);
      assert.match(events.at(-1)!.message, /No Argo CD is configured/);
      const done = (await call(api.app, token, 'GET', `/deployments/${created.id}`)).json();
      assert.equal(done.status, 'committed');
      assert.ok(done.finishedAt);
      const message = git(api.app.loco.store.gitdir(workspaceSlug('default', 'default')), 'log', '-1', '--format=%B', done.commit);
      assert.match(message, /^deploy\(api@dev\): registry\.example\.com\/acme\/api:2/);
      assert.match(message, new RegExp(`Loco-Deployment: ${created.id}`));
      assert.match(message, /Loco-Change: deploy/);
    });

    test('a redeploy with identical inputs makes no commit and says so', async () => {
      const body = { config: config('same'), profile: 'dev', image: 'registry.example.com/acme/same:1' };
      const first = (await deploy('same', body)).json();
      await followEvents(api.app, token, first.id);
      const second = (await deploy('same', body)).json();
      const events = await followEvents(api.app, token, second.id);
      assert.match(events.at(-1)!.message, /already holds this state/);
      const a = (await call(api.app, token, 'GET', `/deployments/${first.id}`)).json();
      const b = (await call(api.app, token, 'GET', `/deployments/${second.id}`)).json();
      assert.equal(a.commit, b.commit);
    });

    test('an invalid config is refused with every problem as problem+json', async () => {
      const bad = `${config('broken')}\n[Resources]\nMemroy = "1Gi"\n`;
      const res = await deploy('broken', { config: bad, profile: 'dev', image: 'x:1' });
      assert.equal(res.statusCode, 400);
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
      const problem = res.json();
      assert.equal(problem.code, 'config.invalid');
      assert.ok(problem.problems.length >= 1);
      assert.ok(problem.requestId);
    });

    test('a body that fails the schema is a readable 400', async () => {
      const res = await deploy('api', { profile: 'dev', image: 'x:1', extra: true });
      assert.equal(res.statusCode, 400);
      const problem = res.json();
      assert.equal(problem.code, 'validation.request');
      assert.match(problem.detail, /body\.config is required/);
      assert.match(problem.detail, /body\.extra is not a known field/);
    });

    test('the same idempotency key and body give the same deployment; another body is a conflict', async () => {
      const body = { config: config('idem'), profile: 'dev', image: 'registry.example.com/acme/idem:1', idempotencyKey: 'ci-run-42' };
      const [a, b] = await Promise.all([deploy('idem', body), deploy('idem', body)]);
      assert.equal(a.statusCode, 202);
      assert.equal(b.statusCode, 202);
      assert.equal(a.json().id, b.json().id);
      const other = await deploy('idem', { ...body, image: 'registry.example.com/acme/idem:2' });
      assert.equal(other.statusCode, 409);
      assert.equal(other.json().code, 'conflict.idempotency-key');
    });

    test('events resume after Last-Event-ID and the JSON form lists them all', async () => {
      const d = (await deploy('resume', { config: config('resume'), profile: 'dev', image: 'r:1' })).json();
      const all = await followEvents(api.app, token, d.id);
      const rest = await followEvents(api.app, token, d.id, 1);
      assert.deepEqual(rest.map((e) => e.seq), all.slice(1).map((e) => e.seq));
      const json = await call(api.app, token, 'GET', `/deployments/${d.id}/events`);
      assert.equal(json.json().length, all.length);
    });

    test('env set and scale each make one commit editing overrides.toml, recorded as deployments', async () => {
      const d = (await deploy('knobs', { config: config('knobs'), profile: 'dev', image: 'k:1' })).json();
      await followEvents(api.app, token, d.id);
      const env = await call(api.app, token, 'PATCH', `${ws}/apps/knobs/env?profile=dev`, { set: { GREETING: 'hello' } });
      assert.equal(env.statusCode, 202);
      assert.equal(env.json().change, 'env');
      await followEvents(api.app, token, env.json().id);
      const vars = await call(api.app, token, 'GET', `${ws}/apps/knobs/env?profile=dev`);
      assert.deepEqual(vars.json().variables, { GREETING: 'hello' });
      const scale = await call(api.app, token, 'POST', `${ws}/apps/knobs/scale`, { profile: 'dev', replicas: 3 });
      assert.equal(scale.statusCode, 202);
      await followEvents(api.app, token, scale.json().id);
      const done = (await call(api.app, token, 'GET', `/deployments/${scale.json().id}`)).json();
      const gitdir = api.app.loco.store.gitdir(workspaceSlug('default', 'default'));
      assert.match(git(gitdir, 'log', '-1', '--format=%s', done.commit), /^scale\(knobs@dev\): replicas=3/);
      const overrides = git(gitdir, 'show', `${done.commit}:apps/knobs/overrides.toml`);
      assert.match(overrides, /GREETING = "hello"/);
      assert.match(overrides, /Min = 3/);
    });

    test('env on an app never deployed to that profile says to deploy first', async () => {
      const res = await call(api.app, token, 'PATCH', `${ws}/apps/api/env?profile=prod`, { set: { A: 'b' } });
      assert.equal(res.statusCode, 409);
      assert.equal(res.json().code, 'conflict.not-deployed');
    });

    test("a rollback restores the target deployment's files as a new commit", async () => {
      const one = (await deploy('roll', { config: config('roll'), profile: 'dev', image: 'roll:1' })).json();
      await followEvents(api.app, token, one.id);
      const two = (await deploy('roll', { config: config('roll'), profile: 'dev', image: 'roll:2' })).json();
      await followEvents(api.app, token, two.id);
      const back = await call(api.app, token, 'POST', `/deployments/${one.id}/rollback`, {});
      assert.equal(back.statusCode, 202);
      await followEvents(api.app, token, back.json().id);
      const rolled = (await call(api.app, token, 'GET', `/deployments/${back.json().id}`)).json();
      const first = (await call(api.app, token, 'GET', `/deployments/${one.id}`)).json();
      const gitdir = api.app.loco.store.gitdir(workspaceSlug('default', 'default'));
      assert.notEqual(rolled.commit, first.commit);
      assert.equal(git(gitdir, 'diff', first.commit, rolled.commit, '--', 'apps/roll/'), '');
      assert.match(git(gitdir, 'log', '-1', '--format=%B', rolled.commit), /Loco-Change: rollback/);
    });

    test('history joins commits with deployment outcomes and filters by app', async () => {
      const res = await call(api.app, token, 'GET', `${ws}/history?app=roll`);
      assert.equal(res.statusCode, 200);
      const entries = res.json();
      assert.equal(entries.length, 3);
      assert.deepEqual(entries.map((e: { change: string }) => e.change), ['rollback', 'deploy', 'deploy']);
      assert.ok(entries.every((e: { outcome: string; deploymentId: string }) => e.outcome === 'committed' && e.deploymentId));
    });

    test('deleting an app removes its files in one commit and its records', async () => {
      const d = (await deploy('gone', { config: config('gone'), profile: 'dev', image: 'g:1' })).json();
      await followEvents(api.app, token, d.id);
      assert.equal((await call(api.app, token, 'DELETE', `${ws}/apps/gone`)).statusCode, 400);
      const res = await call(api.app, token, 'DELETE', `${ws}/apps/gone?confirm=true`);
      assert.equal(res.statusCode, 200);
      const gitdir = api.app.loco.store.gitdir(workspaceSlug('default', 'default'));
      assert.equal(git(gitdir, 'ls-tree', '-r', '--name-only', res.json().commit, '--', 'apps/gone/'), '');
      assert.equal((await call(api.app, token, 'GET', `${ws}/apps/gone`)).statusCode, 404);
      assert.equal((await call(api.app, token, 'GET', `/deployments/${d.id}`)).statusCode, 404);
    });

    test('orgs, workspaces and members: create, list, roles, last admin kept', async () => {
      assert.equal((await call(api.app, token, 'POST', '/orgs', { name: 'acme' })).statusCode, 201);
      assert.equal((await call(api.app, token, 'POST', '/orgs', { name: 'acme' })).statusCode, 409);
      const created = await call(api.app, token, 'POST', '/orgs/acme/workspaces', { name: 'shop' });
      assert.equal(created.statusCode, 201);
      assert.equal(created.json().slug, workspaceSlug('acme', 'shop'));
      const added = await call(api.app, token, 'POST', '/orgs/acme/workspaces/shop/members', { user: 'carol', role: 'read' });
      assert.equal(added.statusCode, 201);
      const members = (await call(api.app, token, 'GET', '/orgs/acme/workspaces/shop/members')).json();
      assert.deepEqual(members.map((m: { user: string; role: string }) => `${m.user}:${m.role}`), ['admin:admin', 'carol:read']);
      const last = await call(api.app, token, 'DELETE', '/orgs/acme/workspaces/shop/members/admin');
      assert.equal(last.json().code, 'conflict.last-admin');
      assert.equal((await call(api.app, token, 'DELETE', '/orgs/acme/workspaces/shop/members/carol')).statusCode, 200);
      const carol = await userWithToken(api.app, 'carol');
      assert.equal((await call(api.app, carol, 'GET', '/orgs/acme/workspaces/shop')).statusCode, 404);
    });

    test('a deploy token deploys its app for five minutes and nothing else', async () => {
      const res = await call(api.app, token, 'POST', `${ws}/deploy-tokens`, { app: 'ci', profile: 'dev' });
      assert.equal(res.statusCode, 201);
      const { token: ci, expiresAt } = res.json();
      assert.ok(Math.abs(new Date(expiresAt).getTime() - Date.now() - 5 * 60_000) < 60_000);
      const d = await call(api.app, ci, 'POST', `${ws}/apps/ci/deployments`, { config: config('ci'), profile: 'dev', image: 'ci:1' });
      assert.equal(d.statusCode, 202);
      assert.equal((await followEvents(api.app, ci, d.json().id)).at(-1)!.type, 'committed');
      assert.equal((await call(api.app, ci, 'POST', `${ws}/apps/api/deployments`, { config: config('api'), profile: 'dev', image: 'a:1' })).statusCode, 403);
      assert.equal((await call(api.app, ci, 'GET', `${ws}/members`)).statusCode, 403);
      assert.equal((await call(api.app, ci, 'POST', '/tokens', { name: 'x' })).statusCode, 403);
    });

    test('bad query values and unknown routes answer as problem+json', async () => {
      const res = await call(api.app, token, 'GET', `${ws}/history?since=not-a-date`);
      assert.equal(res.statusCode, 400);
      const missing = await call(api.app, token, 'GET', '/nope');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'not-found.route');
    });

    test('the OpenAPI document is served at /docs/json', async () => {
      const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
      assert.equal(res.statusCode, 200);
      const doc = res.json();
      assert.ok(doc.paths['/api/v1/orgs/{org}/workspaces/{ws}/apps/{app}/deployments']);
      assert.ok(doc.paths['/api/v1/deployments/{id}/events']);
    });
  });
}
