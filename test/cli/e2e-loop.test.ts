// The loop a new user walks, through the real `loco` binary and a real API process (no Argo
// CD): `open` finds the app's URL, which status, apps and deploy also show; `env list` shows
// the effective environment with sources; `env unset` of what is not set changes nothing; and
// a rollback takes back the env and scale changes after it, so the next deploy keeps them undone.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appDir, loco, startApi, type RunningApi } from './harness.ts';

let api: RunningApi;
let env: Record<string, string>;

before(async () => {
  api = await startApi();
  env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
});
after(async () => api?.stop());

const config = (name: string, vars = '') => `[Metadata]
Name = "${name}"

[Build]
Image = "ghcr.io/acme/${name}:1.0.0"

[Routing]
Subdomain = "${name}"
BaseDomain = "apps.example.com"

[Env.Variables]
${vars}

[Profile.dev]
`;

async function run(args: string[], cwd?: string) {
  const result = await loco(args, { env, ...(cwd ? { cwd } : {}) });
  assert.equal(result.code, 0, `loco ${args.join(' ')}\n${result.stdout}${result.stderr}`);
  return result;
}

const deploy = async (dir: string) => JSON.parse((await run(['deploy', '--non-interactive', '-o', 'json'], dir)).stdout).deployment;
const commits = async (app: string) => (JSON.parse((await run(['history', app, '-o', 'json'])).stdout) as unknown[]).length;

test('open prints the app\'s URL; deploy, status and apps show it too', async () => {
  const dir = appDir(config('shop'));
  const deployed = await run(['deploy', '--non-interactive'], dir);
  assert.match(deployed.stdout, /shop@dev is at https:\/\/shop\.apps\.example\.com\n/);
  const open = await run(['open', 'shop', '--profile', 'dev']);
  assert.equal(open.stdout, 'https://shop.apps.example.com\n');
  assert.match((await run(['status', 'shop', '--profile', 'dev'])).stdout, /^url\s+https:\/\/shop\.apps\.example\.com$/m);
  assert.match((await run(['apps'])).stdout, /shop\s+dev\s+committed\s+.*https:\/\/shop\.apps\.example\.com/);
  const dashboard = await loco(['open', 'shop', '--profile', 'dev', '--dashboard'], { env });
  assert.equal(dashboard.code, 1);
  assert.match(dashboard.stderr, /LOCO_ARGOCD_URL/);
});

test('env list shows every variable with where it comes from; unset of what is not set changes nothing', async () => {
  const dir = appDir(config('cart', 'GREETING = "hello"').replace('[Profile.dev]', '[Env.Secrets]\nDATABASE_URL = "db-credentials/url"\n\n[Profile.dev]'));
  await deploy(dir);
  await run(['env', 'set', 'FEATURE_X=on', '--non-interactive'], dir);
  const list = (await run(['env', 'list'], dir)).stdout;
  assert.match(list, /^GREETING\s+hello\s+loco\.toml \[Env\]$/m);
  assert.match(list, /^FEATURE_X\s+on\s+loco env set$/m);
  assert.match(list, /^LOCO_APP_NAME\s+cart\s+injected by Loco$/m);
  assert.match(list, /^LOCO_SHOP_URL\s+http:\/\/shop\.\S+\s+injected by Loco$/m);
  assert.match(list, /^DATABASE_URL\s+secret db-credentials, key url\s+loco\.toml \[Env\]$/m);
  const before = await commits('cart');
  const unset = await run(['env', 'unset', 'NOPE', '--non-interactive'], dir);
  assert.match(unset.stdout, /NOPE is not set in cart@dev; nothing to unset\.\nNothing changed: no deployment, no commit\./);
  const fromToml = await run(['env', 'unset', 'GREETING', '--non-interactive'], dir);
  assert.match(fromToml.stdout, /GREETING is not set by loco env in cart@dev; it comes from loco\.toml \[Env\], so change it there\./);
  assert.equal(await commits('cart'), before);
});

test('after env set and scale, a rollback undoes them and the next deploy does not bring them back', async () => {
  const dir = appDir(config('till'));
  const first = await deploy(dir);
  await run(['env', 'set', 'FEATURE_X=on', '--non-interactive'], dir);
  await run(['scale', 'till', '--profile', 'dev', '--replicas', '3', '--non-interactive']);
  await run(['rollback', first.id, '--non-interactive']);
  assert.doesNotMatch((await run(['env', 'list'], dir)).stdout, /FEATURE_X/);
  await run(['deploy', '--non-interactive', '--image', 'ghcr.io/acme/till:1.0.1'], dir);
  const list = (await run(['env', 'list'], dir)).stdout;
  assert.doesNotMatch(list, /FEATURE_X/);
  assert.match(list, /^LOCO_APP_VERSION\s+1\.0\.1\s+injected by Loco$/m);
});

test('events prints each event with its own time, not the time it was shown', async () => {
  const dir = appDir(config('clock'));
  const d = await deploy(dir);
  const recorded = JSON.parse((await run(['events', d.id, '-o', 'json'])).stdout).events as { time: string; type: string }[];
  const shown = (await run(['events', d.id, '--non-interactive'])).stdout.split('\n').filter((l) => /^\d{4}-/.test(l));
  assert.deepEqual(shown.map((l) => l.split(/\s+/).slice(0, 2)), recorded.map((e) => [e.time, e.type]));
});

test('bad values for env set and scale say what is wrong and what to type, in the command\'s terms', async () => {
  const dir = appDir(config('oops'));
  await deploy(dir);
  const secret = await loco(['env', 'set', 'DB_PASSWORD=x', '--non-interactive'], { cwd: dir, env });
  assert.equal(secret.code, 2, secret.stderr);
  assert.doesNotMatch(secret.stderr, /overrides\.toml|Profile\.dev/);
  assert.match(secret.stderr, /^error: DB_PASSWORD looks like a secret/m);
  assert.match(secret.stderr, /^hint: .*DB_PASSWORD = "<secret-name>\/<key>" under \[Env\.Secrets\] in loco\.toml/m);
  const memory = await loco(['scale', 'oops', '--profile', 'dev', '--memory', '12parsecs', '--non-interactive'], { env });
  assert.equal(memory.code, 2, memory.stderr);
  assert.doesNotMatch(memory.stderr, /\^|\$'|pattern/);
  assert.match(memory.stderr, /^error: --memory "12parsecs" is not a memory quantity/m);
  assert.match(memory.stderr, /^hint: --memory: .*e\.g\. "256Mi"/m);
  const replicas = await loco(['scale', 'oops', '--profile', 'dev', '--replicas', '-1', '--non-interactive'], { env });
  assert.equal(replicas.code, 2, replicas.stderr);
  assert.match(replicas.stderr, /^error: --replicas -1 cannot be negative\nhint: .*--replicas 2/m);
  assert.equal(await commits('oops'), 1, 'nothing was committed');
});
