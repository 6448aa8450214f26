// Deleting a workspace removes its apps from the GitOps repository in one Loco commit (so Argo
// CD's ApplicationSet stops running them), tells the operator which Argo CD Applications and
// objects to remove, and a new workspace of the same name starts with no apps. Checked with the
// git CLI on the repository, through the real API and the real `loco`.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initTemplate } from '../../generator/index.ts';
import { loco, startApi, type RunningApi } from './harness.ts';

let api: RunningApi;
before(async () => {
  api = await startApi();
});
after(async () => {
  await api?.stop();
});

const git = (gitdir: string, ...args: string[]) => execFileSync('git', ['--git-dir', gitdir, ...args], { encoding: 'utf8' }).trim();

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${api.url}/api/v1${path}`, {
    method, headers: { authorization: `Bearer ${api.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

/** Deploys through the API and reads the deployment's event stream to its end (committed: no Argo CD here). */
async function deploy(ws: string, app: string, profile: string): Promise<void> {
  const res = await request('POST', `/orgs/default/workspaces/${ws}/apps/${app}/deployments`, { config: `${initTemplate({ name: app, image: `registry.example.com/acme/${app}:1` })}\n[Profile.uat]\nCPU = "250m"\n`, profile, image: `registry.example.com/acme/${app}:1` });
  assert.equal(res.status, 202, await res.clone().text());
  const { id } = (await res.json()) as { id: string };
  const events = await (await fetch(`${api.url}/api/v1/deployments/${id}/events`, { headers: { authorization: `Bearer ${api.adminToken}`, accept: 'text/event-stream' } })).text();
  assert.match(events, /No Argo CD is configured/, events);
}

test('workspace delete commits the removal of every app, names the Argo CD Applications, and a re-created workspace starts clean', { timeout: 180_000 }, async () => {
  const env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
  assert.equal((await loco(['workspace', 'create', 'default/shop'], { env })).code, 0);
  await deploy('shop', 'api', 'dev');
  await deploy('shop', 'api', 'uat');
  await deploy('shop', 'web', 'dev');
  const gitdir = join(api.dataDir, 'repos', 'default--shop.git');
  const before = git(gitdir, 'rev-parse', 'main');
  assert.match(git(gitdir, 'ls-tree', '-d', '--name-only', 'main', 'apps/'), /apps\/api\napps\/web/);

  const refused = await loco(['workspace', 'delete', 'default/shop', '--non-interactive'], { env });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--yes/);
  assert.equal(git(gitdir, 'rev-parse', 'main'), before, 'nothing changed without confirmation');

  const deleted = await loco(['workspace', 'delete', 'default/shop', '--yes'], { env });
  assert.equal(deleted.code, 0, deleted.stderr);
  // one commit on top of the last deploy, removing every app file, with Loco's trailers
  const commit = git(gitdir, 'rev-parse', 'main');
  assert.equal(git(gitdir, 'rev-parse', 'main~1'), before);
  assert.match(deleted.stdout, new RegExp(`removed api, web in commit ${commit.slice(0, 7)}`));
  assert.equal(git(gitdir, 'ls-tree', '-r', '--name-only', 'main', 'apps/'), '', 'main holds no app any more');
  const removedFiles = git(gitdir, 'show', '--name-status', '--format=', 'main').split('\n');
  assert.ok(removedFiles.length > 5 && removedFiles.every((l) => l.startsWith('D\t')), removedFiles.join('\n'));
  assert.ok(git(gitdir, 'ls-tree', '-r', '--name-only', 'main~1', 'apps/').split('\n').every((f) => removedFiles.includes(`D\t${f}`)));
  const trailers = git(gitdir, 'log', '-1', '--format=%(trailers:only,unfold)', 'main');
  assert.match(trailers, /^Loco-Deployment: dpl_[0-9A-Z]{26}$/m);
  assert.match(trailers, /^Loco-Change: delete$/m);
  assert.match(trailers, /^Loco-App: \*$/m);
  assert.match(trailers, /^Loco-Actor: admin$/m);
  assert.match(git(gitdir, 'log', '-1', '--format=%s', 'main'), /^delete\(workspace default\/shop\): remove every app \(api, web\)/);
  assert.equal(git(gitdir, 'fsck', '--strict'), '');
  // what the operator removes from Argo CD
  for (const application of ['default--shop--api--dev', 'default--shop--api--uat', 'default--shop--web--dev']) assert.match(deleted.stdout, new RegExp(application));
  assert.match(deleted.stdout, /kubectl -n argocd delete applicationsets\.argoproj\.io default--shop/);
  assert.match(deleted.stdout, /kubectl -n argocd delete appprojects\.argoproj\.io default--shop/);
  assert.match(deleted.stdout, /policy\.loco-default--shop\.csv/);

  // the same name again: no apps, a clean audit, and deploys work
  const again = await loco(['workspace', 'create', 'default/shop'], { env });
  assert.equal(again.code, 0, again.stderr);
  const apps = await loco(['apps', '--workspace', 'default/shop', '-o', 'json'], { env });
  assert.equal(apps.code, 0, apps.stderr);
  assert.deepEqual(JSON.parse(apps.stdout), []);
  const audit = await loco(['audit', 'verify', '--workspace', 'default/shop'], { env });
  assert.equal(audit.code, 0, audit.stdout + audit.stderr);
  await deploy('shop', 'web', 'dev');
  assert.equal(git(gitdir, 'ls-tree', '-d', '--name-only', 'main', 'apps/'), 'apps/web');
  assert.equal((await loco(['audit', 'verify', '--workspace', 'default/shop'], { env })).code, 0);
});

test('workspace delete -o json names the commit, the apps and the Argo CD objects', { timeout: 120_000 }, async () => {
  const env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
  assert.equal((await loco(['workspace', 'create', 'default/tiny'], { env })).code, 0);
  await deploy('tiny', 'api', 'dev');
  const r = await loco(['workspace', 'delete', 'default/tiny', '--yes', '-o', 'json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.commit, git(join(api.dataDir, 'repos', 'default--tiny.git'), 'rev-parse', 'main'));
  assert.deepEqual(result.removedApps, ['api']);
  assert.deepEqual(result.argocd.applications, ['default--tiny--api--dev']);
  assert.equal(result.argocd.project, 'default--tiny');
  assert.match(result.nextStep, /ApplicationSet default--tiny/);
});
