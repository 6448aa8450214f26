// Promotion through the real `loco` binary against a real API process (local repositories, so
// the pull request is held in Loco's database) that follows the Argo CD double: a release that
// succeeded in dev is promoted to prod, approved by someone other than its author, merged, and
// followed to its outcome in prod. The reviewer is a second user who logs in the way people do,
// through GitHub's device flow (test/doubles/github/device-flow.ts): the API has no other way to
// give a second user a token, and the tests do not write to its database.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { startDeviceFlowDouble, type DeviceFlowDouble } from '../doubles/github/device-flow.ts';
import { argoApplicationName, workspaceSlug } from '../../generator/names.ts';
import { apiRequest, appDir, loco, loginWithGitHub, startApi, tempDir, WEB_CONFIG, type RunningApi } from './harness.ts';

let api: RunningApi;
let argocd: ArgoCdDouble;
let github: DeviceFlowDouble;
/** The admin, who deploys and opens promotions. */
let admin: Record<string, string>;
/** Home folder of rosa, a member with the deploy role, logged in through GitHub. */
let rosa: string;

before(async () => {
  const dataDir = tempDir('data');
  argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`) });
  github = await startDeviceFlowDouble({ interval: 1, accounts: [{ login: 'rosa', id: 7001 }] });
  // Healthy must hold 0.5 s (5 s by default).
  api = await startApi({
    LOCO_ARGOCD_URL: argocd.url, LOCO_ARGOCD_TOKEN: argocd.token, LOCO_ARGOCD_HEALTHY_SECONDS: '0.5',
    LOCO_GITHUB_CLIENT_ID: github.clientId, LOCO_GITHUB_WEB_URL: github.url, LOCO_GITHUB_API_URL: github.url,
  }, dataDir);
  admin = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
  await apiRequest(api, 'POST', '/orgs/default/workspaces/default/members', { user: 'rosa', role: 'deploy' });
  rosa = tempDir('home');
  const login = await loginWithGitHub(api, github, { login: 'rosa', id: 7001 }, rosa);
  assert.equal(login.code, 0, login.stdout + login.stderr);
});
after(async () => {
  await api?.stop();
  await argocd?.stop();
  await github?.close();
});

const web = appDir(WEB_CONFIG);
let devDeployment: string;
let superseded: string;
let promotion: string;

test('promoting from a profile whose release did not succeed is refused with the reason and the next step', async () => {
  argocd.setScenario(argoApplicationName(workspaceSlug('default', 'default'), 'shaky', 'dev'), { outcome: 'sync-failed' });
  const dir = appDir(WEB_CONFIG.replace(/web/g, 'shaky'));
  const deployed = await loco(['deploy', '--profile', 'dev', '--non-interactive', '--timeout', '1m'], { cwd: dir, env: admin });
  assert.equal(deployed.code, 1, deployed.stdout + deployed.stderr);
  const failed = /^Deployment (dpl_\w+) /m.exec(deployed.stdout)![1];

  const result = await loco(['promote', 'shaky', '--from', 'dev', '--to', 'prod'], { env: admin });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.ok(result.stderr.includes(`error: only a release that succeeded in dev can be promoted; ${failed} (ghcr.io/acme/shaky:1.0.0) failed (sync-failed): Argo CD could not apply`), result.stderr);
  assert.match(result.stderr, /hint: fix it and deploy to dev again \(loco deploy --profile dev\)/);
  const list = await loco(['promote', 'list', 'shaky', '-o', 'json'], { env: admin });
  assert.deepEqual(JSON.parse(list.stdout), [], 'nothing was opened');
});

test('a direct deploy to prod exits 1: prod is protected by review, and loco promote is the way', async () => {
  const result = await loco(['deploy', '--profile', 'prod', '--non-interactive'], { cwd: web, env: admin });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stderr, /web@prod is protected by review/);
  assert.match(result.stderr, /loco promote web --from <that profile> --to prod/);
});

test('a release that succeeded in dev opens a promotion that names its id, title and next step', async () => {
  const deployed = await loco(['deploy', '--profile', 'dev', '-o', 'json', '--timeout', '1m'], { cwd: web, env: admin });
  assert.equal(deployed.code, 0, deployed.stderr);
  const out = JSON.parse(deployed.stdout);
  assert.equal(out.outcome, 'succeeded');
  devDeployment = out.deployment.id;

  const result = await loco(['promote', '--from', 'dev', '--to', 'prod'], { cwd: web, env: admin });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  superseded = /^promotion\s+(prm_\w+) open$/m.exec(result.stdout)?.[1] ?? assert.fail(`no promotion id in:\n${result.stdout}`);
  assert.match(result.stdout, /^title\s+promote\(web\): dev → prod$/m);
  assert.match(result.stdout, /^app\s+web: dev → prod$/m);
  assert.match(result.stdout, /^author\s+admin$/m);
  assert.match(result.stdout, /^approvals\s+none \(0\/1 needed\)$/m);
  assert.match(result.stdout, new RegExp(`^branch\\s+loco/promote/web/dev-to-prod/${superseded}$`, 'm'));
  assert.ok(result.stdout.includes(devDeployment), 'the body names the dev release it promotes');
  assert.match(result.stdout, new RegExp(`Next: someone other than you approves it \\(loco promote approve ${superseded}\\), then loco promote merge ${superseded}`));
});

test('promote -o json is the promotion; it supersedes the one still open for web@prod', async () => {
  const result = await loco(['promote', 'web', '--from', 'dev', '--to', 'prod', '-o', 'json'], { env: admin });
  assert.equal(result.code, 0, result.stderr);
  const p = JSON.parse(result.stdout);
  promotion = p.id;
  assert.match(p.id, /^prm_\w+$/);
  assert.notEqual(p.id, superseded);
  assert.deepEqual(
    { org: p.org, workspace: p.workspace, app: p.app, kind: p.kind, from: p.from, to: p.to, status: p.status, title: p.title, author: p.author, approvals: p.approvals, approvalsRequired: p.approvalsRequired, sourceDeploymentId: p.sourceDeploymentId, branch: p.branch },
    { org: 'default', workspace: 'default', app: 'web', kind: 'promote', from: 'dev', to: 'prod', status: 'open', title: 'promote(web): dev → prod', author: 'admin', approvals: [], approvalsRequired: 1, sourceDeploymentId: devDeployment, branch: `loco/promote/web/dev-to-prod/${p.id}` },
  );
  assert.match(p.headCommit, /^[0-9a-f]{40}$/);
  assert.match(p.body, /ghcr\.io\/acme\/web:1\.0\.0/, 'the body shows the image being promoted');
  assert.equal(p.deploymentId, undefined, 'nothing is deployed before the merge');

  const older = JSON.parse((await loco(['promote', 'show', superseded, '-o', 'json'], { env: admin })).stdout);
  assert.equal(older.status, 'superseded');
  assert.equal(older.supersededBy, promotion);
});

test('promote list and show tell each promotion\'s state', async () => {
  const list = await loco(['promote', 'list'], { env: admin });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ID\s+APP\s+CHANGE\s+STATUS\s+APPROVALS\s+AUTHOR/m);
  assert.match(list.stdout, new RegExp(`^${promotion}\\s+web\\s+promote dev → prod\\s+open\\s+0/1\\s+admin`, 'm'));
  assert.match(list.stdout, new RegExp(`^${superseded}\\s+web\\s+promote dev → prod\\s+superseded\\s`, 'm'));
  const open = JSON.parse((await loco(['promote', 'list', '--status', 'open', '-o', 'json'], { env: admin })).stdout);
  assert.deepEqual(open.map((p: { id: string }) => p.id), [promotion]);

  const show = await loco(['promote', 'show', promotion], { home: rosa });
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`^promotion\\s+${promotion} open$`, 'm'));
  assert.match(show.stdout, /^title\s+promote\(web\): dev → prod$/m);
  const old = await loco(['promote', 'show', superseded], { env: admin });
  assert.match(old.stdout, new RegExp(`^superseded by\\s+${promotion}$`, 'm'));
});

test('the author can neither approve their own promotion (exit 3) nor merge it unapproved (exit 1)', async () => {
  const approve = await loco(['promote', 'approve', promotion], { env: admin });
  assert.equal(approve.code, 3, approve.stdout + approve.stderr);
  assert.match(approve.stderr, new RegExp(`error: you opened promotion ${promotion}, so you cannot approve it yourself`));
  assert.match(approve.stderr, /hint: ask another member of the workspace with deploy rights to approve it/);

  const merge = await loco(['promote', 'merge', promotion], { env: admin });
  assert.equal(merge.code, 1, merge.stdout + merge.stderr);
  assert.match(merge.stderr, new RegExp(`error: prod needs 1 approval before a merge; promotion ${promotion} has 0`));
  const state = JSON.parse((await loco(['promote', 'show', promotion, '-o', 'json'], { env: admin })).stdout);
  assert.equal(state.status, 'open');
  assert.deepEqual(state.approvals, []);
});

test('another member with the deploy role approves it', async () => {
  const approve = await loco(['promote', 'approve', promotion], { home: rosa });
  assert.equal(approve.code, 0, approve.stdout + approve.stderr);
  assert.equal(approve.stdout, `Approved ${promotion} (web: dev → prod). Merge it: loco promote merge ${promotion}\n`);
  const state = JSON.parse((await loco(['promote', 'show', promotion, '-o', 'json'], { env: admin })).stdout);
  assert.equal(state.status, 'approved');
  assert.deepEqual(state.approvals.map((a: { user: string }) => a.user), ['rosa (github:7001)'], 'the approver, as GitHub knows them');
});

test('merge lands the promotion on main and follows the prod deployment to success (exit 0)', async () => {
  const merge = await loco(['promote', 'merge', promotion, '--non-interactive', '--timeout', '1m'], { env: admin });
  assert.equal(merge.code, 0, merge.stdout + merge.stderr);
  const commit = new RegExp(`^Merged ${promotion} \\(([0-9a-f]{7})\\); following the prod deployment\\.$`, 'm').exec(merge.stdout)?.[1] ?? assert.fail(merge.stdout);
  assert.match(merge.stdout, /^Deployment dpl_\w+ \(web@prod, ghcr\.io\/acme\/web:1\.0\.0\)$/m);
  assert.match(merge.stdout, new RegExp(`✓ Deployment dpl_\\w+ of web@prod succeeded in \\d+s \\(commit ${commit}\\)\\.`));

  const state = JSON.parse((await loco(['promote', 'show', promotion, '-o', 'json'], { env: admin })).stdout);
  assert.equal(state.status, 'merged');
  assert.ok(state.mergeCommit.startsWith(commit));
  const status = JSON.parse((await loco(['status', 'web', '--profile', 'prod', '-o', 'json'], { env: admin })).stdout);
  assert.equal(status.deployment.id, state.deploymentId);
  assert.equal(status.deployment.status, 'succeeded');
  assert.equal(status.health, 'Healthy');
  assert.equal(status.revision, state.mergeCommit, 'Argo CD runs the merge commit in prod');

  const again = await loco(['promote', 'merge', promotion], { env: admin });
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`promotion ${promotion} is merged; it cannot be merged`));
  assert.deepEqual(argocd.violations, []);
});

test('history of prod shows the promotion: who opened and approved it, its commit and outcome', async () => {
  const state = JSON.parse((await loco(['promote', 'show', promotion, '-o', 'json'], { env: admin })).stdout);
  const result = await loco(['history', 'web', '--profile', 'prod', '-o', 'json'], { env: admin });
  assert.equal(result.code, 0, result.stderr);
  const entries = JSON.parse(result.stdout) as Record<string, any>[];
  assert.equal(entries.length, 1, 'the merge is the only change to web@prod');
  const [entry] = entries;
  assert.equal(entry.change, 'promote');
  assert.equal(entry.app, 'web');
  assert.equal(entry.profile, 'prod');
  assert.equal(entry.commit, state.mergeCommit);
  assert.equal(entry.deploymentId, state.deploymentId);
  assert.equal(entry.image, 'ghcr.io/acme/web:1.0.0');
  assert.equal(entry.outcome, 'succeeded');
  assert.match(entry.actor, /^admin\b/);
  assert.equal(entry.pullRequest?.approver, 'rosa');
});
