// Hostnames owned (issue 14): a workspace's host cannot be taken by another workspace, on any path
// prefix; apps of one workspace share a host on different prefixes; gRPC services are claimed per
// host; a refused deploy leaves nothing behind; destroying an app frees its hosts; dry runs check
// without taking; and of two workspaces racing for one host exactly one wins. On PGlite and on
// PostgreSQL (where the race is truly concurrent: the pool has several connections).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, DATABASE_KINDS, startTestApi, type TestApi } from './helpers.ts';
import { CLAIM_HOST_KEY } from '../../api/db/migrations/Migration20261203000000_claim_host_fk.ts';
import { takeClaims } from '../../api/routing/claims.ts';

interface Route { subdomain?: string; baseDomain?: string; pathPrefix?: string; grpcServices?: string[] }

/** A SERVICE's loco.toml with one profile (`default`) and the routing given. */
function service(name: string, route: Route): string {
  const lines = [
    '[Metadata]', `Name = "${name}"`, 'Type = "SERVICE"', '', '[Build]', `Image = "registry.example.com/acme/${name}:1"`, '', '[Routing]', 'Port = 8080',
    ...(route.subdomain ? [`Subdomain = "${route.subdomain}"`] : []),
    ...(route.baseDomain ? [`BaseDomain = "${route.baseDomain}"`] : []),
    ...(route.grpcServices ? ['Protocol = "grpc"', `GrpcServices = [${route.grpcServices.map((s) => `"${s}"`).join(', ')}]`] : [`PathPrefix = "${route.pathPrefix ?? '/'}"`]),
  ];
  return `${lines.join('\n')}\n`;
}

const shop: Route = { subdomain: 'shop', baseDomain: 'dev.deploy-app.com' };

