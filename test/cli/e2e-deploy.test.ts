// The real `loco` binary against a real API process (embedded database, local repositories,
// no Argo CD): auth and exit codes, deploy to `committed`, JSON output, and the changes that
// follow a deploy, and the progress view on a real terminal (tmux). Argo CD outcomes are in
// e2e-argocd.test.ts.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appDir, bin, loco, root, startApi, tempDir, WEB_CONFIG, type RunningApi } from './harness.ts';
import { hasTmux, runInTmux } from './tmux.ts';

const skip = hasTmux ? false : 'tmux is not installed (apt-get install -y tmux): the TTY progress view is not tested';

let api: RunningApi;
let env: Record<string, string>;

before(async () => {
  api = await startApi();
  env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
});
after(async () => api?.stop());

test('a token the API does not accept exits 3 with how to log in', async () => {
  const result = await loco(['whoami'], { env: { LOCO_API_URL: api.url, LOCO_TOKEN: 'loco_not-a-real-token' } });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /loco login/);
  const login = await loco(['login', '--api', api.url, '--token', 'loco_not-a-real-token']);
  assert.equal(login.code, 3);
  assert.match(login.stderr, /does not accept this token/);
});

test('login saves the token (0600) and the only workspace; whoami -o json reads them back', async () => {
  const home = tempDir('home');
  const login = await loco(['login', '--api', api.url, '--token', api.adminToken], { home });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Logged in to .* as admin\.\nWorkspace: default\/default/);
  const creds = join(home, '.config', 'loco', 'credentials.toml');
  assert.ok(existsSync(creds));
  assert.equal(statSync(creds).mode & 0o777, 0o600);
  const who = await loco(['whoami', '-o', 'json'], { home });
  assert.equal(who.code, 0, who.stderr);
  const me = JSON.parse(who.stdout);
  assert.equal(me.user.name, 'admin');
  assert.equal(me.workspace, 'default/default');
  assert.deepEqual(me.memberships.map((m: { org: string; workspace: string }) => `${m.org}/${m.workspace}`), ['default/default']);
  const logout = await loco(['logout'], { home });
  assert.equal(logout.code, 0);
  assert.equal((await loco(['whoami'], { home })).code, 3);
});

test('use refuses a workspace the user is not in', async () => {
  const result = await loco(['use', 'acme/nope'], { env });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /not a member of acme\/nope[\s\S]*default\/default/);
});

test('deploy without an image and without any builder on PATH says so and suggests --image', async () => {
  const dir = appDir('[Metadata]\nName = "built"\n', { Dockerfile: 'FROM scratch\n', '.dockerignore': 'node_modules\n' });
  const result = await loco(['deploy', '--non-interactive'], { cwd: dir, env: { ...env, PATH: tempDir('no-builders') } });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /cannot build the image: none of podman, buildah or docker is installed/);
  assert.match(result.stderr, /loco deploy --image/);
});

/** A container engine double on PATH (the outside system `loco deploy` builds with): `docker` logs every call. */
function fakeDocker(): { path: string; calls: () => string[] } {
  const dir = tempDir('engine');
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'docker'), `#!/bin/sh
echo "$*" >> '${log}'
echo "ok: $*"
`, { mode: 0o755 });
  return { path: `${dir}:${join(root, 'node_modules/.bin')}:${process.env.PATH}`, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const BUILT = '[Metadata]\nName = "built"\n\n[Profile.dev]\n\n[Profile.prod]\n';

test('deploy without an image on a Loco that issues no registry credentials names the setting and --image, before any build', async () => {
  const engine = fakeDocker();
  const dir = appDir(BUILT, { Dockerfile: 'FROM scratch\n' });
  const result = await loco(['deploy', '--profile', 'dev', '--non-interactive'], { cwd: dir, env: { ...env, PATH: engine.path, LOCO_BUILDER: 'docker' } });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /does not issue registry credentials/);
  assert.match(result.stderr, /LOCO_REGISTRY_TOKEN_KEY[\s\S]*--image/);
  assert.deepEqual(engine.calls(), [], 'no build, no push');
});

