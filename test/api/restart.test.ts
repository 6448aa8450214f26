// Durable tracking: a deployment whose API process stops between the commit and the outcome is
// carried to its end by the next process on the same database — after a clean stop (leases
// released at once) and after a crash (the lease runs out).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startArgoCdDouble } from '../doubles/argocd/server.ts';
import { argoApplicationName, workspaceSlug } from '../../generator/names.ts';
import { call, config, createTestDatabase, followEvents, startTestApi, waitForEvent, within } from './helpers.ts';

describe('restart', () => {
  test('a deployment being tracked when the API stops is tracked to success by the next API', { timeout: 180_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'loco-restart-'));
    const database = await createTestDatabase('pglite');
    // the rollout turns healthy only well after the first API has stopped
    const argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`), scenario: { healthyAfterMs: 3000 } });
    const application = argoApplicationName(workspaceSlug('default', 'default'), 'api', 'dev');
    try {
      const options = { argocd: { url: argocd.url, token: argocd.token } };
      const first = await startTestApi('pglite', options, { dataDir, database });
      const token = first.adminToken;
      const res = await call(first.app, token, 'POST', '/orgs/default/workspaces/default/apps/api/deployments', { config: config('api'), profile: 'dev', image: 'registry.example.com/acme/api:1' });
      const id = res.json().id;
      try {
        await within(60_000, 'Argo CD double reports the rollout progressing', waitForEvent(first.app, token, id, (e) => e.type === 'progressing'));
        assert.equal((await call(first.app, token, 'GET', `/deployments/${id}`)).json().finishedAt, undefined, 'stopped before the outcome');
      } finally {
        await first.close();
      }
      assert.ok(!argocd.calls.some((c) => c.path.endsWith(`/${application}`) && c.status >= 400));
      const second = await startTestApi('pglite', options, { dataDir, database });
      try {
        const events = await within(60_000, 'the second API tracks the deployment to its end', followEvents(second.app, token, id));
        const done = (await call(second.app, token, 'GET', `/deployments/${id}`)).json();
        assert.equal(done.status, 'succeeded', JSON.stringify(events));
        assert.equal(events.filter((e) => e.type === 'committed').length, 1, 'committed once, never twice');
        assert.deepEqual(argocd.violations, []);
      } finally {
        await second.close();
      }
    } finally {
      await argocd.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('a deployment whose API died right after the commit is finished by another API once the lease runs out', { timeout: 120_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'loco-crash-'));
    const database = await createTestDatabase('postgresql');
    try {
      const first = await startTestApi('postgresql', { runner: { holdAfterCommit: true, leaseSeconds: 1, scanIntervalMs: 100 } }, { dataDir, database });
      const token = first.adminToken;
      const id = (await call(first.app, token, 'POST', '/orgs/default/workspaces/default/apps/web/deployments', { config: config('web'), profile: 'dev', image: 'w:1' })).json().id;
      await within(30_000, 'the first API commits', waitForEvent(first.app, token, id, (e) => e.type === 'committed'));
      const held = (await call(first.app, token, 'GET', `/deployments/${id}`)).json();
      assert.equal(held.finishedAt, undefined, 'the first API stopped after the commit, before an outcome');
      await first.close();

      const second = await startTestApi('postgresql', { runner: { leaseSeconds: 1, scanIntervalMs: 100 } }, { dataDir, database });
      try {
        const events = await within(30_000, 'the second API finishes the deployment', followEvents(second.app, token, id));
        const done = (await call(second.app, token, 'GET', `/deployments/${id}`)).json();
        assert.equal(done.status, 'committed');
        assert.ok(done.finishedAt);
        assert.equal(done.commit, held.commit);
        assert.match(events.at(-1)!.message, /No Argo CD is configured/);
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
