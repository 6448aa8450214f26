// Superseding: a newer deploy of the same app/profile wins. A deploy still queued when a newer
// one arrives is never committed; one already committed ends `superseded` when the newer commit
// lands; and with two API replicas on one database and repository, commits reach main in the
// order the deploys were requested, so main always ends at the newest request.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startArgoCdDouble } from '../doubles/argocd/server.ts';
import { argoApplicationName, workspaceSlug } from '../../generator/names.ts';
import { call, config, createTestDatabase, followEvents, startTestApi, waitForEvent, within, type TestApi } from './helpers.ts';

const ws = '/orgs/default/workspaces/default';
const deploy = (api: TestApi, image: string) =>
  call(api.app, api.adminToken, 'POST', `${ws}/apps/api/deployments`, { config: config('api'), profile: 'dev', image });
const get = async (api: TestApi, id: string) => (await call(api.app, api.adminToken, 'GET', `/deployments/${id}`)).json();

/** Loco-Deployment trailers of main's commits that touched apps/api, oldest first. */
function deploymentsOnMain(dataDir: string): string[] {
  const gitdir = join(dataDir, 'repos', `${workspaceSlug('default', 'default')}.git`);
  return execFileSync('git', [`--git-dir=${gitdir}`, 'log', '--reverse', '--format=%(trailers:key=Loco-Deployment,valueonly)', 'main', '--', 'apps/api'], { encoding: 'utf8' })
    .split('\n').map((l) => l.trim()).filter(Boolean);
}

test('a committed deployment still rolling out ends superseded, naming the newer one, which succeeds', { timeout: 180_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'loco-supersede-'));
  const argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`) });
  const api = await startTestApi('pglite', { argocd: { url: argocd.url, token: argocd.token, healthySeconds: 0.2 } }, { dataDir, database: await createTestDatabase('pglite') });
  // The first rollout never becomes healthy (a scenario holds from the reconcile it starts at),
  // so it is surely still rolling out when the second arrives, however slow the machine; the
  // second one's reconcile rolls out healthy.
  const application = argoApplicationName(workspaceSlug('default', 'default'), 'api', 'dev');
  argocd.setScenario(application, { outcome: 'stuck' });
  try {
    const first = (await deploy(api, 'registry.example.com/acme/api:1')).json().id;
    await within(60_000, 'the first rollout is progressing', waitForEvent(api.app, api.adminToken, first, (e) => e.type === 'progressing'));
    argocd.setScenario(application, {});
    const second = (await deploy(api, 'registry.example.com/acme/api:2')).json().id;
    const firstEvents = await within(60_000, 'the first ends', followEvents(api.app, api.adminToken, first));
    const older = await get(api, first);
    assert.equal(older.status, 'failed');
    assert.equal(older.reason, 'superseded');
    assert.match(older.message, new RegExp(`superseded by ${second}`));
    assert.equal(firstEvents.filter((e) => e.type === 'failed').length, 1, 'one terminal event');
    await within(60_000, 'the second ends', followEvents(api.app, api.adminToken, second));
    assert.equal((await get(api, second)).status, 'succeeded');
    assert.deepEqual(argocd.violations, []);
  } finally {
    await api.close();
    await argocd.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a queued deploy that a newer one replaces is never committed, even when another replica carries it', { timeout: 60_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'loco-supersede-'));
  const database = await createTestDatabase('postgresql');
  // The first replica only takes requests (its runner is off), so both deploys are queued
  // when the second replica picks them up, in whichever order its scan finds them.
  const front = await startTestApi('postgresql', { runner: { disabled: true } }, { dataDir, database });
  let worker: TestApi | undefined;
  try {
    const older = (await deploy(front, 'registry.example.com/acme/api:1')).json().id;
    const newer = (await deploy(front, 'registry.example.com/acme/api:2')).json().id;
    worker = await startTestApi('postgresql', { runner: { scanIntervalMs: 100, leaseSeconds: 2 } }, { dataDir, database });
    await within(30_000, 'both end', Promise.all([followEvents(worker.app, worker.adminToken, older), followEvents(worker.app, worker.adminToken, newer)]));
    const o = await get(worker, older);
    assert.equal(o.status, 'failed');
    assert.equal(o.reason, 'superseded');
    assert.equal(o.commit, undefined, 'never committed');
    assert.match(o.message, new RegExp(`superseded by ${newer} before it was committed`));
    assert.equal((await get(worker, newer)).status, 'committed');
    assert.deepEqual(deploymentsOnMain(dataDir), [newer]);
  } finally {
    await worker?.close();
    await front.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('two replicas committing deploys of one app at once: main takes them in request order and ends at the newest', { timeout: 90_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'loco-supersede-'));
  const database = await createTestDatabase('postgresql');
  const replicas = [
    await startTestApi('postgresql', { runner: { scanIntervalMs: 50, leaseSeconds: 2 } }, { dataDir, database }),
    await startTestApi('postgresql', { runner: { scanIntervalMs: 50, leaseSeconds: 2 } }, { dataDir, database }),
  ];
  try {
    // all at once, alternating replicas: commits race each other across the two processes' queues
    const responses = await Promise.all(Array.from({ length: 24 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 60)); // arrivals overlap the commits of earlier ones
      return deploy(replicas[i % 2], `registry.example.com/acme/api:${i}`);
    }));
    for (const res of responses) assert.equal(res.statusCode, 202, res.body);
    // request order is the order the database recorded them in (created_at has microseconds; the JSON only milliseconds)
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const ids = (await db.query<{ id: string }>(`select id from deployments where change_type = 'deploy' order by created_at, id`)).rows.map((r) => r.id);
    await db.end();
    assert.equal(ids.length, responses.length);
    await within(60_000, 'all end', Promise.all(ids.map((id) => followEvents(replicas[0].app, replicas[0].adminToken, id))));
    const onMain = deploymentsOnMain(dataDir);
    assert.equal(onMain.at(-1), ids.at(-1), 'main ends at the newest request');
    assert.deepEqual(onMain, ids.filter((id) => onMain.includes(id)), 'commits are in request order');
    for (const id of ids) {
      const d = await get(replicas[0], id);
      if (onMain.includes(id)) assert.equal(d.status, 'committed', id);
      else assert.equal(d.reason, 'superseded', `${id}: ${d.status} ${d.message}`);
    }
  } finally {
    for (const r of replicas) await r.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