test('deploy without Argo CD prints the id at once and ends at committed with exit 0', async () => {
  const dir = appDir(WEB_CONFIG);
  const result = await loco(['deploy', '--profile', 'dev', '--non-interactive'], { cwd: dir, env });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const lines = result.stdout.split('\n');
  const idLine = lines.findIndex((l) => /^Deployment dpl_\w+ \(web@dev, ghcr\.io\/acme\/web:1\.0\.0\)$/.test(l));
  assert.ok(idLine >= 0, result.stdout);
  assert.ok(lines.slice(idLine + 1).some((l) => /^\S+Z committed\s/.test(l)), 'a plain, timestamped event line follows the id');
  assert.match(result.stdout, /✓ Committed [0-9a-f]{7} for web@dev\. .*Argo CD/);
  assert.doesNotMatch(result.stdout, /\x1b\[/, 'no escape codes off a TTY');
});

const SHRINK_SERVICE = '[Metadata]\nName = "shrink"\n\n[Build]\nImage = "ghcr.io/acme/shrink:1"\n\n[Profile.dev]\n';
// as a worker it has no Service, HTTPRoute or BackendTrafficPolicy: Argo CD would prune 4 resources for 1 new one
const SHRINK_WORKER = SHRINK_SERVICE.replace('Name = "shrink"', 'Name = "shrink"\nType = "WORKER"');

test('a deploy that would prune widely exits 1 with the refusal, what would go and the hint; --confirm-prune deploys it', async () => {
  const dir = appDir(SHRINK_SERVICE);
  const first = await loco(['deploy', '--profile', 'dev', '--non-interactive'], { cwd: dir, env });
  assert.equal(first.code, 0, first.stderr + first.stdout);
  writeFileSync(join(dir, 'loco.toml'), SHRINK_WORKER);
  const refused = await loco(['deploy', '--profile', 'dev', '--non-interactive'], { cwd: dir, env });
  assert.equal(refused.code, 1, refused.stderr + refused.stdout);
  assert.match(refused.stderr, /failed \(prune\): deploying shrink@dev would remove 4 Kubernetes resources and add 1; Argo CD would prune them/);
  assert.match(refused.stderr, /^Would remove: BackendTrafficPolicy\/shrink, ConfigMap\/shrink-env-\w+, HTTPRoute\/shrink, Service\/shrink$/m);
  assert.match(refused.stderr, /^Next: .*repeat with --confirm-prune/m);
  const confirmed = await loco(['deploy', '--profile', 'dev', '--non-interactive', '--confirm-prune'], { cwd: dir, env });
  assert.equal(confirmed.code, 0, confirmed.stderr + confirmed.stdout);
  assert.match(confirmed.stdout, /✓ Committed [0-9a-f]{7} for shrink@dev/);
});

test('a direct deploy to prod (protected by review) exits 1, names the promotion to run and records nothing', async () => {
  const dir = appDir(WEB_CONFIG.replace('web:1.0.0', 'web:9.9.9'));
  const result = await loco(['deploy', '--profile', 'prod'], { cwd: dir, env });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stderr, /web@prod is protected by review: a new release reaches prod by a promotion pull request/);
  assert.match(result.stderr, /hint: .*loco promote web --from <that profile> --to prod/);
  const history = await loco(['history', 'web', '-o', 'json'], { env });
  assert.doesNotMatch(history.stdout, /9\.9\.9/, 'nothing was committed');
});

