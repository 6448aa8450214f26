// The laptop loop reaches prod: with no Argo CD configured nothing ever "succeeds", so a release
// that ended at committed may be promoted — and the promotion, its CLI summary and its pull
// request body say plainly that the source outcome was not verified. The real `loco` against a
// real API process without LOCO_ARGOCD_URL; the reviewer logs in through the device-flow double.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDeviceFlowDouble, type DeviceFlowDouble } from '../doubles/github/device-flow.ts';
import { apiRequest, appDir, loco, loginWithGitHub, startApi, tempDir, WEB_CONFIG, type RunningApi } from './harness.ts';

let api: RunningApi;
let github: DeviceFlowDouble;
let admin: Record<string, string>;
let rosa: string;

before(async () => {
  github = await startDeviceFlowDouble({ interval: 1, accounts: [{ login: 'rosa', id: 7002 }] });
  api = await startApi({ LOCO_GITHUB_CLIENT_ID: github.clientId, LOCO_GITHUB_WEB_URL: github.url, LOCO_GITHUB_API_URL: github.url });
  admin = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
  await apiRequest(api, 'POST', '/orgs/default/workspaces/default/members', { user: 'rosa', role: 'deploy' });
  rosa = tempDir('home');
  const login = await loginWithGitHub(api, github, { login: 'rosa', id: 7002 }, rosa);
  assert.equal(login.code, 0, login.stdout + login.stderr);
});
after(async () => {
  await api?.stop();
  await github?.close();
});

test('without Argo CD a committed release is promoted to prod, saying plainly its outcome was not verified', async () => {
  const deployed = await loco(['deploy', '--profile', 'dev', '--non-interactive', '-o', 'json'], { cwd: appDir(WEB_CONFIG), env: admin });
  assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
  const dev = JSON.parse(deployed.stdout).deployment;
  assert.equal(dev.status, 'committed');

  const opened = await loco(['promote', 'web', '--from', 'dev', '--to', 'prod'], { env: admin });
  assert.equal(opened.code, 0, opened.stdout + opened.stderr);
  assert.match(opened.stdout, new RegExp(`^source\\s+${dev.id} committed: not verified \\(no Argo CD saw it run in dev; check it there before approving\\)$`, 'm'));
  assert.match(opened.stdout, /The source outcome was not verified\.\*\* No Argo CD is configured, so Loco never saw this release running in dev/);
  const id = /^promotion\s+(prm_\w+)/m.exec(opened.stdout)![1];

  const shown = JSON.parse((await loco(['promote', 'show', id, '-o', 'json'], { env: admin })).stdout);
  assert.equal(shown.sourceDeploymentId, dev.id);
  assert.equal(shown.sourceStatus, 'committed');
  assert.equal(shown.sourceVerified, false);
  assert.match(shown.body, /\| Source deployment \| `dpl_\w+`: \*\*committed\*\* in dev/);
  assert.match(shown.body, /^> \*\*The source outcome was not verified\.\*\* No Argo CD is configured/m);

  const approved = await loco(['promote', 'approve', id], { home: rosa });
  assert.equal(approved.code, 0, approved.stdout + approved.stderr);
  const merged = await loco(['promote', 'merge', id, '--non-interactive', '-o', 'json'], { env: admin });
  assert.equal(merged.code, 0, merged.stdout + merged.stderr);
  const prod = JSON.parse(merged.stdout).deployment;
  assert.equal(prod.profile, 'prod');
  assert.equal(prod.status, 'committed');

  const history = JSON.parse((await loco(['history', 'web', '--profile', 'prod', '-o', 'json'], { env: admin })).stdout);
  assert.equal(history[0].deploymentId, prod.id);
  assert.equal(history[0].change, 'promote');
  assert.equal(history[0].pullRequest.approver, 'rosa');
});
