// Promotion with local repositories, end to end through the API and the Argo CD double:
// deploy to dev → healthy → promote (PR held in the database) → approve by another member →
// merge → the prod deployment is tracked to healthy. Plus the refusals: a failed release,
// self-approval, merge without approval; and concurrent promotions (the older is superseded).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argoApplicationName, workspaceSlug } from '../../generator/names.ts';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { call, createTestDatabase, followEvents, startTestApi, userWithToken, type TestApi, type TestDatabase } from '../api/helpers.ts';

const SLUG = workspaceSlug('default', 'default');
const ws = '/orgs/default/workspaces/default';
const git = (gitdir: string, ...args: string[]) => execFileSync('git', [`--git-dir=${gitdir}`, ...args], { encoding: 'utf8' });

const loco = (name: string, greeting = 'hello') => `[Metadata]
ConfigVersion = 1
Name = "${name}"

[Build]
Image = "registry.example.com/acme/${name}:1"

[Routing]
Port = 8080

[Env.Variables]
GREETING = "${greeting}"

[Env.Secrets]
DATABASE_URL = "db/url"

[Profile.dev]
CPU = "100m"

[Profile.prod]
Replicas.Min = 2
Replicas.Max = 2
`;

let argocd: ArgoCdDouble;
let api: TestApi;
let dataDir: string;
let database: TestDatabase;
let admin: string;
let bob: string;
let reader: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'loco-promotion-'));
  database = await createTestDatabase('postgresql');
  argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`) });
  api = await startTestApi('postgresql', { argocd: { url: argocd.url, token: argocd.token }, progressDeadlineSeconds: 20 }, { dataDir, database });
  admin = api.adminToken;
  bob = await userWithToken(api.app, 'bob');
  reader = await userWithToken(api.app, 'rita');
  assert.equal((await call(api.app, admin, 'POST', `${ws}/members`, { user: 'bob', role: 'deploy' })).statusCode, 201);
  assert.equal((await call(api.app, admin, 'POST', `${ws}/members`, { user: 'rita', role: 'read' })).statusCode, 201);
});

after(async () => {
  await api?.close();
  await argocd?.stop();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Deploys and follows the deployment to its outcome. */
async function deployed(app: string, profile: string, image: string, config = loco(app)) {
  const res = await call(api.app, admin, 'POST', `${ws}/apps/${app}/deployments`, { config, profile, image });
  assert.equal(res.statusCode, 202, res.body);
  await followEvents(api.app, admin, res.json().id);
  return (await call(api.app, admin, 'GET', `/deployments/${res.json().id}`)).json();
}

const promote = (token: string, app: string, body: Record<string, unknown> = { from: 'dev', to: 'prod' }) =>
  call(api.app, token, 'POST', `${ws}/apps/${app}/promotions`, body);

describe('promotion with local repositories', { concurrency: true }, () => {
  test('deploy to dev → healthy → promote → approve by another member → merge → prod tracked to healthy', async () => {
    const dev = await deployed('shop', 'dev', 'registry.example.com/acme/shop:2.0.0');
    assert.equal(dev.status, 'succeeded', dev.message);

    const opened = await promote(admin, 'shop');
    assert.equal(opened.statusCode, 201, opened.body);
    const pr = opened.json();
    assert.equal(pr.title, 'promote(shop): dev → prod');
    assert.equal(pr.status, 'open');
    assert.equal(pr.approvalsRequired, 1);
    assert.equal(pr.sourceDeploymentId, dev.id);
    assert.match(pr.branch, new RegExp(`^loco/promote/shop/dev-to-prod/${pr.id}$`));
    assert.equal(pr.pullRequest, undefined, 'local repositories have no host PR number');
    assert.match(pr.body, /\| Image \| `registry\.example\.com\/acme\/shop:2\.0\.0` \|/);
    assert.match(pr.body, new RegExp(`Config digest \\| \`${dev.configDigest}\``));
    assert.match(pr.body, /\*\*succeeded\*\* in dev/);
    assert.match(pr.body, /First release of shop in prod/);
    assert.ok(!pr.body.includes('hello') && !pr.body.includes('db/url'), 'no env or secret values in the PR body');

    const gitdir = api.app.loco.store.gitdir(SLUG);
    const mainBefore = git(gitdir, 'rev-parse', 'main').trim();
    assert.equal(git(gitdir, 'rev-parse', pr.branch).trim(), pr.headCommit);
    assert.match(git(gitdir, 'ls-tree', '-r', '--name-only', pr.branch), /apps\/shop\/overlays\/prod\/release\.yaml/);

    const early = await call(api.app, admin, 'POST', `/promotions/${pr.id}/merge`);
    assert.equal(early.statusCode, 409);
    assert.equal(early.json().code, 'conflict.approval-required');

    const self = await call(api.app, admin, 'POST', `/promotions/${pr.id}/approve`);
    assert.equal(self.statusCode, 403);
    assert.match(self.json().detail, /cannot approve it yourself/);
    assert.match(self.json().hint, /another member/);

    const byReader = await call(api.app, reader, 'POST', `/promotions/${pr.id}/approve`);
    assert.equal(byReader.statusCode, 403, 'a read-only member cannot approve');

    const approved = await call(api.app, bob, 'POST', `/promotions/${pr.id}/approve`);
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().status, 'approved');
    assert.deepEqual(approved.json().approvals.map((a: { user: string }) => a.user), ['bob']);

    const merged = await call(api.app, admin, 'POST', `/promotions/${pr.id}/merge`);
    assert.equal(merged.statusCode, 202, merged.body);
    const { promotion, deployment } = merged.json();
    assert.equal(promotion.status, 'merged');
    assert.equal(deployment.profile, 'prod');
    assert.equal(deployment.change, 'promote');
    assert.equal(promotion.deploymentId, deployment.id);

    // one commit on main, linear, carrying the promotion's trailers
    assert.equal(git(gitdir, 'rev-parse', 'main').trim(), deployment.commit);
    assert.equal(git(gitdir, 'rev-parse', `${deployment.commit}^`).trim(), mainBefore);
    assert.equal(git(gitdir, 'rev-list', '--parents', '-n', '1', deployment.commit).trim().split(' ').length, 2);
    const message = git(gitdir, 'log', '-1', '--format=%B', deployment.commit);
    assert.match(message, /^promote\(shop\): dev → prod/);
    for (const trailer of ['Loco-Change: promote', `Loco-Promotion: ${pr.id}`, 'Loco-Approved-By: bob', `Loco-Deployment: ${deployment.id}`, 'Loco-Profile: prod', 'Loco-Image: registry.example.com/acme/shop:2.0.0']) {
      assert.ok(message.includes(trailer), `missing ${trailer} in\n${message}`);
    }
    assert.equal(git(gitdir, 'branch', '--list', pr.branch).trim(), '', 'the merged branch is deleted');

    const events = await followEvents(api.app, admin, deployment.id);
    assert.equal(events.at(-1)!.type, 'succeeded', JSON.stringify(events.at(-1)));
    const prod = (await call(api.app, admin, 'GET', `/deployments/${deployment.id}`)).json();
    assert.equal(prod.status, 'succeeded');

    const history = (await call(api.app, admin, 'GET', `${ws}/history?app=shop&profile=prod`)).json();
    assert.equal(history[0].deploymentId, deployment.id);
    assert.equal(history[0].outcome, 'succeeded');
    assert.equal(history[0].pullRequest.approver, 'bob');

    const again = await call(api.app, bob, 'POST', `/promotions/${pr.id}/merge`);
    assert.equal(again.statusCode, 409, 'a merged promotion cannot be merged twice');
    assert.deepEqual(argocd.violations, []);
  });

  test('a release that failed in dev cannot be promoted, and the error says why', async () => {
    argocd.setScenario(argoApplicationName(SLUG, 'broken', 'dev'), { outcome: 'comparison-error' });
    const dev = await deployed('broken', 'dev', 'registry.example.com/acme/broken:1.0.0');
    assert.equal(dev.status, 'failed');
    const res = await promote(admin, 'broken');
    assert.equal(res.statusCode, 409);
    const problem = res.json();
    assert.equal(problem.code, 'conflict.release-not-succeeded');
    assert.match(problem.detail, /only a release that succeeded in dev can be promoted/);
    assert.match(problem.detail, new RegExp(dev.id));
    assert.match(problem.hint, /deploy to dev again/);
    const list = (await call(api.app, admin, 'GET', `${ws}/promotions?app=broken`)).json();
    assert.deepEqual(list, []);
  });

  test('a second promotion of the same app and target supersedes the open one', async () => {
    const dev = await deployed('cart', 'dev', 'registry.example.com/acme/cart:1.0.0');
    assert.equal(dev.status, 'succeeded', dev.message);
    const [first, second] = [await promote(admin, 'cart'), await promote(bob, 'cart')];
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(second.statusCode, 201, second.body);
    const older = (await call(api.app, admin, 'GET', `/promotions/${first.json().id}`)).json();
    assert.equal(older.status, 'superseded');
    assert.equal(older.supersededBy, second.json().id);
    const approve = await call(api.app, bob, 'POST', `/promotions/${first.json().id}/approve`);
    assert.equal(approve.statusCode, 409);
    assert.match(approve.json().hint, new RegExp(second.json().id));
    const open = (await call(api.app, reader, 'GET', `${ws}/promotions?app=cart&status=open`)).json();
    assert.deepEqual(open.map((p: { id: string }) => p.id), [second.json().id]);
    const gitdir = api.app.loco.store.gitdir(SLUG);
    assert.equal(git(gitdir, 'branch', '--list', first.json().branch).trim(), '', 'the superseded branch is deleted');
    const closed = await call(api.app, admin, 'POST', `/promotions/${second.json().id}/close`);
    assert.equal(closed.json().status, 'closed');
  });
});
