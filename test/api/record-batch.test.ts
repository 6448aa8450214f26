// Deploy records of concurrent requests written together (api/deployments/record-batch.ts): a
// burst of deploys is accepted exactly as the same deploys one after the other would be. Each
// gets its own deployment, first event and route claims. A refused one (a host of another
// workspace, a path prefix held by another app) fails alone with its own 409 and leaves nothing
// behind. Two requests with one idempotency key get one deployment. On PGlite and PostgreSQL.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, DATABASE_KINDS, startTestApi, type TestApi } from './helpers.ts';
import { recordBatchStats } from '../../api/deployments/create.ts';

/** A SERVICE's loco.toml (profile `default`) routed at https://<subdomain>.dev.deploy-app.com<prefix>. */
function service(name: string, subdomain: string, pathPrefix = '/'): string {
  return ['[Metadata]', `Name = "${name}"`, 'Type = "SERVICE"', '', '[Build]', `Image = "registry.example.com/acme/${name}:1"`, '',
    '[Routing]', 'Port = 8080', `Subdomain = "${subdomain}"`, 'BaseDomain = "dev.deploy-app.com"', `PathPrefix = "${pathPrefix}"`, ''].join('\n');
}

for (const kind of DATABASE_KINDS) {
  describe(`deploy records written together (${kind})`, () => {
    let api: TestApi;
    const deploy = (ws: string, name: string, subdomain: string, extra: Record<string, unknown> = {}, pathPrefix = '/') =>
      call(api.app, api.adminToken, 'POST', `/orgs/default/workspaces/${ws}/apps/${name}/deployments`, { config: service(name, subdomain, pathPrefix), profile: 'default', image: `registry.example.com/acme/${name}:1`, ...extra });
    const sql = <T>(text: string, params: unknown[] = []) => api.app.loco.em().execute<T[]>(text, params);

    before(async () => {
      // the runner is off: what is tested is what the requests record
      api = await startTestApi(kind, { runner: { disabled: true } });
      assert.equal((await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces', { name: 'other' })).statusCode, 201);
      assert.equal((await deploy('default', 'shop', 'shop')).statusCode, 202);
    });
    after(async () => api?.close());

    test('a burst of 24 deploys: each has its deployment, its first event and its claim, and some shared a statement', async () => {
      const before = { ...recordBatchStats(api.app.loco.em()) };
      const names = Array.from({ length: 24 }, (_, i) => `burst${i}`);
      const answers = await Promise.all(names.map((name, i) => deploy(i % 2 ? 'other' : 'default', name, name)));
      for (const [i, res] of answers.entries()) assert.equal(res.statusCode, 202, `${names[i]}: ${res.body}`);
      const ids = answers.map((res) => res.json().id as string);
      assert.equal(new Set(ids).size, 24, 'one deployment each');
      const rows = await sql<{ id: string; app: string; status: string; last_event_seq: number; events: number; first: string }>(
        `select d.id, d.app, d.status, d.last_event_seq, (select count(*)::int from events e where e.deployment_id = d.id) as events,
                (select e.type from events e where e.deployment_id = d.id and e.seq = 1) as first
           from deployments d where d.id in (${ids.map(() => '?').join(', ')})`, ids);
      assert.equal(rows.length, 24);
      for (const row of rows) {
        assert.equal(row.status, 'pending');
        assert.equal(row.first, 'pending', `${row.app}: its first event`);
        assert.equal(row.events, row.last_event_seq, `${row.app}: its events are numbered 1..last_event_seq`);
      }
      const claims = await sql<{ app: string; host: string; workspace: string }>(
        `select c.app, c.host, w.name as workspace from route_claims c join workspaces w on w.id = c.workspace_id where c.app like 'burst%'`);
      assert.equal(claims.length, 24, 'each deploy took its route');
      for (const c of claims) assert.equal(c.host, `${c.app}.dev.deploy-app.com`);
      assert.deepEqual(new Set(claims.filter((c) => Number(c.app.slice(5)) % 2 === 1).map((c) => c.workspace)), new Set(['other']), 'in its own workspace');
      const after = recordBatchStats(api.app.loco.em());
      assert.ok(after.batched - before.batched >= 2, `some records shared a statement (${after.batched - before.batched} of 24)`);
      assert.equal(after.fellBack - before.fellBack, 0, 'none of these had to be written again alone');
    });

    test('in a burst, a deploy on another workspace\'s host and one on a taken path prefix fail alone; the rest land', async () => {
      const before = { ...recordBatchStats(api.app.loco.em()) };
      const answers = await Promise.all([
        deploy('default', 'mixa', 'mixa'),
        deploy('other', 'intruder', 'shop'), // shop.dev.deploy-app.com belongs to default
        deploy('default', 'mixb', 'mixb'),
        deploy('default', 'shop2', 'shop'), // path prefix / on the shop host is held by shop
        deploy('default', 'mixc', 'mixc'),
      ]);
      assert.deepEqual(answers.map((r) => r.statusCode), [202, 409, 202, 409, 202], answers.map((r) => r.body).join('\n'));
      assert.equal(answers[1].json().code, 'conflict.host-taken');
      assert.equal(answers[1].json().detail, 'host shop.dev.deploy-app.com belongs to another workspace');
      assert.equal(answers[3].json().code, 'conflict.route-taken');
      assert.match(answers[3].json().detail, /already routed to shop@default/);
      const refused = await sql<{ n: number }>(`select count(*)::int as n from apps where name in ('intruder', 'shop2')`);
      assert.equal(refused[0].n, 0, 'a refused deploy leaves no app row');
      const landed = await sql<{ app: string }>(`select app from route_claims where app like 'mix%' order by app`);
      assert.deepEqual(landed.map((r) => r.app), ['mixa', 'mixb', 'mixc']);
      assert.ok(recordBatchStats(api.app.loco.em()).fellBack > before.fellBack, 'the shared statement was refused and its records written again alone');
    });

    test('a host one app leaves while, at once, another app of the workspace and then one of another workspace take it: each ends as one after the other would', async () => {
      assert.equal((await deploy('default', 'mover', 'moving')).statusCode, 202);
      // mover leaves moving.… for moved.…; taker (same workspace) takes moving.… in the same burst
      const [left, taken] = await Promise.all([deploy('default', 'mover', 'moved'), deploy('default', 'taker', 'moving')]);
      assert.equal(left.statusCode, 202, left.body);
      assert.equal(taken.statusCode, 202, taken.body);
      const held = await sql<{ app: string; host: string; owner: string }>(
        `select c.app, c.host, (select w.name from route_hosts h join workspaces w on w.id = h.workspace_id where h.host = c.host) as owner
           from route_claims c where c.app in ('mover', 'taker') order by c.app`);
      assert.deepEqual(held.map((r) => [r.app, r.host, r.owner]), [['mover', 'moved.dev.deploy-app.com', 'default'], ['taker', 'moving.dev.deploy-app.com', 'default']]);

      // now another workspace's app takes a host the moment its only app leaves it
      assert.equal((await deploy('default', 'leaver', 'freed')).statusCode, 202);
      const [gone, claimed] = await Promise.all([deploy('default', 'leaver', 'elsewhere'), deploy('other', 'newcomer', 'freed')]);
      assert.equal(gone.statusCode, 202, gone.body);
      assert.equal(claimed.statusCode, 202, `the host was free once leaver left it: ${claimed.body}`);
      const owner = await sql<{ owner: string }>(`select w.name as owner from route_hosts h join workspaces w on w.id = h.workspace_id where h.host = 'freed.dev.deploy-app.com'`);
      assert.deepEqual(owner.map((r) => r.owner), ['other']);
    });

    test('two requests with one idempotency key, at once, get one deployment; two deploys of one app at once both land', async () => {
      const [a, b] = await Promise.all([deploy('default', 'same', 'same', { idempotencyKey: 'k-1' }), deploy('default', 'same', 'same', { idempotencyKey: 'k-1' })]);
      assert.equal(a.statusCode, 202, a.body);
      assert.equal(b.statusCode, 202, b.body);
      assert.equal(a.json().id, b.json().id);
      const [first, second] = await Promise.all([deploy('default', 'twice', 'twice'), deploy('default', 'twice', 'twice', { image: 'registry.example.com/acme/twice:2' })]);
      assert.equal(first.statusCode, 202, first.body);
      assert.equal(second.statusCode, 202, second.body);
      const rows = await sql<{ id: string; image: string }>(`select id, image from deployments where app = 'twice' order by image`);
      assert.deepEqual(rows.map((r) => [r.id, r.image]), [[first.json().id, 'registry.example.com/acme/twice:1'], [second.json().id, 'registry.example.com/acme/twice:2']]);
    });
  });
}