test('deploy -o json is one parseable document with the outcome, deployment and events', async () => {
  const dir = appDir(WEB_CONFIG.replace('web:1.0.0', 'web:1.0.1'));
  const result = await loco(['deploy', '--profile', 'dev', '-o', 'json'], { cwd: dir, env });
  assert.equal(result.code, 0, result.stderr);
  const out = JSON.parse(result.stdout);
  assert.equal(out.outcome, 'committed');
  assert.equal(out.deployment.app, 'web');
  assert.equal(out.deployment.profile, 'dev');
  assert.match(out.deployment.commit, /^[0-9a-f]{40}$/);
  assert.ok(out.events.length >= 1);
  assert.deepEqual(out.events.map((e: { seq: number }) => e.seq), [...out.events.map((e: { seq: number }) => e.seq)].sort((a: number, b: number) => a - b));

  const events = await loco(['events', out.deployment.id, '-o', 'json'], { env });
  assert.equal(events.code, 0, events.stderr);
  assert.deepEqual(JSON.parse(events.stdout).events.map((e: { seq: number }) => e.seq), out.events.map((e: { seq: number }) => e.seq));

  const status = await loco(['status', 'web', '--profile', 'dev', '-o', 'json'], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.equal(JSON.parse(status.stdout).deployment.id, out.deployment.id);

  const apps = await loco(['apps', '-o', 'json'], { env });
  assert.equal(apps.code, 0, apps.stderr);
  assert.ok(JSON.parse(apps.stdout).some((a: { name: string }) => a.name === 'web'));
});

test('deploy --no-wait returns after creating the deployment; events follows it to the end', async () => {
  const dir = appDir(WEB_CONFIG.replace('web:1.0.0', 'web:1.0.2'));
  const result = await loco(['deploy', '--profile', 'dev', '--no-wait', '-o', 'json'], { cwd: dir, env });
  assert.equal(result.code, 0, result.stderr);
  const { deployment } = JSON.parse(result.stdout);
  const followed = await loco(['events', deployment.id, '--non-interactive'], { env });
  assert.equal(followed.code, 0, followed.stderr);
  assert.match(followed.stdout, /Committed [0-9a-f]{7} for web@dev/);
});

test('deploy of an unknown profile exits 2 naming the profiles', async () => {
  const dir = appDir(WEB_CONFIG);
  const result = await loco(['deploy', '--profile', 'qa', '--image', 'x/y:1'], { cwd: dir, env });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /profile "qa" is not in loco.toml \(it has: dev, prod\)/);
});

test('events of an unknown deployment is not found (exit 1) with a hint', async () => {
  const result = await loco(['events', 'dpl_NOPE'], { env });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /error: /);
  assert.match(result.stderr, /hint: /);
});

