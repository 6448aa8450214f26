// loco secrets end to end: a key pair made with openssl stands in for the cluster's Sealed
// Secrets controller; the real CLI seals against the real API (PostgreSQL, local repository),
// and the test opens the committed SealedSecret with the private key — by its own reading of
// kubeseal's format (openssl for RSA-OAEP, node:crypto for AES-GCM), none of Loco's code — then
// looks for the values in every git object, the database dump and the API's log.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createDecipheriv, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { apiRequest, appDir, loco, startApi, tempDir, WEB_CONFIG, type RunningApi } from './harness.ts';

const keys = tempDir('sealing');
const keyPath = join(keys, 'key.pem');
const certPath = join(keys, 'cert.pem');
const database = `loco_secrets_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const psql = (sql: string) => execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-Atc', sql]);

let api: RunningApi;
let env: Record<string, string>;
let dir: string;
const DB_PASSWORD = `pw-${randomUUID()}`;
const API_KEY = `key-${randomUUID()}`;

before(async () => {
  // What `kubeseal --fetch-cert` would hand the operator: an RSA certificate (the controller's is 4096 bits).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:4096', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=sealed-secret/O=sealed-secret'], { stdio: 'ignore' });
  psql(`create database ${database}`);
  api = await startApi({ LOCO_SEALED_SECRETS_CERT: certPath, DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}` });
  env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
  dir = appDir(WEB_CONFIG.replace(/web/g, 'vault'));
  const deploy = await loco(['deploy', '--profile', 'dev', '--non-interactive'], { cwd: dir, env });
  assert.equal(deploy.code, 0, deploy.stderr + deploy.stdout);
});
after(async () => {
  await api?.stop();
  psql(`drop database if exists ${database} with (force)`);
});

const gitDir = () => join(api.dataDir, 'repos', 'default--default.git');
const git = (...args: string[]) => execFileSync('git', ['--git-dir', gitDir(), ...args], { maxBuffer: 256 * 1024 * 1024 });

/** `kubectl kustomize` of the overlay as committed on main, as Argo CD would build it. */
function buildOverlay(app: string, profile: string): Array<Record<string, any>> {
  const out = tempDir('checkout');
  mkdirSync(out, { recursive: true });
  const tar = git('archive', 'main', `apps/${app}`);
  execFileSync('tar', ['-x', '-C', out], { input: tar });
  const yaml = execFileSync('kubectl', ['kustomize', join(out, 'apps', app, 'overlays', profile)]).toString();
  return parseAllDocuments(yaml).map((d) => d.toJSON() as Record<string, any>);
}

/** kubeseal's format read independently: u16 length ‖ RSA-OAEP(SHA-256, label) key ‖ AES-256-GCM(zero nonce) ‖ tag. */
function unseal(ciphertextBase64: string, label: string): string {
  const bytes = Buffer.from(ciphertextBase64, 'base64');
  const rsaLength = bytes.readUInt16BE(0);
  const wrappedKey = join(tempDir('unseal'), 'wrapped.bin');
  writeFileSync(wrappedKey, bytes.subarray(2, 2 + rsaLength));
  const sessionKey = execFileSync('openssl', [
    'pkeyutl', '-decrypt', '-inkey', keyPath, '-in', wrappedKey,
    '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256',
    '-pkeyopt', `rsa_oaep_label:${Buffer.from(label).toString('hex')}`,
  ], { stdio: ['ignore', 'pipe', 'ignore'] });
  assert.equal(sessionKey.length, 32, 'a 32-byte AES-256 session key');
  const rest = bytes.subarray(2 + rsaLength);
  const decipher = createDecipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  decipher.setAuthTag(rest.subarray(rest.length - 16));
  return Buffer.concat([decipher.update(rest.subarray(0, rest.length - 16)), decipher.final()]).toString('utf8');
}

