// Platform domains and custom domains (issue 14): with LOCO_BASE_DOMAINS set, a route's host must
// lie under a base domain, in the workspace's own default zone, or under a custom domain the
// workspace verified through a DNS TXT challenge (looked up through a DNS double on loopback UDP).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { call, followEvents, startTestApi, type TestApi } from './helpers.ts';
import { workspaceSlug } from '../../generator/names.ts';
import { startDnsDouble, type DnsDouble } from '../doubles/dns/server.ts';

function service(name: string, routing: string): string {
  return `[Metadata]\nName = "${name}"\nType = "SERVICE"\n\n[Build]\nImage = "registry.example.com/acme/${name}:1"\n\n[Routing]\nPort = 8080\n${routing}\n`;
}

describe('platform and custom domains', () => {
  let api: TestApi;
  let dns: DnsDouble;
  const W = '/orgs/default/workspaces/default';
  const O = '/orgs/default/workspaces/other';
  const deploy = (ws: string, name: string, routing: string, extra: Record<string, unknown> = {}) =>
    call(api.app, api.adminToken, 'POST', `${ws}/apps/${name}/deployments`, { config: service(name, routing), profile: 'default', image: `registry.example.com/acme/${name}:1`, ...extra });
  const shop = 'Subdomain = "shop"\nBaseDomain = "example.com"';

  before(async () => {
    dns = await startDnsDouble();
    api = await startTestApi('pglite', { certificateIssuer: 'letsencrypt-prod', baseDomains: ['deploy-app.com', 'apps.example.org'], dnsServers: [dns.server] });
    assert.equal((await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces', { name: 'other' })).statusCode, 201);
  });
  after(async () => {
    await api?.close();
    await dns?.stop();
  });

  test("hosts under the platform's base domains and the workspace's default host are accepted", async () => {
    assert.equal((await deploy(W, 'web', 'Subdomain = "web"\nBaseDomain = "dev.deploy-app.com"')).statusCode, 202);
    assert.equal((await deploy(W, 'docs', 'BaseDomain = "apps.example.org"')).statusCode, 202);
    assert.equal((await deploy(W, 'plain', 'PathPrefix = "/"')).statusCode, 202, 'no BaseDomain: <app>.<profile>.<org>--<workspace>.loco.localhost');
  });

  test("a BaseDomain outside the platform's is refused (also on a dry run), naming the host and the way out", async () => {
    for (const extra of [{}, { dryRun: true }]) {
      const res = await deploy(W, 'evil', 'Subdomain = "login"\nBaseDomain = "bank.example.net"', extra);
      assert.equal(res.statusCode, 400, res.body);
      const problem = res.json();
      assert.equal(problem.code, 'validation.host-not-allowed');
      assert.equal(problem.detail, "host login.bank.example.net is outside the platform's base domains (deploy-app.com, apps.example.org) and is not a verified custom domain of this workspace");
      assert.match(problem.hint, /loco domains add login\.bank\.example\.net/);
    }
    // a look-alike is not under the base domain: whole labels count
    assert.equal((await deploy(W, 'evil', 'Subdomain = "x"\nBaseDomain = "evildeploy-app.com"')).statusCode, 400);
  });

  test("another workspace's default zone is not a base domain", async () => {
    const res = await deploy(O, 'web', 'Subdomain = "plain"\nBaseDomain = "default.default--default.loco.localhost"');
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().code, 'validation.host-not-allowed');
  });

  test('an unverified custom domain is refused; the TXT challenge verifies it; then its routes deploy', async () => {
    const added = await call(api.app, api.adminToken, 'POST', `${W}/domains`, { domain: 'Shop.Example.com' });
    assert.equal(added.statusCode, 201, added.body);
    const domain = added.json();
    assert.equal(domain.domain, 'shop.example.com');
    assert.equal(domain.verified, false);
    assert.equal(domain.challenge.name, '_loco-challenge.shop.example.com');
    assert.equal(domain.challenge.type, 'TXT');
    assert.match(domain.challenge.value, /^loco-verify=[A-Za-z0-9_-]{20,}$/);

    assert.equal((await deploy(W, 'shop', shop)).statusCode, 400, 'unverified: refused');

    const none = await call(api.app, api.adminToken, 'POST', `${W}/domains/shop.example.com/verify`);
    assert.equal(none.statusCode, 409, none.body);
    assert.equal(none.json().code, 'conflict.domain-unverified');
    assert.equal(none.json().detail, '_loco-challenge.shop.example.com has no TXT record yet');
    assert.match(none.json().hint, new RegExp(`TXT "${domain.challenge.value}"`));

    dns.setTxt('_loco-challenge.shop.example.com', ['loco-verify=someone-elses']);
    const wrong = await call(api.app, api.adminToken, 'POST', `${W}/domains/shop.example.com/verify`);
    assert.equal(wrong.statusCode, 409);
    assert.match(wrong.json().detail, /has TXT "loco-verify=someone-elses", not this workspace's token/);
    assert.equal((await deploy(W, 'shop', shop)).statusCode, 400, 'still unverified');

    dns.setTxt('_loco-challenge.shop.example.com', ['v=spf1 -all', domain.challenge.value]);
    const ok = await call(api.app, api.adminToken, 'POST', `${W}/domains/shop.example.com/verify`);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().verified, true);
    assert.equal(ok.json().challenge, undefined);
    assert.ok(dns.questions.some((q) => q.name === '_loco-challenge.shop.example.com' && q.type === 16), 'Loco asked DNS for the TXT record');
    assert.deepEqual(dns.violations, []);

    const accepted = await deploy(W, 'shop', shop);
    assert.equal(accepted.statusCode, 202, 'verified: accepted');
    await followEvents(api.app, api.adminToken, accepted.json().id);
    const gitdir = join(api.dataDir, 'repos', `${workspaceSlug('default', 'default')}.git`);
    const show = (file: string) => execFileSync('git', [`--git-dir=${gitdir}`, 'show', `main:apps/shop/overlays/default/${file}`], { encoding: 'utf8' });
    assert.match(show('certificate.yaml'), /kind: Certificate[\s\S]*dnsNames:\n\s+- shop\.example\.com[\s\S]*name: letsencrypt-prod/);
    assert.match(show('kustomization.yaml'), /- certificate\.yaml/);
    assert.equal((await deploy(W, 'shop-api', 'Subdomain = "api"\nBaseDomain = "shop.example.com"')).statusCode, 202, 'names under the domain too');
    const list = (await call(api.app, api.adminToken, 'GET', `${W}/domains`)).json();
    assert.deepEqual(list.map((d: { domain: string; verified: boolean }) => [d.domain, d.verified]), [['shop.example.com', true]]);
  });

  test("a domain verified by one workspace is not another's: adding it is a 409, routing on it a 400", async () => {
    const res = await call(api.app, api.adminToken, 'POST', `${O}/domains`, { domain: 'shop.example.com' });
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().code, 'conflict.domain-taken');
    assert.doesNotMatch(res.body, /default/);
    assert.equal((await deploy(O, 'shop', 'Subdomain = "www"\nBaseDomain = "shop.example.com"')).statusCode, 400);
  });

  test("a platform base domain cannot be added as a custom domain", async () => {
    const res = await call(api.app, api.adminToken, 'POST', `${W}/domains`, { domain: 'team.deploy-app.com' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'validation.domain');
  });

  test('a domain in use cannot be removed; once its apps are gone it can', async () => {
    const busy = await call(api.app, api.adminToken, 'DELETE', `${W}/domains/shop.example.com`);
    assert.equal(busy.statusCode, 409, busy.body);
    assert.equal(busy.json().code, 'conflict.domain-in-use');
    for (const app of ['shop', 'shop-api']) assert.equal((await call(api.app, api.adminToken, 'DELETE', `${W}/apps/${app}?confirm=true`)).statusCode, 200);
    const removed = await call(api.app, api.adminToken, 'DELETE', `${W}/domains/shop.example.com`);
    assert.equal(removed.statusCode, 200, removed.body);
    assert.deepEqual((await call(api.app, api.adminToken, 'GET', `${W}/domains`)).json(), []);
    assert.equal((await deploy(W, 'shop', shop)).statusCode, 400, 'no longer verified');
  });
});

describe('custom domains on a platform without LOCO_BASE_DOMAINS', () => {
  test("another workspace's verified custom domain stays theirs even where hosts are not restricted", async () => {
    const dns = await startDnsDouble();
    const api = await startTestApi('pglite', { runner: { disabled: true }, dnsServers: [dns.server] });
    try {
      const W = '/orgs/default/workspaces/default';
      assert.equal((await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces', { name: 'other' })).statusCode, 201);
      const added = (await call(api.app, api.adminToken, 'POST', `${W}/domains`, { domain: 'brand.example' })).json();
      dns.setTxt(added.challenge.name, [added.challenge.value]);
      assert.equal((await call(api.app, api.adminToken, 'POST', `${W}/domains/brand.example/verify`)).statusCode, 200);
      const deploy = (ws: string) => call(api.app, api.adminToken, 'POST', `/orgs/default/workspaces/${ws}/apps/www/deployments`,
        { config: service('www', 'BaseDomain = "brand.example"'), profile: 'default', image: 'registry.example.com/acme/www:1' });
      const res = await deploy('other');
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().detail, 'host www.brand.example is under brand.example, a custom domain of another workspace');
      assert.equal((await deploy('default')).statusCode, 202);
    } finally {
      await api.close();
      await dns.stop();
    }
  });
});
