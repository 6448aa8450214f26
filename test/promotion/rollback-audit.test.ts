// Rollback on a protected profile (a pull request, or a direct emergency commit when the
// workspace allows it), `audit verify` on real git history (including a commit made by hand
// with the git CLI), and rebuilding the records from git into an empty database so history
// answers stay the same. Without Argo CD (deployments end at committed), on the embedded PGlite.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceSlug } from '../../generator/names.ts';
import { call, createTestDatabase, followEvents, startTestApi, userWithToken, type TestApi, type TestDatabase } from '../api/helpers.ts';

const ws = '/orgs/default/workspaces/default';
const SLUG = workspaceSlug('default', 'default');
const git = (args: string[], cwd?: string) => execFileSync('git', args, { encoding: 'utf8', ...(cwd ? { cwd } : {}), env: { ...process.env, GIT_AUTHOR_NAME: 'mallory', GIT_AUTHOR_EMAIL: 'mallory@example.com', GIT_COMMITTER_NAME: 'mallory', GIT_COMMITTER_EMAIL: 'mallory@example.com' } });

const loco = (replicas: number) => `[Metadata]
ConfigVersion = 1
Name = "api"

[Build]
Image = "registry.example.com/acme/api:1"

[Routing]
Port = 8080

[Profile.dev]

[Profile.prod]
Replicas.Min = ${replicas}
Replicas.Max = ${replicas}
`;

let dataDir: string;
let api: TestApi;
let admin: string;
let bob: string;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'loco-audit-'));
  api = await startTestApi('pglite', {}, { dataDir, database: { drop: async () => {} } });
  admin = api.adminToken;
  bob = await userWithToken(api.app, 'bob');
  assert.equal((await call(api.app, admin, 'POST', `${ws}/members`, { user: 'bob', role: 'deploy' })).statusCode, 201);
});

after(async () => {
  await api?.close();
  for (const fn of cleanups) await fn();
  await rm(dataDir, { recursive: true, force: true });
});

async function deployed(profile: string, image: string, replicas = 2) {
  const res = await call(api.app, admin, 'POST', `${ws}/apps/api/deployments`, { config: loco(replicas), profile, image });
  assert.equal(res.statusCode, 202, res.body);
  await followEvents(api.app, admin, res.json().id);
  return (await call(api.app, admin, 'GET', `/deployments/${res.json().id}`)).json();
}

const rollback = (token: string, body: Record<string, unknown>) => call(api.app, token, 'POST', `${ws}/apps/api/rollbacks`, body);
const gitdir = () => api.app.loco.store.gitdir(SLUG);
const head = () => git(['--git-dir', gitdir(), 'rev-parse', 'main']).trim();

