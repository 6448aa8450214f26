// Claims and git agree (issue 14): `audit verify` reports routes in git that the claims do not
// hold — worst, a hand-pushed route on another workspace's host — and claims git no longer
// carries; `admin rebuild-from-git` takes the claims again from the routes at main's head, so a
// rebuilt database keeps other workspaces off the rebuilt workspace's hosts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, createTestDatabase, followEvents, startTestApi } from './helpers.ts';
import { workspaceSlug } from '../../generator/names.ts';

const service = (name: string, subdomain: string) =>
  `[Metadata]\nName = "${name}"\nType = "SERVICE"\n\n[Build]\nImage = "registry.example.com/acme/${name}:1"\n\n[Routing]\nPort = 8080\nSubdomain = "${subdomain}"\nBaseDomain = "dev.deploy-app.com"\n`;

const git = (args: string[], cwd?: string) => execFileSync('git', args, {
  encoding: 'utf8', ...(cwd ? { cwd } : {}),
  env: { ...process.env, GIT_AUTHOR_NAME: 'mallory', GIT_AUTHOR_EMAIL: 'mallory@example.com', GIT_COMMITTER_NAME: 'mallory', GIT_COMMITTER_EMAIL: 'mallory@example.com' },
});

test('audit verify reports routes in git that disagree with the claims; rebuild-from-git takes the claims again', { timeout: 120_000 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'loco-route-audit-'));
  const database = await createTestDatabase('postgresql');
  const api = await startTestApi('postgresql', {}, { dataDir, database });
  t.after(async () => { await api.close(); await database.drop(); await rm(dataDir, { recursive: true, force: true }); });
  const W = '/orgs/default/workspaces/default';
  const deploy = async (ws: string, name: string, subdomain: string, target = api) => {
    const res = await call(target.app, target.adminToken, 'POST', `${ws}/apps/${name}/deployments`, { config: service(name, subdomain), profile: 'default', image: `registry.example.com/acme/${name}:1` });
    if (res.statusCode === 202) await followEvents(target.app, target.adminToken, res.json().id);
    return res;
  };
  assert.equal((await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces', { name: 'other' })).statusCode, 201);
  assert.equal((await deploy(W, 'web', 'shop')).statusCode, 202);
  assert.equal((await deploy('/orgs/default/workspaces/other', 'bank', 'bank')).statusCode, 202);
  const clean = (await call(api.app, api.adminToken, 'GET', `${W}/audit/verify`)).json();
  assert.deepEqual(clean.findings, [], 'Loco\'s own routes and claims agree');

  // A second Loco on an empty database over the same repositories rebuilds the claims from git.
  const empty = await createTestDatabase('postgresql');
  const fresh = await startTestApi('postgresql', {}, { dataDir, database: empty });
  t.after(async () => { await fresh.close(); await empty.drop(); });
  const rebuilt = await call(fresh.app, fresh.adminToken, 'POST', `${W}/admin/rebuild-from-git`);
  assert.equal(rebuilt.statusCode, 200, rebuilt.body);
  assert.equal(rebuilt.json().claims, 1);
  assert.deepEqual((await call(fresh.app, fresh.adminToken, 'GET', `${W}/audit/verify`)).json().findings, []);
  assert.equal((await call(fresh.app, fresh.adminToken, 'POST', '/orgs/default/workspaces', { name: 'newcomer' })).statusCode, 201);
  const taken = await deploy('/orgs/default/workspaces/newcomer', 'web', 'shop', fresh);
  assert.equal(taken.statusCode, 409, 'the rebuilt claim keeps another workspace off the host');
  assert.equal(taken.json().code, 'conflict.host-taken');

  // By hand, past Loco: the route of web is pointed at the other workspace's host.
  const clone = await mkdtemp(join(tmpdir(), 'loco-route-hand-'));
  t.after(() => rm(clone, { recursive: true, force: true }));
  git(['clone', '-q', join(dataDir, 'repos', `${workspaceSlug('default', 'default')}.git`), clone]);
  const routeFile = join(clone, 'apps/web/overlays/default/route.yaml');
  await writeFile(routeFile, (await readFile(routeFile, 'utf8')).replace('shop.dev.deploy-app.com', 'bank.dev.deploy-app.com'));
  git(['commit', '-q', '-am', 'route bank traffic here'], clone);
  git(['push', '-q', 'origin', 'HEAD:main'], clone);

  const report = await call(api.app, api.adminToken, 'GET', `${W}/audit/verify`);
  const findings = report.json().findings as { code: string; message: string; hint: string }[];
  assert.equal(report.json().ok, false);
  assert.deepEqual(findings.map((f) => f.code).sort(), ['commit.no-trailers', 'route.claim-not-in-git', 'route.foreign-host']);
  const foreign = findings.find((f) => f.code === 'route.foreign-host')!;
  assert.equal(foreign.message, 'apps/web/overlays/default/route.yaml routes bank.dev.deploy-app.com/, a host that belongs to another workspace');
  assert.match(foreign.hint, /revert/);
  assert.doesNotMatch(JSON.stringify(findings), /\bother\b/, 'the owner (workspace "other") is not named');
  assert.match(findings.find((f) => f.code === 'route.claim-not-in-git')!.message, /^web@default holds a claim on shop\.dev\.deploy-app\.com\/ that no route in git uses$/);
});