test('loco secrets set seals on the client: the committed SealedSecret opens with the private key to the values, under its final namespace/name', async () => {
  const fromStdin = await loco(['secrets', 'set', 'DB_PASSWORD', '--from-stdin', '--profile', 'dev', '--non-interactive'], { cwd: dir, env, input: `${DB_PASSWORD}\n` });
  assert.equal(fromStdin.code, 0, fromStdin.stderr + fromStdin.stdout);
  assert.match(fromStdin.stdout, /✓ Committed [0-9a-f]{7} for vault@dev/);
  const fromArgs = await loco(['secrets', 'set', `API_KEY=${API_KEY}`, '--app', 'vault', '--profile', 'dev', '--non-interactive'], { env });
  assert.equal(fromArgs.code, 0, fromArgs.stderr + fromArgs.stdout);

  const objects = buildOverlay('vault', 'dev');
  const sealed = objects.find((o) => o.kind === 'SealedSecret');
  assert.ok(sealed, 'kubectl kustomize of the overlay holds the SealedSecret');
  assert.equal(sealed.apiVersion, 'bitnami.com/v1alpha1');
  const namespace = objects.find((o) => o.kind === 'Namespace')!.metadata.name as string;
  assert.equal(sealed.metadata.namespace, namespace, 'in the app\'s own namespace');
  assert.equal(sealed.spec.template.metadata.namespace, namespace);
  assert.equal(sealed.spec.template.metadata.name, sealed.metadata.name);
  assert.equal(sealed.metadata.annotations?.['sealedsecrets.bitnami.com/cluster-wide'], undefined, 'strict scope');
  assert.equal(sealed.metadata.annotations?.['sealedsecrets.bitnami.com/namespace-wide'], undefined, 'strict scope');
  // Strict scope: the controller unseals with the label "<namespace>/<name>" of the object it is given.
  const label = `${sealed.metadata.namespace}/${sealed.metadata.name}`;
  assert.deepEqual(Object.keys(sealed.spec.encryptedData).sort(), ['API_KEY', 'DB_PASSWORD']);
  assert.equal(unseal(sealed.spec.encryptedData.DB_PASSWORD, label), DB_PASSWORD, 'the trailing newline of stdin is not part of the value');
  assert.equal(unseal(sealed.spec.encryptedData.API_KEY, label), API_KEY);
  assert.throws(() => unseal(sealed.spec.encryptedData.API_KEY, `${namespace}/another-secret`), 'sealed for this name only');

  // The container reads both from the Secret the controller makes of it.
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const envs = deployment.spec.template.spec.containers[0].env as Array<{ name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }>;
  for (const name of ['API_KEY', 'DB_PASSWORD']) {
    assert.deepEqual(envs.find((e) => e.name === name)?.valueFrom.secretKeyRef, { name: sealed.metadata.name, key: name });
  }

  // Neither git (every object, reachable or not), the database nor the API's log ever saw a value.
  const allObjects = execFileSync('git', ['--git-dir', gitDir(), 'cat-file', '--batch-all-objects', '--batch'], { maxBuffer: 256 * 1024 * 1024 });
  const dump = execFileSync('pg_dump', ['-h', '127.0.0.1', '-U', 'postgres', database], { maxBuffer: 256 * 1024 * 1024 });
  assert.ok(allObjects.includes(Buffer.from('SealedSecret')), 'the scan reads the objects that hold the SealedSecret');
  assert.ok(dump.includes(Buffer.from('secrets')), 'the dump holds the secrets changes');
  for (const value of [DB_PASSWORD, API_KEY]) {
    for (const form of [value, Buffer.from(value).toString('base64')]) {
      assert.equal(allObjects.includes(Buffer.from(form)), false, `${form} is in a git object`);
      assert.equal(dump.includes(Buffer.from(form)), false, `${form} is in the database dump`);
      assert.equal(api.output().includes(form), false, `${form} is in the API log`);
    }
  }
});

test('loco secrets list shows names and when each was set, never values; unset removes one; a deploy keeps the rest', async () => {
  const list = await loco(['secrets', 'list', '--profile', 'dev', '-o', 'json'], { cwd: dir, env });
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout) as { secrets: { name: string; setAt: string }[] };
  assert.deepEqual(listed.secrets.map((s) => s.name), ['API_KEY', 'DB_PASSWORD']);
  for (const s of listed.secrets) assert.ok(!Number.isNaN(Date.parse(s.setAt)), `${s.name} has a time`);
  assert.equal(list.stdout.includes(DB_PASSWORD) || list.stdout.includes(API_KEY), false);
  const table = await loco(['secrets', 'list', '--profile', 'dev'], { cwd: dir, env });
  assert.match(table.stdout, /DB_PASSWORD/);

  const unset = await loco(['secrets', 'unset', 'API_KEY', '--profile', 'dev', '--non-interactive'], { cwd: dir, env });
  assert.equal(unset.code, 0, unset.stderr + unset.stdout);
  const redeploy = await loco(['deploy', '--profile', 'dev', '--image', 'ghcr.io/acme/vault:1.0.1', '--non-interactive'], { cwd: dir, env });
  assert.equal(redeploy.code, 0, redeploy.stderr + redeploy.stdout);
  const sealed = buildOverlay('vault', 'dev').find((o) => o.kind === 'SealedSecret')!;
  assert.deepEqual(Object.keys(sealed.spec.encryptedData), ['DB_PASSWORD'], 'a deploy re-renders the overlay with the sealed secrets it holds');
  assert.equal(unseal(sealed.spec.encryptedData.DB_PASSWORD, `${sealed.metadata.namespace}/${sealed.metadata.name}`), DB_PASSWORD);

  const missing = await loco(['secrets', 'unset', 'NOPE', '--profile', 'dev'], { cwd: dir, env });
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /NOPE is not a sealed secret of vault@dev/);
});

test('a value that is not sealed with the platform certificate is refused and never committed', async () => {
  const head = git('rev-parse', 'main').toString().trim();
  const response = await fetch(`${api.url}/api/v1/orgs/default/workspaces/default/apps/vault/secrets?profile=dev`, {
    method: 'PATCH', headers: { authorization: `Bearer ${api.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ set: { PLAIN: Buffer.from('hunter2-plain').toString('base64') } }),
  });
  assert.equal(response.status, 400);
  const problem = (await response.json()) as { code: string; detail?: string; message?: string };
  assert.equal(problem.code, 'validation.not-sealed');
  assert.equal(JSON.stringify(problem).includes('hunter2'), false, 'the refused value is not echoed');
  assert.equal(git('rev-parse', 'main').toString().trim(), head);
});

test('without LOCO_SEALED_SECRETS_CERT, loco secrets refuses and names the setting', async () => {
  const bare = await startApi();
  try {
    await apiRequest(bare, 'GET', '/orgs/default/workspaces/default');
    const result = await loco(['secrets', 'set', 'X=1', '--app', 'vault', '--profile', 'dev'], { env: { LOCO_API_URL: bare.url, LOCO_TOKEN: bare.adminToken } });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /LOCO_SEALED_SECRETS_CERT is not set/);
    assert.match(result.stderr, /kubeseal --fetch-cert/);
  } finally {
    await bare.stop();
  }
});

