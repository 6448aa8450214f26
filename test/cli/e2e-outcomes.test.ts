// Outcomes live in git too: the real `loco` against a real API that follows the Argo CD double.
// After `loco destroy`, history still shows how each past commit of the app ended (read from
// the notes under refs/notes/loco, which the git CLI shows as well), and `audit verify` counts
// the deployments git holds instead of reporting a workspace with none.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { argoApplicationName, workspaceSlug } from '../../generator/names.ts';
import { appDir, loco, startApi, tempDir, type RunningApi } from './harness.ts';

let api: RunningApi;
let argocd: ArgoCdDouble;
let env: Record<string, string>;
let gitdir: string;

before(async () => {
  const dataDir = tempDir('data');
  gitdir = join(dataDir, 'repos', `${workspaceSlug('default', 'default')}.git`);
  argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`) });
  api = await startApi({ LOCO_ARGOCD_URL: argocd.url, LOCO_ARGOCD_TOKEN: argocd.token, LOCO_ARGOCD_HEALTHY_SECONDS: '1', LOCO_ARGOCD_FAILURE_GRACE_SECONDS: '2' }, dataDir);
  env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
});
after(async () => {
  await api?.stop();
  await argocd?.stop();
});

const config = (version: string) => `[Metadata]\nName = "gone"\n\n[Build]\nImage = "ghcr.io/acme/gone:${version}"\n\n[Profile.dev]\n`;

interface Entry { commit: string; change?: string; deploymentId?: string; outcome?: string; reason?: string; finishedAt?: string }

test('after loco destroy, history still shows each past commit\'s outcome, from git', async () => {
  const good = await loco(['deploy', '--non-interactive', '--timeout', '2m', '-o', 'json'], { cwd: appDir(config('1.0.0')), env });
  assert.equal(good.code, 0, good.stdout + good.stderr);
  const first = JSON.parse(good.stdout).deployment;
  argocd.setScenario(argoApplicationName(workspaceSlug('default', 'default'), 'gone', 'dev'), { outcome: 'image-pull-backoff' });
  const bad = await loco(['deploy', '--non-interactive', '--timeout', '2m', '-o', 'json'], { cwd: appDir(config('2.0.0')), env });
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  const second = JSON.parse(bad.stdout).deployment;

  // the git CLI reads the outcome on the commit itself
  const note = execFileSync('git', [`--git-dir=${gitdir}`, 'notes', '--ref=loco', 'show', first.commit], { encoding: 'utf8' });
  assert.match(note, new RegExp(`^Loco-Deployment: ${first.id}\\nLoco-Outcome: succeeded\\nLoco-Finished-At: ${first.finishedAt}$`, 'm'));

  const before = JSON.parse((await loco(['history', 'gone', '-o', 'json'], { env })).stdout) as Entry[];
  const destroyed = await loco(['destroy', 'gone', '--yes'], { env });
  assert.equal(destroyed.code, 0, destroyed.stderr);

  const history = await loco(['history', 'gone', '-o', 'json'], { env });
  assert.equal(history.code, 0, history.stderr);
  const entries = JSON.parse(history.stdout) as Entry[];
  assert.deepEqual(entries.map((e) => [e.change, e.deploymentId, e.outcome]), [
    ['delete', entries[0].deploymentId, undefined],
    ['deploy', second.id, 'failed'],
    ['deploy', first.id, 'succeeded'],
  ]);
  assert.equal(entries[1].finishedAt, second.finishedAt);
  assert.equal(entries[1].reason, second.reason);
  // the same answer as while the app's records existed
  const pick = (e: Entry) => ({ commit: e.commit, outcome: e.outcome, reason: e.reason, finishedAt: e.finishedAt });
  assert.deepEqual(entries.slice(1).map(pick), before.map(pick));

  const table = await loco(['history', 'gone'], { env });
  assert.match(table.stdout, new RegExp(`${first.commit.slice(0, 7)}\\s+deploy\\s+gone@dev\\s+\\S+\\s+succeeded`));

  const audit = await loco(['audit', 'verify'], { env });
  assert.equal(audit.code, 0, audit.stdout + audit.stderr);
  assert.match(audit.stdout, /holds up: 4 commits; 2 deployments in git, all with their outcome; 0 deployment records in the database, no findings/);
  assert.deepEqual(argocd.violations, []);
});
