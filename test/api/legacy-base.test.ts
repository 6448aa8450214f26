// The older layout's shared apps/<app>/base/: kept while any other overlay reads it, deleted by
// the deploy that leaves no reader, and restored by a rollback only when no other profile's
// build would change (otherwise refused, naming the profile).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { orphanedBaseScope, rollbackBase, sharedBaseReaders } from '../../api/deployments/legacy-base.ts';
import { LocoError } from '../../generator/errors.ts';

const reads = 'resources:\n  - ../../base\n  - namespace.yaml\n';
const own = 'resources:\n  - deployment.yaml\n  - namespace.yaml\n';
const tree = (entries: Record<string, string>) => new Map(Object.entries(entries).map(([k, v]) => [`apps/api/${k}`, v]));

test('sharedBaseReaders names the profiles whose overlay lists ../../base', () => {
  assert.deepEqual(sharedBaseReaders(tree({ 'overlays/prod/kustomization.yaml': reads, 'overlays/dev/kustomization.yaml': own, 'overlays/uat/kustomization.yaml': 'resources:\n  - "../../base/"\n' }), 'api'), ['prod', 'uat']);
});

test('a deploy keeps the old base while another profile reads it, and deletes it when none would', () => {
  const base = { 'base/deployment.yaml': 'kind: Deployment\n' };
  assert.deepEqual(orphanedBaseScope(tree({ ...base, 'overlays/prod/kustomization.yaml': reads, 'overlays/dev/kustomization.yaml': reads }), 'api', 'dev'), []);
  assert.deepEqual(orphanedBaseScope(tree({ ...base, 'overlays/prod/kustomization.yaml': own, 'overlays/dev/kustomization.yaml': reads }), 'api', 'dev'), ['apps/api/base/']);
  assert.deepEqual(orphanedBaseScope(tree({ 'overlays/dev/kustomization.yaml': own }), 'api', 'dev'), [], 'nothing to delete');
});

test('a rollback to an older-layout release restores its base, unless another profile builds from a different one', () => {
  const target = tree({ 'base/deployment.yaml': 'kind: Deployment\n', 'overlays/dev/kustomization.yaml': reads, 'overlays/prod/kustomization.yaml': reads });
  const alone = tree({ 'overlays/dev/kustomization.yaml': own, 'overlays/prod/kustomization.yaml': own });
  assert.deepEqual([...rollbackBase(alone, target, 'api', 'dev').keys()], ['apps/api/base/deployment.yaml']);
  assert.deepEqual([...rollbackBase(target, target, 'api', 'dev').keys()], ['apps/api/base/deployment.yaml'], 'same base: prod unchanged');
  const changed = tree({ 'base/cronjob.yaml': 'kind: CronJob\n', 'overlays/dev/kustomization.yaml': own, 'overlays/prod/kustomization.yaml': reads });
  assert.throws(() => rollbackBase(changed, target, 'api', 'dev'), (e: unknown) => e instanceof LocoError && e.code === 'conflict.shared-base' && /the prod overlay also builds from/.test(e.message) && /promote to prod/.test(e.hint ?? ''));
  assert.equal(rollbackBase(changed, tree({ 'overlays/dev/kustomization.yaml': own }), 'api', 'dev').size, 0, 'a self-contained target needs no base');
});