describe('rollback, audit verify and rebuild from git', () => {
  let v1: Record<string, any>;
  let v2: Record<string, any>;

  test('a rollback of a protected profile opens a pull request instead of committing', async () => {
    // prod's first two releases went out before the team turned review on for it
    const rules = (body: object) => call(api.app, admin, 'PUT', `${ws}/promotion-rules`, body);
    assert.equal((await rules({ profiles: { prod: { approvals: 0 } } })).statusCode, 200);
    v1 = await deployed('prod', 'registry.example.com/acme/api:1.0.0', 2);
    v2 = await deployed('prod', 'registry.example.com/acme/api:2.0.0', 3);
    assert.equal((await rules({ profiles: {} })).statusCode, 200);
    const before = head();
    const res = await rollback(admin, { deployment: v1.id });
    assert.equal(res.statusCode, 201, res.body);
    const { mode, promotion } = res.json();
    assert.equal(mode, 'pull-request');
    assert.equal(promotion.kind, 'rollback');
    assert.equal(promotion.title, `rollback(api@prod): to ${v1.id}`);
    assert.match(promotion.body, /Image: `registry\.example\.com\/acme\/api:2\.0\.0` → `registry\.example\.com\/acme\/api:1\.0\.0`/);
    assert.match(promotion.body, /Replicas: `3` → `2`/);
    assert.equal(head(), before, 'main is untouched until the pull request is merged');

    assert.equal((await call(api.app, admin, 'POST', `/promotions/${promotion.id}/approve`)).statusCode, 403);
    assert.equal((await call(api.app, bob, 'POST', `/promotions/${promotion.id}/approve`)).json().status, 'approved');
    const merged = await call(api.app, bob, 'POST', `/promotions/${promotion.id}/merge`);
    assert.equal(merged.statusCode, 202, merged.body);
    const { deployment } = merged.json();
    assert.equal(deployment.change, 'rollback');
    assert.equal(deployment.image, 'registry.example.com/acme/api:1.0.0');
    assert.equal((await followEvents(api.app, admin, deployment.id)).at(-1)!.type, 'committed');
    const message = git(['--git-dir', gitdir(), 'log', '-1', '--format=%B', 'main']);
    assert.match(message, /Loco-Change: rollback/);
    assert.match(message, /Loco-Approved-By: bob/);
    assert.match(message, /Loco-Merged-By: bob/);
    assert.equal(git(['--git-dir', gitdir(), 'show', 'main:apps/api/overlays/prod/release.yaml']).match(/image: (.*)/)![1], 'registry.example.com/acme/api:1.0.0');
  });

  test('an emergency rollback is refused unless the workspace allows it, then committed directly and marked', async () => {
    const refused = await rollback(admin, { deployment: v2.id, emergency: true });
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().code, 'conflict.emergency-not-allowed');
    assert.match(refused.json().hint, /emergencyRollback/);

    assert.equal((await call(api.app, bob, 'PUT', `${ws}/promotion-rules`, { emergencyRollback: true })).statusCode, 403, 'only workspace admins set the rules');
    const rules = await call(api.app, admin, 'PUT', `${ws}/promotion-rules`, { emergencyRollback: true });
    assert.deepEqual(rules.json(), { profiles: {}, emergencyRollback: true });

    const res = await rollback(bob, { deployment: v2.id, emergency: true });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json().mode, 'emergency');
    const d = res.json().deployment;
    assert.equal((await followEvents(api.app, admin, d.id)).at(-1)!.type, 'committed');
    const message = git(['--git-dir', gitdir(), 'log', '-1', '--format=%B', 'main']);
    assert.match(message, /\[emergency\]/);
    assert.match(message, /Loco-Emergency: true/);
    assert.match(message, new RegExp(`Loco-Deployment: ${d.id}`));
    assert.match(message, /Loco-Actor: bob/);
  });

  test('a rollback of an unprotected profile is committed directly', async () => {
    const d1 = await deployed('dev', 'registry.example.com/acme/api:1.0.0');
    await deployed('dev', 'registry.example.com/acme/api:1.1.0');
    const res = await rollback(bob, { deployment: d1.id });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json().mode, 'direct');
    assert.doesNotMatch(git(['--git-dir', gitdir(), 'log', '-1', '--format=%B', 'main']), /Loco-Emergency/);
  });

  test('audit verify passes on history made by Loco', async () => {
    const res = await call(api.app, bob, 'GET', `${ws}/audit/verify`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().findings, []);
    assert.equal(res.json().ok, true);
    assert.ok(res.json().commits >= 7);
  });

  test('rebuild from git into an empty database gives the same history answers', async () => {
    const answer = (entries: Record<string, any>[]) => entries.map((e) => ({
      commit: e.commit, time: e.time, actor: e.actor, app: e.app, profile: e.profile, change: e.change, image: e.image,
      configDigest: e.configDigest, deploymentId: e.deploymentId, outcome: e.outcome, approver: e.pullRequest?.approver, pr: e.pullRequest?.status,
    }));
    const beforeHistory = answer((await call(api.app, admin, 'GET', `${ws}/history?limit=1000`)).json());
    const beforeApi = answer((await call(api.app, admin, 'GET', `${ws}/history?app=api&profile=prod`)).json());
    assert.ok(beforeHistory.some((e) => e.approver === 'bob'));

    assert.equal((await call(api.app, bob, 'POST', `${ws}/admin/rebuild-from-git`)).statusCode, 403, 'org admins only');
    const refused = await call(api.app, admin, 'POST', `${ws}/admin/rebuild-from-git`);
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().code, 'conflict.workspace-has-records');

    // A second Loco on an empty PostgreSQL database, over the same repositories.
    const database: TestDatabase = await createTestDatabase('postgresql');
    const fresh = await startTestApi('postgresql', {}, { dataDir, database });
    cleanups.push(async () => { await fresh.close(); await database.drop(); });
    await userWithToken(fresh.app, 'bob');
    const counts = await call(fresh.app, fresh.adminToken, 'POST', `${ws}/admin/rebuild-from-git`);
    assert.equal(counts.statusCode, 200, counts.body);
    assert.equal(counts.json().apps, 1);
    assert.equal(counts.json().promotions, 1);
    assert.equal(counts.json().deployments, beforeHistory.filter((e) => e.deploymentId).length);

    assert.deepEqual(answer((await call(fresh.app, fresh.adminToken, 'GET', `${ws}/history?limit=1000`)).json()), beforeHistory);
    assert.deepEqual(answer((await call(fresh.app, fresh.adminToken, 'GET', `${ws}/history?app=api&profile=prod`)).json()), beforeApi);
    const deployments = (await call(fresh.app, fresh.adminToken, 'GET', `${ws}/apps/api/deployments?profile=prod`)).json();
    assert.equal(deployments.find((d: { id: string }) => d.id === v1.id).image, 'registry.example.com/acme/api:1.0.0');
    const verify = (await call(fresh.app, fresh.adminToken, 'GET', `${ws}/audit/verify`)).json();
    assert.deepEqual(verify.findings, []);
  });

  test('audit verify catches a commit made by hand without trailers', async () => {
    const clone = await mkdtemp(join(tmpdir(), 'loco-hand-'));
    cleanups.push(() => rm(clone, { recursive: true, force: true }));
    git(['clone', '-q', gitdir(), clone]);
    await writeFile(join(clone, 'apps/api/overlays/prod/release.yaml'), 'image: evil\n');
    git(['commit', '-q', '-am', 'quick fix'], clone);
    git(['push', '-q', 'origin', 'HEAD:main'], clone);
    const sha = git(['rev-parse', 'HEAD'], clone).trim();

    const res = (await call(api.app, admin, 'GET', `${ws}/audit/verify`)).json();
    assert.equal(res.ok, false);
    assert.deepEqual(res.findings.map((f: { code: string; commit?: string }) => [f.code, f.commit]), [['commit.no-trailers', sha]]);
    assert.match(res.findings[0].message, /quick fix.*mallory.*not made by Loco/);
  });
});
