// The order of a group commit (api/deployments/batch-plan.ts), without a database or git.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newerInBatch, segmentsByApp } from '../../api/deployments/batch-plan.ts';

const d = (id: string, app: string, profile: string, changeType = 'deploy') => ({ id, app, appId: `app_${app}`, profile, changeType });

test('inside a batch the newest deploy of an app/profile replaces the older ones; other apps, profiles and kinds of change stay', () => {
  const batch = [d('1', 'api', 'dev'), d('2', 'web', 'dev'), d('3', 'api', 'prod'), d('4', 'api', 'dev', 'env'), d('5', 'api', 'dev'), d('6', 'api', 'dev', 'rollback')];
  assert.deepEqual(batch.map((_, i) => newerInBatch(batch, i)?.id ?? null), ['6', null, null, null, '6', null]);
});

test('a batch is cut where an app comes round again, keeping request order', () => {
  const batch = [d('1', 'api', 'dev'), d('2', 'web', 'dev'), d('3', 'api', 'dev', 'env'), d('4', 'jobs', 'dev'), d('5', 'web', 'prod'), d('6', 'jobs', 'prod')];
  assert.deepEqual(segmentsByApp(batch).map((s) => s.map((c) => c.id)), [['1', '2'], ['3', '4', '5'], ['6']]);
});
