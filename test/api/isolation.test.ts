// The isolation matrix: every workspace route × a user of another workspace, a user of another
// org, a read-only member, an expired deploy token and no token → the right 401/403/404, and no
// foreign data in any answer. A foreign workspace or deployment answers exactly like a missing one.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, config, followEvents, startTestApi, userWithToken, type TestApi } from './helpers.ts';
import { issueDeployToken } from '../../api/auth/tokens.ts';
import { User } from '../../api/db/entities.ts';
import { workspaceSlug } from '../../generator/names.ts';

interface Route {
  method: string;
  path: string;
  body?: unknown;
  need: 'read' | 'deploy' | 'admin';
}

describe('isolation matrix', () => {
  let api: TestApi;
  let deploymentId: string;
  let commit: string;
  const callers: Record<string, string> = {};
  const image = 'registry.example.com/secret-team/api:7';

  before(async () => {
    api = await startTestApi('pglite');
    const admin = api.adminToken;
    const d = await call(api.app, admin, 'POST', '/orgs/default/workspaces/default/apps/api/deployments', { config: config('api'), profile: 'dev', image });
    deploymentId = d.json().id;
    await followEvents(api.app, admin, deploymentId);
    commit = (await call(api.app, admin, 'GET', `/deployments/${deploymentId}`)).json().commit;

    // another workspace in the same org, its own admin
    await call(api.app, admin, 'POST', '/orgs/default/workspaces', { name: 'other' });
    await call(api.app, admin, 'POST', '/orgs/default/workspaces/other/members', { user: 'mallory', role: 'admin' });
    callers.otherWorkspace = await userWithToken(api.app, 'mallory');
    // another org entirely
    callers.otherOrg = await userWithToken(api.app, 'oscar');
    await call(api.app, callers.otherOrg, 'POST', '/orgs', { name: 'evil' });
    await call(api.app, callers.otherOrg, 'POST', '/orgs/evil/workspaces', { name: 'lab' });
    // a read-only member of the workspace
    await call(api.app, admin, 'POST', '/orgs/default/workspaces/default/members', { user: 'rita', role: 'read' });
    callers.reader = await userWithToken(api.app, 'rita');
    // a deploy token for the very app, expired
    const em = api.app.loco.em();
    const adminUser = await em.findOneOrFail(User, { name: 'admin' });
    const ws = await em.execute<{ id: string }[]>(`select id from workspaces where slug = ?`, [workspaceSlug('default', 'default')]);
    callers.expiredDeployToken = (await issueDeployToken(em, { userId: adminUser.id, workspaceId: ws[0].id, app: 'api', profile: 'dev' }, { now: new Date(Date.now() - 6 * 60_000) })).token;
  });
  after(async () => api?.close());

  const W = '/orgs/default/workspaces/default';
  const routes = (): Route[] => [
    { method: 'GET', path: W, need: 'read' },
    { method: 'DELETE', path: `${W}?confirm=true`, need: 'admin' },
    { method: 'GET', path: `${W}/members`, need: 'read' },
    { method: 'POST', path: `${W}/members`, body: { user: 'eve', role: 'admin' }, need: 'admin' },
    { method: 'DELETE', path: `${W}/members/rita`, need: 'admin' },
    { method: 'POST', path: `${W}/invitations`, body: { user: 'eve' }, need: 'admin' },
    { method: 'POST', path: `${W}/deploy-tokens`, body: { app: 'api', profile: 'dev' }, need: 'deploy' },
    { method: 'GET', path: `${W}/apps`, need: 'read' },
    { method: 'GET', path: `${W}/apps/api`, need: 'read' },
    { method: 'DELETE', path: `${W}/apps/api?confirm=true`, need: 'admin' },
    { method: 'POST', path: `${W}/apps/api/deployments`, body: { config: config('api'), profile: 'dev', image: 'x:1' }, need: 'deploy' },
    // the config is checked before access is read, but its refusal must not come first
    { method: 'POST', path: `${W}/apps/api/deployments`, body: { config: '[Metadata\nName = ', profile: 'dev', image: 'x:1' }, need: 'deploy' },
    { method: 'GET', path: `${W}/apps/api/deployments`, need: 'read' },
    { method: 'GET', path: `${W}/apps/api/status?profile=dev`, need: 'read' },
    { method: 'GET', path: `${W}/apps/api/logs?profile=dev`, need: 'read' },
    { method: 'GET', path: `${W}/apps/api/env?profile=dev`, need: 'read' },
    { method: 'POST', path: `${W}/apps/api/registry-credential`, body: { profile: 'dev' }, need: 'deploy' },
    { method: 'PATCH', path: `${W}/apps/api/env?profile=dev`, body: { set: { A: 'b' } }, need: 'deploy' },
    { method: 'POST', path: `${W}/apps/api/scale`, body: { profile: 'dev', replicas: 2 }, need: 'deploy' },
    { method: 'GET', path: `${W}/history`, need: 'read' },
    { method: 'GET', path: `/deployments/${deploymentId}`, need: 'read' },
    { method: 'GET', path: `/deployments/${deploymentId}/events`, need: 'read' },
    { method: 'POST', path: `/deployments/${deploymentId}/rollback`, body: {}, need: 'deploy' },
  ];

  /** The same request against a name/id that does not exist at all. */
  const missingTwin = (path: string) => path.replace('/workspaces/default', '/workspaces/nosuch').replace(deploymentId, 'dpl_01NOSUCHDEPLOYMENT0000000');

  /** Nothing the caller did not send: the id in the path may be echoed back, nothing else. */
  const assertNoForeignData = (body: string, where: string) => {
    const secrets = [commit, image, workspaceSlug('default', 'default'), 'secret-team', ...(where.includes(deploymentId) ? [] : [deploymentId])];
    for (const secret of secrets) {
      assert.ok(!body.includes(secret), `${where}: the answer leaks ${secret}: ${body}`);
    }
  };

  test('no token and an expired deploy token: 401 on every route', async () => {
    for (const route of routes()) {
      for (const [who, token] of [['no token', null], ['expired deploy token', callers.expiredDeployToken]] as const) {
        const res = await call(api.app, token, route.method, route.path, route.body);
        assert.equal(res.statusCode, 401, `${who} ${route.method} ${route.path}: ${res.body}`);
        assert.equal(res.json().code, who === 'no token' ? 'auth.missing-token' : 'auth.token-expired');
        assertNoForeignData(res.body, `${who} ${route.method} ${route.path}`);
      }
    }
  });

  test('a user of another workspace or another org: 404, exactly like a missing one', async () => {
    for (const route of routes()) {
      for (const who of ['otherWorkspace', 'otherOrg']) {
        const res = await call(api.app, callers[who], route.method, route.path, route.body);
        assert.equal(res.statusCode, 404, `${who} ${route.method} ${route.path}: ${res.body}`);
        assertNoForeignData(res.body, `${who} ${route.method} ${route.path}`);
        const twin = await call(api.app, callers[who], route.method, missingTwin(route.path), route.body);
        const strip = (b: string) => ({ ...JSON.parse(b), requestId: undefined });
        assert.deepEqual(strip(res.body), strip(twin.body.replaceAll('nosuch', 'default').replaceAll('dpl_01NOSUCHDEPLOYMENT0000000', deploymentId)),
          `${who} ${route.method} ${route.path} differs from a missing one`);
      }
    }
  });

  test('a read-only member reads but gets 403 for every change', async () => {
    for (const route of routes()) {
      const res = await call(api.app, callers.reader, route.method, route.path, route.body);
      if (route.need === 'read') {
        assert.ok(![401, 403, 404].includes(res.statusCode), `reader ${route.method} ${route.path}: ${res.statusCode} ${res.body}`);
      } else {
        assert.equal(res.statusCode, 403, `reader ${route.method} ${route.path}: ${res.body}`);
        assert.equal(res.json().code, 'auth.forbidden');
      }
    }
  });

  test('lists show outsiders nothing of the workspace', async () => {
    const me = (await call(api.app, callers.otherWorkspace, 'GET', '/me')).json();
    assert.deepEqual(me.memberships, [{ org: 'default', workspace: 'other', role: 'admin' }]);
    const list = await call(api.app, callers.otherWorkspace, 'GET', '/orgs/default/workspaces');
    assert.deepEqual(list.json().map((w: { name: string }) => w.name), ['other']);
    const org = await call(api.app, callers.otherOrg, 'GET', '/orgs/default');
    assert.equal(org.statusCode, 404);
    assert.equal((await call(api.app, callers.otherOrg, 'GET', '/orgs/default/workspaces')).statusCode, 404);
    assert.equal((await call(api.app, callers.reader, 'POST', '/orgs/default/workspaces', { name: 'mine' })).statusCode, 403);
    assert.equal((await call(api.app, callers.otherOrg, 'POST', '/orgs/default/workspaces', { name: 'mine' })).statusCode, 404);
    const orgs = (await call(api.app, callers.otherOrg, 'GET', '/orgs')).json();
    assert.deepEqual(orgs.map((o: { name: string }) => o.name), ['evil']);
  });
});
