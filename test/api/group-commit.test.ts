// Group commit through the API: deploys queued in one workspace are committed together by the
// runner; one replaced by a newer deploy of its app/profile fails alone, the rest land, each as
// a commit of exactly its own change with its trailers. Checked with the git CLI.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceSlug } from '../../generator/names.ts';
import { call, config, createTestDatabase, followEvents, startTestApi, within, type TestApi } from './helpers.ts';

const ws = '/orgs/default/workspaces/default';
const deploy = (api: TestApi, app: string, tag: string) =>
  call(api.app, api.adminToken, 'POST', `${ws}/apps/${app}/deployments`, { config: config(app), profile: 'dev', image: `registry.example.com/acme/${app}:${tag}` });
const get = async (api: TestApi, id: string) => (await call(api.app, api.adminToken, 'GET', `/deployments/${id}`)).json();

test('queued deploys of one workspace land as one commit each; the one a newer deploy replaces fails alone', { timeout: 120_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'loco-group-'));
  const database = await createTestDatabase('postgresql');
  // The first process only takes requests, so every deploy is queued when the second one's runner starts.
  const front = await startTestApi('postgresql', { runner: { disabled: true } }, { dataDir, database });
  let worker: TestApi | undefined;
  try {
    const requests = [['api', '1'], ['web', '1'], ['api', '2'], ['jobs', '1'], ['worker', '1']] as const;
    const ids: string[] = [];
    for (const [app, tag] of requests) {
      const res = await deploy(front, app, tag);
      assert.equal(res.statusCode, 202, res.body);
      ids.push(res.json().id);
    }
    worker = await startTestApi('postgresql', { runner: { scanIntervalMs: 100, leaseSeconds: 5 } }, { dataDir, database });
    const api = worker;
    await within(60_000, 'every deploy ends', Promise.all(ids.map((id) => followEvents(api.app, api.adminToken, id))));

    const replaced = await get(worker, ids[0]);
    assert.equal(replaced.status, 'failed');
    assert.equal(replaced.reason, 'superseded');
    assert.equal(replaced.commit, undefined, 'never committed');
    const landed = [ids[1], ids[2], ids[3], ids[4]];
    for (const id of landed) assert.equal((await get(worker, id)).status, 'committed', id);

    const gitdir = join(dataDir, 'repos', `${workspaceSlug('default', 'default')}.git`);
    const git = (...args: string[]) => execFileSync('git', [`--git-dir=${gitdir}`, ...args], { encoding: 'utf8' }).trim();
    assert.equal(git('fsck', '--strict', '--no-dangling'), '');
    const commits = git('log', '--format=%H', 'main', '--', 'apps').split('\n');
    const byDeployment = new Map(commits.map((sha) => [git('log', '-1', '--format=%(trailers:key=Loco-Deployment,valueonly,separator=)', sha), sha]));
    assert.deepEqual([...byDeployment.keys()].sort(), [...landed].sort(), 'one commit per landed deploy, none for the replaced one');
    for (const id of landed) {
      const d = await get(worker, id);
      const sha = byDeployment.get(id)!;
      assert.equal(d.commit, sha);
      assert.equal(git('log', '-1', '--format=%(trailers:key=Loco-App,valueonly,separator=)', sha), d.app);
      assert.equal(git('log', '-1', '--format=%(trailers:key=Loco-Image,valueonly,separator=)', sha), d.image);
      for (const file of git('diff-tree', '-r', '--name-only', '--no-commit-id', sha).split('\n')) assert.ok(file.startsWith(`apps/${d.app}/`), `${file} in ${d.app}'s commit`);
    }
    assert.match(git('show', 'main:apps/api/overlays/dev/kustomization.yaml'), /newName: registry.example.com\/acme\/api\n    newTag: "2"/);
  } finally {
    await worker?.close();
    await front.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