for (const kind of DATABASE_KINDS) {
  describe(`route claims (${kind})`, () => {
    let api: TestApi;
    const deploy = (ws: string, name: string, route: Route, extra: Record<string, unknown> = {}) =>
      call(api.app, api.adminToken, 'POST', `/orgs/default/workspaces/${ws}/apps/${name}/deployments`, { config: service(name, route), profile: 'default', image: `registry.example.com/acme/${name}:1`, ...extra });
    const apps = async (ws: string) => ((await call(api.app, api.adminToken, 'GET', `/orgs/default/workspaces/${ws}/apps`)).json() as { name: string }[]).map((a) => a.name);

    before(async () => {
      // the runner is off: what is tested is what the request accepts, not the commits after it
      api = await startTestApi(kind, { runner: { disabled: true } });
      for (const name of ['other', 'third']) assert.equal((await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces', { name })).statusCode, 201);
      assert.equal((await deploy('default', 'shop', shop)).statusCode, 202);
    });
    after(async () => api?.close());

    test("another workspace's deploy on a taken host is refused with 409, naming the host but not its owner, and leaves nothing behind", async () => {
      const res = await deploy('other', 'storefront', shop);
      assert.equal(res.statusCode, 409, res.body);
      const problem = res.json();
      assert.equal(problem.code, 'conflict.host-taken');
      assert.equal(problem.detail, 'host shop.dev.deploy-app.com belongs to another workspace');
      assert.doesNotMatch(res.body, /default/, 'the owning workspace is not named');
      assert.deepEqual(await apps('other'), [], 'no app row was created');
    });

    test('a longer path prefix on another workspace\'s host is refused too', async () => {
      const res = await deploy('other', 'admin', { ...shop, pathPrefix: '/admin' });
      assert.equal(res.statusCode, 409, res.body);
      assert.equal(res.json().code, 'conflict.host-taken');
    });

    test('a dry run on a taken host is refused the same way', async () => {
      const res = await deploy('other', 'storefront', shop, { dryRun: true });
      assert.equal(res.statusCode, 409, res.body);
      assert.equal(res.json().code, 'conflict.host-taken');
    });

    test('a dry run checks a free host but does not take it', async () => {
      const free = { subdomain: 'free', baseDomain: 'dev.deploy-app.com' };
      assert.equal((await deploy('other', 'free', free, { dryRun: true })).statusCode, 200);
      assert.equal((await deploy('third', 'free', free)).statusCode, 202, 'another workspace may still take it');
    });

    test('apps of one workspace share a host on different path prefixes (/ and /api), and a redeploy keeps its claim', async () => {
      assert.equal((await deploy('default', 'api', { ...shop, pathPrefix: '/api' })).statusCode, 202);
      assert.equal((await deploy('default', 'shop', shop)).statusCode, 202, 'redeploy of the same app and profile');
    });

    test('the same path prefix on the same host by another app of the workspace is a clear 409 naming the app that holds it', async () => {
      const res = await deploy('default', 'api2', { ...shop, pathPrefix: '/api' });
      assert.equal(res.statusCode, 409, res.body);
      const problem = res.json();
      assert.equal(problem.code, 'conflict.route-taken');
      assert.equal(problem.detail, 'path prefix /api on shop.dev.deploy-app.com is already routed to api@default in this workspace');
      assert.match(problem.hint, /PathPrefix/);
    });

    test('a gRPC service already claimed on a host is refused; another service on that host is not', async () => {
      const grpc = { subdomain: 'rpc', baseDomain: 'dev.deploy-app.com' };
      assert.equal((await deploy('default', 'cart', { ...grpc, grpcServices: ['shop.v1.Cart'] })).statusCode, 202);
      const res = await deploy('default', 'cart2', { ...grpc, grpcServices: ['shop.v1.Cart'] });
      assert.equal(res.statusCode, 409, res.body);
      assert.equal(res.json().detail, 'gRPC service shop.v1.Cart on rpc.dev.deploy-app.com is already routed to cart@default in this workspace');
      assert.equal((await deploy('default', 'pay', { ...grpc, grpcServices: ['shop.v1.Pay'] })).statusCode, 202);
      const foreign = await deploy('other', 'pay', { ...grpc, grpcServices: ['shop.v1.Refund'] });
      assert.equal(foreign.statusCode, 409, 'another workspace gets no service on the host');
      assert.equal(foreign.json().code, 'conflict.host-taken');
    });

    test('moving an app to another host frees the old one', async () => {
      const before = { subdomain: 'moving', baseDomain: 'dev.deploy-app.com' };
      assert.equal((await deploy('default', 'mover', before)).statusCode, 202);
      assert.equal((await deploy('other', 'mover', before)).statusCode, 409);
      assert.equal((await deploy('default', 'mover', { subdomain: 'moved', baseDomain: 'dev.deploy-app.com' })).statusCode, 202);
      assert.equal((await deploy('other', 'mover', before)).statusCode, 202, 'the old host is free');
    });

    test('a redeploy refused for its new route keeps what the app had: its old host stays taken, no deployment or event is added', async () => {
      const kept = { subdomain: 'kept', baseDomain: 'dev.deploy-app.com' };
      assert.equal((await deploy('default', 'keeper', kept)).statusCode, 202);
      const list = async () => (await call(api.app, api.adminToken, 'GET', '/orgs/default/workspaces/default/apps/keeper/deployments')).json() as { id: string }[];
      const [first] = await list();
      const eventsOf = async (id: string) => (await call(api.app, api.adminToken, 'GET', `/deployments/${id}/events`)).json() as { seq: number; type: string }[];
      const eventsBefore = await eventsOf(first.id);
      // recorded with the deployment: the pending event, then the image's, numbered from 1
      assert.deepEqual(eventsBefore.map((e) => e.seq), eventsBefore.map((_, i) => i + 1));
      assert.equal(eventsBefore[0].type, 'pending');
      assert.ok(eventsBefore.some((e) => e.type === 'image'), JSON.stringify(eventsBefore));
      // moving onto /api of shop's host, which api@default holds: refused after the statement let go of kept
      const res = await deploy('default', 'keeper', { ...shop, pathPrefix: '/api' });
      assert.equal(res.statusCode, 409, res.body);
      assert.equal(res.json().code, 'conflict.route-taken');
      assert.deepEqual((await list()).map((d) => d.id), [first.id], 'no deployment was recorded');
      assert.deepEqual(await eventsOf(first.id), eventsBefore, 'the earlier deployment has no new event');
      const foreign = await deploy('other', 'keeper', kept);
      assert.equal(foreign.statusCode, 409, 'the old host was not released');
      assert.equal(foreign.json().code, 'conflict.host-taken');
      assert.equal((await deploy('default', 'keeper2', { ...kept, pathPrefix: '/' })).json().code, 'conflict.route-taken', 'and its claim on it stands');
    });

    test('destroying an app frees its host for another workspace', async () => {
      const host = { subdomain: 'gone', baseDomain: 'dev.deploy-app.com' };
      assert.equal((await deploy('default', 'gone', host)).statusCode, 202);
      assert.equal((await deploy('other', 'gone', host)).statusCode, 409);
      const deleted = await call(api.app, api.adminToken, 'DELETE', '/orgs/default/workspaces/default/apps/gone?confirm=true');
      assert.equal(deleted.statusCode, 200, deleted.body);
      assert.equal((await deploy('other', 'gone', host)).statusCode, 202);
    });

    test('two workspaces racing for one host: exactly one wins, every time', async () => {
      for (let round = 0; round < 8; round++) {
        const host = { subdomain: `race${round}`, baseDomain: 'dev.deploy-app.com' };
        const [a, b] = await Promise.all([deploy('other', `r${round}`, host), deploy('third', `r${round}`, host)]);
        const codes = [a.statusCode, b.statusCode].sort();
        assert.deepEqual(codes, [202, 409], `round ${round}: ${a.body} / ${b.body}`);
        const loser = a.statusCode === 409 ? 'other' : 'third';
        assert.ok(!(await apps(loser)).includes(`r${round}`), 'the loser recorded no app');
      }
    });

    test('the migration to the claim-host key gives an orphaned claim its host back and removes the intruder on it', async () => {
      const em = api.app.loco.em();
      const ws = async (name: string) => (await em.execute<{ id: string }[]>(`select id from workspaces where name = ?`, [name]))[0].id;
      const host = { subdomain: 'orphan', baseDomain: 'dev.deploy-app.com' };
      assert.equal((await deploy('default', 'orphaned', host)).statusCode, 202);
      // the state the race left behind before the key: the host row gone, then another workspace on the host
      await em.execute(`alter table route_claims drop constraint route_claims_host_fkey`);
      await em.execute(`alter table route_hosts drop constraint route_hosts_host_workspace_key`);
      await em.execute(`delete from route_hosts where host = 'orphan.dev.deploy-app.com'`);
      assert.equal((await deploy('other', 'intruder', { ...host, pathPrefix: '/x' })).statusCode, 202, 'without the host row the breach is possible');
      await em.execute(`delete from route_hosts where host = 'orphan.dev.deploy-app.com'`);
      for (const statement of CLAIM_HOST_KEY) await em.execute(statement);
      assert.deepEqual(await em.execute(`select workspace_id from route_hosts where host = 'orphan.dev.deploy-app.com'`), [{ workspace_id: await ws('default') }]);
      assert.deepEqual((await em.execute<{ app: string }[]>(`select app from route_claims where host = 'orphan.dev.deploy-app.com' order by app`)).map((r) => r.app), ['orphaned']);
      const again = await deploy('other', 'intruder', { ...host, pathPrefix: '/x' });
      assert.equal(again.statusCode, 409, again.body);
    });

    test('an app leaving a host while another app of its workspace takes a route on it: the host stays the workspace\'s', async () => {
      for (let round = 0; round < 8; round++) {
        const host = { subdomain: `move${round}`, baseDomain: 'dev.deploy-app.com' };
        assert.equal((await deploy('default', `leaver${round}`, host)).statusCode, 202);
        // at once: the leaver moves to another host (releasing this one, as it holds the only
        // claim here in its snapshot) and a second app takes /api on this host
        const [left, joined] = await Promise.all([
          deploy('default', `leaver${round}`, { subdomain: `moved${round}`, baseDomain: 'dev.deploy-app.com' }),
          deploy('default', `joiner${round}`, { ...host, pathPrefix: '/api' }),
        ]);
        assert.deepEqual([left.statusCode, joined.statusCode], [202, 202], `round ${round}: ${left.body} / ${joined.body}`);
        // the host is still the workspace's: another workspace is refused on any prefix of it
        const intruder = await deploy('other', `intruder${round}`, { ...host, pathPrefix: '/shop' });
        assert.equal(intruder.statusCode, 409, `round ${round}: another workspace took a host that an app of default still routes: ${intruder.body}`);
        assert.equal(intruder.json().code, 'conflict.host-taken');
      }
    });

    test('the same race when the leaving app\'s routes change as a promotion lands (takeClaims in a transaction)', async () => {
      const em = api.app.loco.em();
      const [{ id: workspaceId }] = await em.execute<{ id: string }[]>(`select id from workspaces where name = 'default'`);
      for (let round = 0; round < 8; round++) {
        const host = { subdomain: `land${round}`, baseDomain: 'dev.deploy-app.com' };
        assert.equal((await deploy('default', `lander${round}`, host)).statusCode, 202);
        const [{ id: appId }] = await em.execute<{ id: string }[]>(`select id from apps where workspace_id = ? and name = ?`, [workspaceId, `lander${round}`]);
        const moved = [{ host: `landed${round}.dev.deploy-app.com`, protocol: 'http' as const, pathPrefix: '/' }];
        const [, joined] = await Promise.all([
          api.app.loco.em().transactional((tx) => takeClaims(tx, { workspaceId, appId, app: `lander${round}`, profile: 'default', claims: moved })),
          deploy('default', `joiner-l${round}`, { ...host, pathPrefix: '/api' }),
        ]);
        assert.equal(joined.statusCode, 202, joined.body);
        const intruder = await deploy('other', `intruder-l${round}`, { ...host, pathPrefix: '/shop' });
        assert.equal(intruder.statusCode, 409, `round ${round}: ${intruder.body}`);
      }
    });
  });
}
