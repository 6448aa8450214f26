// The registry token realm through the API (GET /api/v1/registry/token, docker token protocol):
// what each caller's JWT grants — a workspace's members on its repositories by role, a deploy
// token on its app's repository only, nobody on another workspace's — and the refusals (no Basic
// auth, a bad token, another registry's service), and the push credential route.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, startTestApi, userWithToken, type TestApi } from './helpers.ts';
import { registryTokenIssuerFromEnv } from '../../api/images/registry-token.ts';
import { DEFAULT_PLATFORM } from '../../api/images/policy.ts';

const dir = mkdtempSync(join(tmpdir(), 'loco-grants-'));
const REGISTRY = { host: 'registry.example.com', plainHttp: false };
let api: TestApi;
let bare: TestApi;
const tokens: Record<string, string> = {};

before(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=t'], { stdio: 'ignore' });
  const tokenIssuer = registryTokenIssuerFromEnv({ LOCO_REGISTRY_TOKEN_KEY: join(dir, 'k.pem'), LOCO_REGISTRY_TOKEN_CERT: join(dir, 'c.pem') }, [REGISTRY])!;
  api = await startTestApi('pglite', { images: { registries: [REGISTRY], platform: DEFAULT_PLATFORM, tokenIssuer } });
  bare = await startTestApi('pglite');
  tokens.admin = api.adminToken;
  await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces/default/members', { user: 'rita', role: 'read' });
  tokens.reader = await userWithToken(api.app, 'rita');
  await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces', { name: 'other' });
  await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces/other/members', { user: 'mallory', role: 'admin' });
  tokens.otherWorkspace = await userWithToken(api.app, 'mallory');
  tokens.deployApi = (await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces/default/deploy-tokens', { app: 'api', profile: 'dev' })).json().token;
});
after(async () => {
  await api?.close();
  await bare?.close();
  rmSync(dir, { recursive: true, force: true });
});

const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`loco:${password}`).toString('base64')}` });

async function granted(who: string, ...scopes: string[]): Promise<unknown[]> {
  const query = scopes.map((s) => `scope=${encodeURIComponent(s)}`).join('&');
  const res = await api.app.inject({ method: 'GET', url: `/api/v1/registry/token?service=registry.example.com&${query}`, headers: basic(tokens[who]) });
  assert.equal(res.statusCode, 200, res.body);
  return JSON.parse(Buffer.from(res.json().token.split('.')[1], 'base64url').toString()).access;
}

const repo = (name: string, actions: string[]) => ({ type: 'repository', name, actions });

test('members get their workspace\'s repositories by role, and nothing of another workspace', async () => {
  assert.deepEqual(await granted('admin', 'repository:default/default/web:push,pull', 'repository:default/default/web/worker:pull'),
    [repo('default/default/web', ['push', 'pull']), repo('default/default/web/worker', ['pull'])]);
  assert.deepEqual(await granted('reader', 'repository:default/default/web:push,pull'), [repo('default/default/web', ['pull'])]);
  assert.deepEqual(await granted('otherWorkspace', 'repository:default/default/web:push,pull', 'repository:default/other/web:push'), [repo('default/other/web', ['push'])]);
  assert.deepEqual(await granted('admin', 'repository:library/nginx:pull', 'registry:catalog:*', 'repository:default/default/web:delete'), []);
});

test('a deploy token reaches its own app\'s repository only', async () => {
  assert.deepEqual(await granted('deployApi', 'repository:default/default/api:push,pull'), [repo('default/default/api', ['push', 'pull'])]);
  assert.deepEqual(await granted('deployApi', 'repository:default/default/web:push', 'repository:default/default/api/sub:push', 'repository:default/other/api:push'), []);
});

test('the realm refuses a missing or bad Loco token (401) and a service that is not its registry (400)', async () => {
  const none = await api.app.inject({ method: 'GET', url: '/api/v1/registry/token?scope=repository:default/default/web:pull' });
  assert.equal(none.statusCode, 401);
  assert.match(none.json().hint, /Loco token as the password/);
  assert.equal((await api.app.inject({ method: 'GET', url: '/api/v1/registry/token', headers: basic('loco_nope') })).statusCode, 401);
  const wrong = await api.app.inject({ method: 'GET', url: '/api/v1/registry/token?service=elsewhere', headers: basic(api.adminToken) });
  assert.equal(wrong.statusCode, 400);
  assert.match(wrong.json().detail, /registry service "registry\.example\.com"/);
});

test('the push credential names the workspace\'s repository; without a signing key the API says what to set', async () => {
  const ok = await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces/default/apps/web/registry-credential', { profile: 'dev' });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(ok.json().repository, 'registry.example.com/default/default/web');
  assert.equal(ok.json().plainHttp, false);
  const refused = await call(bare.app, bare.adminToken, 'POST', '/orgs/default/workspaces/default/apps/web/registry-credential', { profile: 'dev' });
  assert.equal(refused.statusCode, 422);
  assert.equal(refused.json().code, 'rejected.no-build-registry');
  assert.match(refused.json().hint, /LOCO_REGISTRY_TOKEN_KEY[\s\S]*--image/);
});
