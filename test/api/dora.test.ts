// DORA figures: the arithmetic on a scripted history with known answers (a failure restored by a
// fix, a rollback, refusals and superseded changes that never reached the cluster), then the
// route over real deploys, the same answer after a rebuild from git, and the Prometheus gauges.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeDora, type ReleaseRecord } from '../../api/dora/compute.ts';
import { windowStart } from '../../api/routes/dora.ts';
import { call, config, createTestDatabase, followEvents, startTestApi } from './helpers.ts';

const day = (d: number, h = 0, m = 0) => new Date(Date.UTC(2026, 10, 1 + d, h, m));
const rec = (over: Partial<ReleaseRecord> & Pick<ReleaseRecord, 'requestedAt'>): ReleaseRecord => ({
  app: 'api', profile: 'prod', changeType: 'deploy', status: 'succeeded', reason: null, commit: 'c', finishedAt: null, ...over,
});

const history: ReleaseRecord[] = [
  rec({ requestedAt: day(-1), finishedAt: day(-1, 0, 5) }), // before the window
  rec({ requestedAt: day(1), finishedAt: day(1, 0, 10) }), // lead 10 min
  rec({ requestedAt: day(2), finishedAt: day(2, 0, 20), status: 'failed', reason: 'degraded' }), // a change failure…
  rec({ requestedAt: day(2, 1), finishedAt: day(2, 1, 20) }), // …restored by this fix 60 min later; lead 20 min
  rec({ requestedAt: day(3), finishedAt: day(3, 0, 5) }), // lead 5 min, then rolled back:
  rec({ requestedAt: day(3, 2), finishedAt: day(3, 2, 10), changeType: 'rollback' }), // failure at 02:00, restored at 02:10; lead 10 min
  rec({ requestedAt: day(4), finishedAt: day(4, 0, 1), status: 'failed', reason: 'invalid-config', commit: null }), // never reached the cluster
  rec({ requestedAt: day(5), finishedAt: day(5, 0, 1), status: 'failed', reason: 'superseded' }), // neither
  rec({ app: 'web', profile: 'dev', requestedAt: day(6), finishedAt: day(6, 0, 2), status: 'committed' }), // no Argo CD: committed is the outcome
];

test('DORA figures of a scripted history: frequency, lead time, failure rate (with a rollback) and time to restore', () => {
  const report = computeDora(history, { since: day(0), until: day(10) });
  assert.equal(report.days, 10);
  const api = report.apps.find((a) => a.app === 'api')!;
  assert.deepEqual(api, {
    app: 'api', profile: 'prod', deployments: 4, deploymentFrequencyPerDay: 0.4,
    leadTimeSeconds: 600, // median of 10, 20, 5, 10 min
    changeFailures: 2, changeFailureRate: 0.333, // 2 of 6 changes
    restores: 2, timeToRestoreSeconds: 2100, // median of 60 and 10 min
  });
  const web = report.apps.find((a) => a.app === 'web')!;
  assert.equal(web.deployments, 1);
  assert.equal(web.changeFailureRate, 0);
  assert.equal(web.timeToRestoreSeconds, null);
  assert.equal(report.total.deployments, 5);
  assert.equal(report.total.changeFailures, 2);
  assert.equal(report.total.changeFailureRate, 0.286);
});

test('a window is hours, days or weeks back, or a date; anything else is a usage error with the forms to use', () => {
  const now = day(30);
  assert.deepEqual(windowStart('30d', now), day(0));
  assert.deepEqual(windowStart('2w', now), day(16));
  assert.deepEqual(windowStart('2026-11-05', now), new Date('2026-11-05'));
  assert.throws(() => windowStart('soon', now), (e: { code: string; hint: string }) => e.code === 'usage.since' && /30d/.test(e.hint));
  assert.throws(() => windowStart('900d', now), /more than a year/);
});

test('GET …/dora counts real deploys per app and profile, answers the same after a rebuild from git, and feeds the gauges', async (t) => {
  const database = await createTestDatabase('postgresql');
  const api = await startTestApi('postgresql', {}, { dataDir: mkdtempSync(join(tmpdir(), 'loco-dora-')), database });
  t.after(async () => { await api.close(); await database.drop(); });
  const ws = '/orgs/default/workspaces/default';
  for (const [app, image] of [['web', 'web:1'], ['web', 'web:2'], ['shop', 'shop:1']]) {
    const r = await call(api.app, api.adminToken, 'POST', `${ws}/apps/${app}/deployments`, { config: config(app), profile: 'dev', image: `registry.example.com/acme/${image}` });
    assert.equal(r.statusCode, 202, r.body);
    await followEvents(api.app, api.adminToken, r.json().id);
  }
  const answer = await call(api.app, api.adminToken, 'GET', `${ws}/dora?since=7d`);
  assert.equal(answer.statusCode, 200, answer.body);
  const report = answer.json();
  assert.deepEqual(report.apps.map((a: { app: string; deployments: number }) => [a.app, a.deployments]), [['shop', 1], ['web', 2]]);
  assert.equal(report.total.deployments, 3);
  assert.equal(report.total.changeFailureRate, 0);

  const bad = await call(api.app, api.adminToken, 'GET', `${ws}/dora?since=lately`);
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().hint, /30d/);

  const scrape = await api.app.inject({ method: 'GET', url: '/metrics' });
  assert.match(scrape.body, /loco_dora_deployment_frequency_per_day\{workspace="default\/default",app="web",profile="dev"\} [\d.]+/);
  assert.match(scrape.body, /loco_dora_change_failure_rate\{workspace="default\/default",app="shop",profile="dev"\} 0/);

  // A second Loco on an empty database, rebuilt from the same repositories, gives the same counts.
  const empty = await createTestDatabase('postgresql');
  const fresh = await startTestApi('postgresql', {}, { dataDir: api.dataDir, database: empty });
  t.after(async () => { await fresh.close(); await empty.drop(); });
  assert.equal((await call(fresh.app, fresh.adminToken, 'POST', `${ws}/admin/rebuild-from-git`)).statusCode, 200);
  const rebuilt = (await call(fresh.app, fresh.adminToken, 'GET', `${ws}/dora?since=7d`)).json();
  const counts = (r: typeof report) => r.apps.map((a: Record<string, unknown>) => [a.app, a.profile, a.deployments, a.changeFailures, a.changeFailureRate, a.restores]);
  assert.deepEqual(counts(rebuilt), counts(report));
});
