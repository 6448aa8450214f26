// An app deletion in the audit trail: its commit (Loco-Change: delete, profile `*`, image and
// config digest `-`, no deployment record) passes `audit verify`, before and after the app is
// created again under the same name, and a rebuild from git leaves the deleted app out while
// the deletion stays in history. Without Argo CD, on PGlite plus a fresh PostgreSQL for the rebuild.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceSlug } from '../../generator/names.ts';
import { call, config, createTestDatabase, followEvents, startTestApi, type TestApi, type TestDatabase } from '../api/helpers.ts';

const ws = '/orgs/default/workspaces/default';
const SLUG = workspaceSlug('default', 'default');

let dataDir: string;
let api: TestApi;
let admin: string;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'loco-audit-delete-'));
  api = await startTestApi('pglite', {}, { dataDir, database: { drop: async () => {} } });
  admin = api.adminToken;
});

after(async () => {
  await api?.close();
  for (const fn of cleanups) await fn();
  await rm(dataDir, { recursive: true, force: true });
});

const git = (...args: string[]) => execFileSync('git', ['--git-dir', api.app.loco.store.gitdir(SLUG), ...args], { encoding: 'utf8' });

async function deployed(app: string, profile: string, image: string): Promise<string> {
  const res = await call(api.app, admin, 'POST', `${ws}/apps/${app}/deployments`, { config: config(app), profile, image });
  assert.equal(res.statusCode, 202, res.body);
  assert.equal((await followEvents(api.app, admin, res.json().id)).at(-1)!.type, 'committed');
  return res.json().id;
}

async function verify(target: TestApi): Promise<{ ok: boolean; commits: number; findings: { code: string; message: string }[] }> {
  const res = await call(target.app, target.adminToken, 'GET', `${ws}/audit/verify`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

/** What a history answer says of each commit, for comparing two databases over one repository. */
const answer = (entries: Record<string, any>[]) => entries.map((e) => ({
  commit: e.commit, actor: e.actor, app: e.app, profile: e.profile, change: e.change, image: e.image, configDigest: e.configDigest, deploymentId: e.deploymentId,
}));

describe('app deletion and the audit', () => {
  let deletion: string;

  test('audit verify finds nothing wrong with an app deletion and the history before it', async () => {
    await deployed('api', 'dev', 'registry.example.com/acme/api:1.0.0');
    await deployed('api', 'dev', 'registry.example.com/acme/api:1.1.0');
    await deployed('web', 'dev', 'registry.example.com/acme/web:1.0.0');
    const res = await call(api.app, admin, 'DELETE', `${ws}/apps/api?confirm=true`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'committed');
    deletion = res.json().commit;

    const message = git('log', '-1', '--format=%B', deletion);
    for (const trailer of ['Loco-Change: delete', 'Loco-App: api', 'Loco-Profile: *', 'Loco-Image: -', 'Loco-Config-Digest: -']) assert.ok(message.includes(trailer), message);
    const result = await verify(api);
    assert.deepEqual(result.findings, []);
    assert.equal(result.ok, true);
    assert.equal(result.commits, 5, 'skeleton, three deploys, the deletion');
  });

  test('audit verify still passes when the deleted app is created again under its name', async () => {
    await deployed('api', 'dev', 'registry.example.com/acme/api:2.0.0');
    const result = await verify(api);
    assert.deepEqual(result.findings, []);
    assert.equal(result.commits, 6);
  });

  test('a rebuild from git leaves the deleted app\'s records out and keeps the deletion in history', async () => {
    const history = (await call(api.app, admin, 'GET', `${ws}/history?limit=1000`)).json();
    assert.ok(history.some((e: Record<string, string>) => e.commit === deletion && e.change === 'delete' && e.app === 'api' && e.profile === '*'));
    // one profile's history still shows the deletion that removed the app from it
    const dev = (await call(api.app, admin, 'GET', `${ws}/history?app=api&profile=dev&limit=1000`)).json();
    assert.ok(dev.some((e: Record<string, string>) => e.commit === deletion), 'api@dev history includes its deletion');
    assert.ok(dev.every((e: Record<string, string>) => e.app === 'api' && (e.profile === 'dev' || e.profile === '*')));

    // A second Loco on an empty PostgreSQL database, over the same repositories.
    const database: TestDatabase = await createTestDatabase('postgresql');
    const fresh = await startTestApi('postgresql', {}, { dataDir, database });
    cleanups.push(async () => { await fresh.close(); await database.drop(); });
    const res = await call(fresh.app, fresh.adminToken, 'POST', `${ws}/admin/rebuild-from-git`);
    assert.equal(res.statusCode, 200, res.body);
    const counts = res.json();
    assert.equal(counts.apps, 2, 'web, and api as created again after the deletion');
    assert.equal(counts.deployments, 2, 'web@dev and the new api@dev; the deleted app\'s records stay gone');
    assert.deepEqual(
      counts.skipped.map((s: { commit: string; reason: string }) => s.reason).sort(),
      ['api was deleted later', 'api was deleted later', 'deletion of api (its records go with it)'],
    );
    assert.ok(counts.skipped.some((s: { commit: string }) => s.commit === deletion));

    const rebuilt = (await call(fresh.app, fresh.adminToken, 'GET', `${ws}/history?limit=1000`)).json();
    assert.deepEqual(answer(rebuilt), answer(history), 'the same commits, deletion included, say the same things');
    const apiDeployments = (await call(fresh.app, fresh.adminToken, 'GET', `${ws}/apps/api/deployments`)).json();
    assert.deepEqual(apiDeployments.map((d: { image: string }) => d.image), ['registry.example.com/acme/api:2.0.0']);
    assert.deepEqual((await verify(fresh)).findings, []);
  });
});
