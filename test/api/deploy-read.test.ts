// The access reads of concurrent deploys share statements (api/deployments/deploy-read.ts), and a
// burst is answered exactly as the same deploys one after the other would be: in one burst, the
// member's deploy is accepted, a stranger gets 404 (the workspace is hidden, as alone), a reader
// 403 naming the role, a deploy token used for another app 403 naming its scope, a deploy to an
// unknown workspace 404, and a host under a domain another workspace verified 400 naming it.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, DATABASE_KINDS, startTestApi, userWithToken, type TestApi } from './helpers.ts';
import { deployReadStats } from '../../api/deployments/deploy-read.ts';
import { prepareDeployStatements } from '../../api/deployments/deploy-statements.ts';
import { startDnsDouble, type DnsDouble } from '../doubles/dns/server.ts';

/** A SERVICE's loco.toml (profile `default`) at https://<subdomain>.<baseDomain>/. */
function service(name: string, subdomain: string, baseDomain = 'dev.deploy-app.com'): string {
  return ['[Metadata]', `Name = "${name}"`, 'Type = "SERVICE"', '', '[Build]', `Image = "registry.example.com/acme/${name}:1"`, '',
    '[Routing]', 'Port = 8080', `Subdomain = "${subdomain}"`, `BaseDomain = "${baseDomain}"`, ''].join('\n');
}

for (const kind of DATABASE_KINDS) {
  describe(`deploy access reads shared by a burst (${kind})`, () => {
    let api: TestApi;
    let dns: DnsDouble;
    let stranger: string;
    let reader: string;
    let deployToken: string;
    const W = '/orgs/default/workspaces';
    const deploy = (token: string, ws: string, name: string, subdomain = name, baseDomain?: string) =>
      call(api.app, token, 'POST', `${W}/${ws}/apps/${name}/deployments`, { config: service(name, subdomain, baseDomain), profile: 'default', image: `registry.example.com/acme/${name}:1` });

    before(async () => {
      dns = await startDnsDouble();
      // the runner is off: what is tested is how the requests are answered
      api = await startTestApi(kind, { runner: { disabled: true }, dnsServers: [dns.server] });
      const admin = api.adminToken;
      assert.equal((await call(api.app, admin, 'POST', W, { name: 'other' })).statusCode, 201);
      stranger = await userWithToken(api.app, 'stranger');
      reader = await userWithToken(api.app, 'rita');
      assert.equal((await call(api.app, admin, 'POST', `${W}/default/members`, { user: 'rita', role: 'read' })).statusCode, 201);
      const token = await call(api.app, admin, 'POST', `${W}/default/deploy-tokens`, { app: 'api', profile: 'default' });
      assert.equal(token.statusCode, 201, token.body);
      deployToken = token.json().token;
      // shop.example.com is verified by the workspace `other`
      const added = await call(api.app, admin, 'POST', `${W}/other/domains`, { domain: 'shop.example.com' });
      assert.equal(added.statusCode, 201, added.body);
      dns.setTxt(added.json().challenge.name, [added.json().challenge.value]);
      assert.equal((await call(api.app, admin, 'POST', `${W}/other/domains/shop.example.com/verify`)).statusCode, 200);
    });
    after(async () => {
      await api?.close();
      await dns?.stop();
    });

    test('each deploy of a burst gets its own answer, and the reads shared statements', async () => {
      const before = { ...deployReadStats(api.app.loco.em()) };
      const admin = api.adminToken;
      const answers = await Promise.all([
        deploy(admin, 'default', 'alpha'),
        deploy(stranger, 'default', 'beta'),
        deploy(admin, 'default', 'gamma'),
        deploy(reader, 'default', 'delta'),
        deploy(deployToken, 'default', 'web'),
        deploy(deployToken, 'default', 'api'),
        deploy(admin, 'nowhere', 'epsilon'),
        deploy(admin, 'default', 'store', 'store', 'shop.example.com'),
        deploy(admin, 'other', 'zeta'),
      ]);
      const got = answers.map((r) => [r.statusCode, r.statusCode === 202 ? 'accepted' : r.json().code]);
      assert.deepEqual(got, [
        [202, 'accepted'],
        [404, 'not-found.workspace'],
        [202, 'accepted'],
        [403, 'auth.forbidden'],
        [403, 'auth.forbidden'],
        [202, 'accepted'],
        [404, 'not-found.workspace'],
        [400, 'validation.host-not-allowed'],
        [202, 'accepted'],
      ], answers.map((r) => r.body).join('\n'));
      assert.equal(answers[1].json().detail, answers[6].json().detail.replace('nowhere', 'default'), 'a stranger learns no more than about a workspace that does not exist');
      assert.match(answers[3].json().detail, /your role in default\/default is read; this needs deploy/);
      assert.match(answers[4].json().detail, /api/, 'the deploy token says which app it may deploy');
      assert.match(answers[7].json().detail, /store\.shop\.example\.com is under shop\.example\.com, a custom domain of another workspace/);
      const rows = await api.app.loco.em().execute<{ app: string; workspace: string }[]>(
        `select d.app, w.name as workspace from deployments d join workspaces w on w.id = d.workspace_id order by d.app`);
      assert.deepEqual(rows.map((r) => `${r.workspace}/${r.app}`), ['default/alpha', 'default/api', 'default/gamma', 'other/zeta']);
      const after = deployReadStats(api.app.loco.em());
      assert.ok(after.shared - before.shared >= 2, `some reads shared a statement (${after.shared - before.shared} of 9)`);
      assert.equal(after.readAgain - before.readAgain, 0, 'no shared read failed');
    });

    test('the statements planned at start (npm start) read and write nothing', async () => {
      const em = api.app.loco.em();
      const counts = () => em.execute<{ n: string }[]>(`select (select count(*) from deployments) || '/' || (select count(*) from apps) || '/' || (select count(*) from route_hosts)
        || '/' || (select count(*) from route_claims) || '/' || (select count(*) from events) as n`);
      const before = await counts();
      await prepareDeployStatements(em);
      assert.deepEqual(await counts(), before);
      if (kind === 'pglite') {
        // one session: the statements it planned are the ones the next burst uses
        const prepared = await em.execute<{ statement: string }[]>(`select statement from pg_prepared_statements where name like 'loco_%'`);
        assert.ok(prepared.some((p) => p.statement.includes('jsonb_to_recordset($1::jsonb) as q(k int, user_id text')), 'the shared read is planned');
        assert.ok(prepared.some((p) => p.statement.includes('app_row as (insert into apps (id, workspace_id, name) select new_app_id')), 'the record batch is planned');
      }
    });

    test('a lone deploy is answered by itself as before', async () => {
      const res = await deploy(reader, 'default', 'solo');
      assert.equal(res.statusCode, 403);
      assert.equal((await deploy(api.adminToken, 'default', 'solo')).statusCode, 202);
    });
  });
}
