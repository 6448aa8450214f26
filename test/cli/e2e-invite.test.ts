// A second user takes part, through the real `loco` binary against a real API process that
// follows the Argo CD double: the admin adds bob (which prints his invitation code), bob logs
// in with it, and bob approves the admin's promotion to prod. Then tokens: bob makes, lists and
// revokes a personal token; a deploy token for CI deploys its app@profile and nothing else.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { appDir, loco, startApi, tempDir, WEB_CONFIG, type RunningApi } from './harness.ts';

let api: RunningApi;
let argocd: ArgoCdDouble;
let admin: Record<string, string>;
const bob = tempDir('home');
const web = appDir(WEB_CONFIG);
let code: string;

before(async () => {
  const dataDir = tempDir('data');
  argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`) });
  // Healthy must hold 0.5 s (5 s by default).
  api = await startApi({ LOCO_ARGOCD_URL: argocd.url, LOCO_ARGOCD_TOKEN: argocd.token, LOCO_ARGOCD_HEALTHY_SECONDS: '0.5' }, dataDir);
  admin = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
});
after(async () => {
  await api?.stop();
  await argocd?.stop();
});

test('members add prints the new user\'s invitation code and the login command, once', async () => {
  const added = await loco(['members', 'add', 'bob', '--role', 'deploy'], { env: admin });
  assert.equal(added.code, 0, added.stdout + added.stderr);
  assert.match(added.stdout, /^bob is a member of default\/default with the deploy role\.$/m);
  assert.match(added.stdout, /^Invitation for bob \(shown once; works once, until \d{4}-\d\d-\d\dT[\d:.]+Z\)\. bob logs in with:$/m);
  code = new RegExp(`^  loco login --api ${api.url} --invite (loco_inv_\\S+)$`, 'm').exec(added.stdout)?.[1] ?? assert.fail(added.stdout);
  const list = await loco(['members', '-o', 'json'], { env: admin });
  assert.ok(!list.stdout.includes(code));
});

test('bob logs in with the code; a second use of it is refused (exit 3) and changes nothing', async () => {
  const login = await loco(['login', '--api', api.url, '--invite', code], { home: bob });
  assert.equal(login.code, 0, login.stdout + login.stderr);
  assert.equal(login.stdout, `Logged in to ${api.url} as bob.\nWorkspace: default/default\n`);

  const again = await loco(['login', '--api', api.url, '--invite', code], { home: tempDir('home') });
  assert.equal(again.code, 3, again.stdout + again.stderr);
  assert.match(again.stderr, /^error: this invitation code was already used, at \S+; a code works once$/m);
  assert.match(again.stderr, /^hint: .*loco members invite <user>/m);
});

test('whoami shows bob\'s token, its kind and when it expires (90 days)', async () => {
  const who = await loco(['whoami'], { home: bob });
  assert.equal(who.code, 0, who.stderr);
  assert.match(who.stdout, /^user\s+bob$/m);
  assert.match(who.stdout, /^token\s+"invitation to default\/default" \(personal\)$/m);
  const expires = /^expires\s+(\S+) \(in (\d+) days\)$/m.exec(who.stdout) ?? assert.fail(who.stdout);
  assert.ok(['89', '90'].includes(expires[2]), who.stdout);
  const json = JSON.parse((await loco(['whoami', '-o', 'json'], { home: bob })).stdout);
  assert.equal(json.token.kind, 'personal');
  assert.equal(json.token.expiresAt, expires[1]);
});

test('bob, invited, approves the admin\'s promotion to prod, and it merges and succeeds', async () => {
  const deployed = await loco(['deploy', '--profile', 'dev', '-o', 'json', '--timeout', '1m'], { cwd: web, env: admin });
  assert.equal(deployed.code, 0, deployed.stderr);
  const opened = JSON.parse((await loco(['promote', 'web', '--from', 'dev', '--to', 'prod', '-o', 'json'], { env: admin })).stdout);
  const approve = await loco(['promote', 'approve', opened.id], { home: bob });
  assert.equal(approve.code, 0, approve.stdout + approve.stderr);
  assert.equal(approve.stdout, `Approved ${opened.id} (web: dev → prod). Merge it: loco promote merge ${opened.id}\n`);
  const merge = await loco(['promote', 'merge', opened.id, '--non-interactive', '--timeout', '1m'], { env: admin });
  assert.equal(merge.code, 0, merge.stdout + merge.stderr);
  const state = JSON.parse((await loco(['promote', 'show', opened.id, '-o', 'json'], { home: bob })).stdout);
  assert.equal(state.status, 'merged');
  assert.deepEqual(state.approvals.map((a: { user: string }) => a.user), ['bob']);
  assert.deepEqual(argocd.violations, []);
});

test('tokens create prints the secret alone on stdout; list never shows it; revoke stops it at once (exit 3 with a hint)', async () => {
  const created = await loco(['tokens', 'create', 'laptop', '--expires', '30d'], { home: bob });
  assert.equal(created.code, 0, created.stderr);
  const secret = created.stdout.trim();
  assert.match(secret, /^loco_pat_\S+$/);
  assert.match(created.stderr, /^Created personal token "laptop" \(tok_\w+\), valid until \S+ \((29|30) days\)\.$/m);
  assert.match(created.stderr, /Copy it now: it is not shown again\./);

  const list = await loco(['tokens', 'list'], { home: bob });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ID\s+NAME\s+KIND\s+SCOPE\s+CREATED\s+EXPIRES\s+LAST USED$/m);
  assert.match(list.stdout, /^tok_\w+\s+laptop\s+personal\s+personal\s+\S+ \S+\s+\S+ \S+\s+never$/m);
  assert.match(list.stdout, /^tok_\w+\s+invitation to default\/default\s+personal\s+personal\s+\S+ \S+\s+\S+ \S+\s+\d{4}-/m, 'the login token was used');
  assert.ok(!list.stdout.includes(secret));

  const env = { LOCO_API_URL: api.url, LOCO_TOKEN: secret };
  assert.equal((await loco(['whoami'], { env })).code, 0);
  const revoked = await loco(['tokens', 'revoke', 'laptop'], { home: bob });
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /^Revoked token "laptop" \(tok_\w+\); it no longer works\.$/m);
  const refused = await loco(['whoami'], { env });
  assert.equal(refused.code, 3, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /^error: the token "laptop" was revoked at \S+$/m);
  assert.match(refused.stderr, /^hint: log in again with `loco login`, or create a new token with `loco tokens create`$/m);
});

test('a deploy token for web@dev deploys web to dev from CI, and is refused (exit 3) anything else, naming its scope', async () => {
  const created = await loco(['tokens', 'create', '--deploy', '--profile', 'dev'], { cwd: web, env: admin });
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stderr, /^Created deploy token for web@dev in default\/default \(tok_\w+\), valid until \S+ \(4m\d+s|5m\)\.$/m);
  const ci = { LOCO_API_URL: api.url, LOCO_TOKEN: created.stdout.trim(), CI: 'true' };

  const deploy = await loco(['deploy', '--profile', 'dev', '--timeout', '1m'], { cwd: web, env: ci });
  assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
  assert.match(deploy.stdout, /Deployment dpl_\w+ of web@dev succeeded/);

  for (const args of [['deploy', '--profile', 'prod'], ['env', 'set', 'A=b', '--profile', 'dev'], ['members'], ['tokens', 'list']]) {
    const refused = await loco(args, { cwd: web, env: ci });
    assert.equal(refused.code, 3, `${args.join(' ')}: ${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, /^error: this deploy token may only deploy web@dev and read those deployments and their events$/m, args.join(' '));
    assert.match(refused.stderr, /^hint: .*loco tokens create --deploy --app <app> --profile <profile>/m);
  }
  const who = await loco(['whoami'], { env: ci });
  assert.match(who.stdout, /^token\s+"deploy web@dev" \(deploy token: may only deploy default\/default web@dev\)$/m);
});