test('deploy on a TTY shows named phases in colour, then the outcome', { skip }, () => {
  const home = tempDir('home');
  const { screen, exitCode } = runInTmux([process.execPath, bin, 'deploy', '--profile', 'dev'], {
    PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    LOCO_API_URL: api.url,
    LOCO_TOKEN: api.adminToken,
    TERM: 'xterm-256color',
  }, appDir(WEB_CONFIG));
  if (process.env.LOCO_SHOW_SCREEN) console.log(screen);
  const plain = screen.replace(/\x1b\[[0-9;]*m/g, '');
  assert.equal(exitCode, 0, plain);
  assert.match(plain, /==> Validated loco\.toml: web@dev/);
  assert.match(plain, /==> Deploying web@dev to default\/default/);
  assert.match(plain, /Deployment dpl_\w+ \(web@dev/);
  assert.match(plain, /==> Committed [0-9a-f]{7}/);
  assert.match(plain, /✓ Committed [0-9a-f]{7} for web@dev/);
  assert.match(screen, /\x1b\[[0-9;]*m==>/, 'phases are coloured on a TTY');
  assert.doesNotMatch(plain, /^\d{4}-\d\d-\d\dT\S+Z /m, 'no plain timestamped lines on a TTY');
});

test('env set/list/unset and scale are commits followed like deploys; history -o json shows them', async () => {
  const dir = appDir(WEB_CONFIG.replace(/web/g, 'conf'));
  assert.equal((await loco(['deploy', '--profile', 'dev', '--non-interactive'], { cwd: dir, env })).code, 0);
  const set = await loco(['env', 'set', 'LOG_LEVEL=debug', 'FEATURE_X=on', '--profile', 'dev', '--non-interactive'], { cwd: dir, env });
  assert.equal(set.code, 0, set.stderr + set.stdout);
  assert.match(set.stdout, /✓ Committed [0-9a-f]{7} for conf@dev/);
  const unset = await loco(['env', 'unset', 'FEATURE_X', '--app', 'conf', '--profile', 'dev', '--non-interactive'], { env });
  assert.equal(unset.code, 0, unset.stderr + unset.stdout);
  const list = await loco(['env', 'list', '--profile', 'dev', '-o', 'json'], { cwd: dir, env });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout).variables, { LOG_LEVEL: 'debug' });
  const scale = await loco(['scale', '--profile', 'dev', '--replicas', '3', '-o', 'json'], { cwd: dir, env });
  assert.equal(scale.code, 0, scale.stderr);
  assert.equal(JSON.parse(scale.stdout).outcome, 'committed');
  assert.equal((await loco(['scale', '--profile', 'dev'], { cwd: dir, env })).code, 2);

  const history = await loco(['history', 'conf', '-o', 'json'], { env });
  assert.equal(history.code, 0, history.stderr);
  const changes = (JSON.parse(history.stdout) as { change?: string; app?: string }[]).filter((e) => e.app === 'conf').map((e) => e.change);
  assert.deepEqual(changes, ['scale', 'env', 'env', 'deploy']);
});

test('rollback restores an earlier deployment as a new commit; destroy --yes removes the app', async () => {
  const v1 = appDir(WEB_CONFIG.replace(/web/g, 'roll'));
  const first = JSON.parse((await loco(['deploy', '--profile', 'dev', '-o', 'json'], { cwd: v1, env })).stdout).deployment;
  const v2 = appDir(WEB_CONFIG.replace(/web/g, 'roll').replace('1.0.0', '2.0.0'));
  assert.equal((await loco(['deploy', '--profile', 'dev', '--non-interactive'], { cwd: v2, env })).code, 0);
  const back = await loco(['rollback', first.id, '-o', 'json'], { env });
  assert.equal(back.code, 0, back.stderr);
  const out = JSON.parse(back.stdout);
  assert.equal(out.outcome, 'committed');
  assert.equal(out.deployment.image, 'ghcr.io/acme/roll:1.0.0');
  assert.notEqual(out.deployment.commit, first.commit);

  const destroyed = await loco(['destroy', 'roll', '--yes'], { env });
  assert.equal(destroyed.code, 0, destroyed.stderr);
  const apps = JSON.parse((await loco(['apps', '-o', 'json'], { env })).stdout) as { name: string }[];
  assert.ok(!apps.some((a) => a.name === 'roll'));
});

test('members: list, add with a role (DESIGN names accepted), remove; mistakes are clear', async () => {
  const list = async () => JSON.parse((await loco(['members', '-o', 'json'], { env })).stdout) as { user: string; role: string }[];
  assert.deepEqual((await list()).map((m) => `${m.user}:${m.role}`), ['admin:admin']);
  const added = await loco(['members', 'add', 'rosa', '--role', 'deployer'], { env });
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /^rosa is a member of default\/default with the deploy role\.\nInvitation for rosa \(shown once; works once, until \S+\)\. rosa logs in with:\n  loco login --api \S+ --invite loco_inv_\S+\n$/, 'rosa has no token yet: her code is printed');
  assert.deepEqual((await list()).map((m) => `${m.user}:${m.role}`), ['admin:admin', 'rosa:deploy']);
  const table = await loco(['members'], { env });
  assert.match(table.stdout, /^rosa\s+deploy/m);

  const noUser = await loco(['members', 'add'], { env });
  assert.equal(noUser.code, 2);
  assert.match(noUser.stderr, /loco members add needs a user name/);
  const badRole = await loco(['members', 'add', 'rosa', '--role', 'owner'], { env });
  assert.equal(badRole.code, 2, badRole.stderr);
  assert.match(badRole.stderr, /role/);
  const lastAdmin = await loco(['members', 'remove', 'admin'], { env });
  assert.equal(lastAdmin.code, 1);
  assert.match(lastAdmin.stderr, /this would leave default\/default without an admin/);

  assert.equal((await loco(['members', 'remove', 'rosa'], { env })).stdout, 'rosa is no longer a member of default/default.\n');
  const again = await loco(['members', 'remove', 'rosa'], { env });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /rosa is not a member of default\/default/);
  assert.match(again.stderr, /hint: list members with `loco members`/);
});
