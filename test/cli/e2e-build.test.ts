// `loco deploy` without --image, with real parts: the real CLI builds with Debian's buildah
// (chroot isolation, vfs storage in a temp dir), pushes to a real docker-registry whose token
// auth points at the real API process (Loco is the realm, signing with an openssl key), and the
// API pins what was pushed. The registry reaches the API through a small forwarder in the test:
// both listen on port 0, and the registry must know its realm before the API knows the registry.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { apiRequest, appDir, loco, startApi, type RunningApi } from './harness.ts';
import { pushImage, startRegistry, type TestRegistry } from '../support/registry.ts';

const skip = !existsSync('/usr/bin/buildah') ? 'buildah is missing (apt-get install buildah): the build test is skipped' : false;
const SERVICE = 'loco-test-registry';
const CONFIG = '[Metadata]\nName = "web"\n\n[Profile.dev]\n\n[Profile.prod]\n';

const work = mkdtempSync(join(tmpdir(), 'loco-build-e2e-'));
let registry: TestRegistry;
let api: RunningApi;
let forwarder: Server;
let apiUrl = '';
let env: Record<string, string>;

/** Passes every request on to the API (the registry's realm), once the API runs. */
function startForwarder(): Promise<string> {
  forwarder = createServer((req, res) => {
    const upstream = httpRequest(`${apiUrl}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => forwarder.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(forwarder.address() as AddressInfo).port}`)));
}

before(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'token.key'), '-out', join(work, 'token.crt'), '-days', '1', '-subj', '/CN=loco-registry-token'], { stdio: 'ignore' });
  const realm = `${await startForwarder()}/api/v1/registry/token`;
  registry = await startRegistry(['auth:', '  token:', `    realm: ${realm}`, `    service: ${SERVICE}`, '    issuer: loco-test', `    rootcertbundle: ${join(work, 'token.crt')}`].join('\n'));
  api = await startApi({
    LOCO_IMAGE_REGISTRIES: `http://${registry.host}`,
    LOCO_REGISTRY_TOKEN_KEY: join(work, 'token.key'), LOCO_REGISTRY_TOKEN_CERT: join(work, 'token.crt'),
    LOCO_REGISTRY_TOKEN_SERVICE: SERVICE, LOCO_REGISTRY_TOKEN_ISSUER: 'loco-test',
  });
  apiUrl = api.url;
  // buildah as the test container-image test runs it: chroot isolation, vfs, its own storage
  writeFileSync(join(work, 'storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${join(work, 'storage')}"\nrunroot = "${join(work, 'run')}"\n`);
  env = {
    LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken, LOCO_BUILDER: 'buildah',
    BUILDAH_ISOLATION: 'chroot', STORAGE_DRIVER: 'vfs', CONTAINERS_STORAGE_CONF: join(work, 'storage.conf'),
  };
});
after(async () => {
  await api?.stop();
  await registry?.close();
  await new Promise((r) => forwarder?.close(r));
  rmSync(work, { recursive: true, force: true });
});

/** A registry token from the API's realm, as a builder gets one: Basic auth with a Loco token as the password. */
async function registryToken(password: string, scope: string): Promise<{ status: number; token?: string; claims?: { exp: number; iat: number; access: unknown[] } }> {
  const url = `${api.url}/api/v1/registry/token?service=${SERVICE}&scope=${encodeURIComponent(scope)}`;
  const response = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`loco:${password}`).toString('base64')}` } });
  if (!response.ok) return { status: response.status };
  const { token } = (await response.json()) as { token: string };
  return { status: response.status, token, claims: JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) };
}

async function registryGet(path: string, token: string, accept?: string): Promise<Response> {
  return fetch(`http://${registry.host}${path}`, { headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) } });
}

/** Names of the entries of a (gzipped) tar layer. */
function tarNames(blob: Buffer): string[] {
  const tar = blob[0] === 0x1f && blob[1] === 0x8b ? gunzipSync(blob) : blob;
  const names: string[] = [];
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, to: number) => header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '');
    const prefix = field(345, 500);
    names.push((prefix ? `${prefix}/` : '') + field(0, 100));
    at += 512 + Math.ceil(parseInt(field(124, 136).trim() || '0', 8) / 512) * 512;
  }
  return names;
}

/** The manifest digest the registry serves for default/default/web:<tag>, and the paths its layers hold. */
async function imageFiles(tag: string): Promise<{ digest: string | null; names: string[] }> {
  const { token } = await registryToken(api.adminToken, 'repository:default/default/web:pull');
  const response = await registryGet(`/v2/default/default/web/manifests/${tag}`, token!, 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json');
  const manifest = (await response.json()) as { layers: { digest: string }[] };
  const names = await Promise.all(manifest.layers.map(async (l) => tarNames(Buffer.from(await (await registryGet(`/v2/default/default/web/blobs/${l.digest}`, token!)).arrayBuffer()))));
  return { digest: response.headers.get('docker-content-digest'), names: names.flat() };
}

test('loco deploy without --image builds with buildah, pushes <registry>/<org>/<workspace>/<app>:<sha>-<rand> with a Loco-issued credential, leaves out what .gitignore lists, and commits the digest', { skip, timeout: 600_000 }, async () => {
  const dir = appDir(CONFIG, { Containerfile: 'FROM scratch\nCOPY . /app/\n', 'hello.txt': 'hello\n', 'secret.env': 'API_KEY=do-not-ship\n', '.gitignore': '# local only\nsecret.env\n' });
  execFileSync('git', ['init', '-q', dir]);
  execFileSync('git', ['-C', dir, 'add', '.']);
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'app']);
  const sha = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

  const result = await loco(['deploy', '--profile', 'dev', '--non-interactive', '-o', 'json'], { cwd: dir, env });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const deployment = JSON.parse(result.stdout).deployment as { image: string };
  const repository = `${registry.host}/default/default/web`;
  const match = new RegExp(`^${repository.replace(/[.]/g, '\\.')}:(${sha.slice(0, 7)}-[a-z0-9]{4})@(sha256:[0-9a-f]{64})$`).exec(deployment.image);
  assert.ok(match, `the deployment commits the pushed tag pinned by digest: ${deployment.image}`);
  const [, tag, digest] = match;
  assert.match(result.stdout, new RegExp(`pinned [^"]*web:${tag}@${digest} to ${digest}`), 'the API resolved what it commits through the registry');

  const { token } = await registryToken(api.adminToken, 'repository:default/default/web:pull');
  const tags = (await (await registryGet('/v2/default/default/web/tags/list', token!)).json()) as { tags: string[] };
  assert.ok(tags.tags.includes(tag), `the registry has the tag: ${tags.tags.join(', ')}`);
  const { digest: served, names } = await imageFiles(tag);
  assert.equal(served, digest);
  assert.ok(names.some((n) => /(^|\/)app\/hello\.txt$/.test(n)), `the layer holds the app's file: ${names.join(', ')}`);
  assert.ok(!names.some((n) => /secret\.env/.test(n)), `the file .gitignore lists is not in the image: ${names.join(', ')}`);
  assert.ok(!names.some((n) => /(^|\/)\.git(\/|$)/.test(n)), 'nor is the .git folder');
});

/**
 * A docker CLI double (no docker daemon runs here): it records what `loco deploy` hands docker —
 * the context's .dockerignore at build time, the credentials in DOCKER_CONFIG at push time — and
 * carries the build and push out with buildah, which reads the context's .dockerignore as docker does.
 */
function dockerDouble(): { path: string; seen: string } {
  const bin = mkdtempSync(join(work, 'docker-'));
  const seen = join(bin, 'seen');
  writeFileSync(join(bin, 'docker'), `#!/bin/sh
case "$1" in
  build) shift; for last; do :; done
    cp "$last/.dockerignore" '${seen}.dockerignore' 2>/dev/null
    exec buildah build "$@" ;;
  push) cp "$DOCKER_CONFIG/config.json" '${seen}.config.json'
    exec buildah push --authfile "$DOCKER_CONFIG/config.json" --tls-verify=false "$2" "docker://$2" ;;
  image) echo '[]' ;;
  *) exit 1 ;;
esac
`, { mode: 0o755 });
  return { path: `${bin}:${process.env.PATH}`, seen };
}

test('with docker, the .gitignore becomes a temporary .dockerignore, removed after the build, and the credential reaches docker through DOCKER_CONFIG', { skip, timeout: 600_000 }, async () => {
  const docker = dockerDouble();
  const dir = appDir(CONFIG, { Dockerfile: 'FROM scratch\nCOPY . /app/\n', 'hello.txt': 'hello\n', 'secret.env': 'API_KEY=do-not-ship\n', '.gitignore': 'secret.env\n' });
  const result = await loco(['deploy', '--profile', 'dev', '--non-interactive', '-o', 'json'], { cwd: dir, env: { ...env, LOCO_BUILDER: 'docker', PATH: docker.path } });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const image = (JSON.parse(result.stdout).deployment as { image: string }).image;
  const match = /:(nogit-[a-z0-9]{4})@(sha256:[0-9a-f]{64})$/.exec(image);
  assert.ok(match, `not a git checkout: the tag says nogit, and the API pinned it: ${image}`);
  assert.match(readFileSync(`${docker.seen}.dockerignore`, 'utf8'), /^\*\*\/secret\.env$[\s\S]*^\.dockerignore$/m);
  assert.ok(!existsSync(join(dir, '.dockerignore')), 'the temporary .dockerignore is gone');
  const auths = JSON.parse(readFileSync(`${docker.seen}.config.json`, 'utf8')).auths as Record<string, { auth: string }>;
  assert.match(Buffer.from(auths[registry.host].auth, 'base64').toString(), /^loco:loco_dpl_/, 'a deploy token, not the user\'s own token');
  const { digest, names } = await imageFiles(match[1]);
  assert.equal(digest, match[2]);
  assert.ok(names.some((n) => /app\/hello\.txt$/.test(n)), names.join(', '));
  assert.ok(!names.some((n) => /secret\.env|\.dockerignore/.test(n)), names.join(', '));
});

test('with no builder named, podman (the first of podman, buildah, docker on PATH) builds; a .dockerignore wins over the .gitignore', { skip: skip || (!existsSync('/usr/bin/podman') && 'podman is missing'), timeout: 600_000 }, async () => {
  const dir = appDir(CONFIG, { Containerfile: 'FROM scratch\nCOPY . /app/\n', 'hello.txt': 'hello\n', 'notes.md': 'draft\n', 'secret.env': 'x\n', '.dockerignore': 'notes.md\n', '.gitignore': 'hello.txt\n' });
  const result = await loco(['deploy', '--profile', 'dev', '--non-interactive'], { cwd: dir, env: { ...env, LOCO_BUILDER: undefined } });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout + result.stderr, /Building \S+\/default\/default\/web:nogit-[a-z0-9]{4} with podman/);
  const tag = /web:(nogit-[a-z0-9]{4})@sha256/.exec(result.stdout)![1];
  const { names } = await imageFiles(tag);
  assert.ok(names.some((n) => /app\/hello\.txt$/.test(n)), `.gitignore is not read when a .dockerignore exists: ${names.join(', ')}`);
  assert.ok(names.some((n) => /app\/secret\.env$/.test(n)), names.join(', '));
  assert.ok(!names.some((n) => /notes\.md/.test(n)), `the .dockerignore is honoured: ${names.join(', ')}`);
});

test('the push credential is a five-minute deploy token; the registry refuses it for another workspace\'s prefix', { skip, timeout: 300_000 }, async () => {
  const answer = await apiRequest(api, 'POST', '/orgs/default/workspaces/default/apps/web/registry-credential', { profile: 'dev' });
  assert.equal(answer.status, 200);
  const credential = (await answer.json()) as { repository: string; username: string; password: string; expiresAt: string };
  assert.equal(credential.repository, `${registry.host}/default/default/web`);
  assert.ok(Date.parse(credential.expiresAt) - Date.now() <= 5 * 60_000);

  const own = await registryToken(credential.password, 'repository:default/default/web:push,pull');
  assert.deepEqual(own.claims!.access, [{ type: 'repository', name: 'default/default/web', actions: ['push', 'pull'] }]);
  assert.ok(own.claims!.exp - own.claims!.iat <= 300, 'a registry token lives five minutes at most');
  const foreign = await registryToken(credential.password, 'repository:other/team/web:push,pull');
  assert.deepEqual(foreign.claims!.access, [], 'no access outside the workspace');
  const upload = await fetch(`http://${registry.host}/v2/other/team/web/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${foreign.token}` } });
  assert.ok(upload.status === 401 || upload.status === 403, `the registry refuses the upload: ${upload.status}`);

  // a real client with that credential: skopeo may push to the workspace's repository, not to the other one
  await pushImage(registry, 'default/default/web', 'by-skopeo', { creds: `loco:${credential.password}` });
  await assert.rejects(pushImage(registry, 'other/team/web', 'stolen', { creds: `loco:${credential.password}` }), (error: { stderr?: string }) => {
    assert.match(error.stderr ?? '', /unauthorized|denied|authentication required/i);
    return true;
  });
});

test('a build for a protected profile is refused before anything is built or pushed', { skip, timeout: 300_000 }, async () => {
  const { token } = await registryToken(api.adminToken, 'repository:default/default/web:pull');
  const before = ((await (await registryGet('/v2/default/default/web/tags/list', token!)).json()) as { tags?: string[] }).tags ?? [];
  const dir = appDir(CONFIG, { Containerfile: 'FROM scratch\nCOPY . /app/\n' });
  const result = await loco(['deploy', '--profile', 'prod', '--non-interactive'], { cwd: dir, env });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /web@prod is protected by review/);
  assert.doesNotMatch(result.stdout + result.stderr, /Building /);
  const after = ((await (await registryGet('/v2/default/default/web/tags/list', token!)).json()) as { tags?: string[] }).tags ?? [];
  assert.deepEqual(after, before);
});

test('a build whose deploy would prune widely is refused by the dry run before anything is built or pushed', { skip, timeout: 300_000 }, async () => {
  // first as a routed service from an image already in the registry, then as a worker built here:
  // the worker has no Service, HTTPRoute or BackendTrafficPolicy, so Argo CD would prune 4 for 1
  const service = '[Metadata]\nName = "shrink"\n\n[Profile.dev]\n';
  const credential = (await (await apiRequest(api, 'POST', '/orgs/default/workspaces/default/apps/shrink/registry-credential', { profile: 'dev' })).json()) as { repository: string; password: string };
  await pushImage(registry, 'default/default/shrink', 'v1', { creds: `loco:${credential.password}` });
  const dir = appDir(service, { Containerfile: 'FROM scratch\nCOPY . /app/\n' });
  const first = await loco(['deploy', '--profile', 'dev', '--non-interactive', '--image', `${credential.repository}:v1`], { cwd: dir, env });
  assert.equal(first.code, 0, first.stderr + first.stdout);
  writeFileSync(join(dir, 'loco.toml'), service.replace('Name = "shrink"', 'Name = "shrink"\nType = "WORKER"'));
  const result = await loco(['deploy', '--profile', 'dev', '--non-interactive'], { cwd: dir, env });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /deploying shrink@dev would remove 4 Kubernetes resources and add 1/);
  assert.match(result.stderr, /repeat with --confirm-prune/);
  assert.doesNotMatch(result.stdout + result.stderr, /Building /);
  const { token } = await registryToken(api.adminToken, 'repository:default/default/shrink:pull');
  const tags = ((await (await registryGet('/v2/default/default/shrink/tags/list', token!)).json()) as { tags?: string[] }).tags ?? [];
  assert.deepEqual(tags, ['v1'], 'nothing was pushed');
});

test('the realm refuses a password that is not a Loco token', { skip }, async () => {
  assert.equal((await registryToken('loco_not-a-token', 'repository:default/default/web:push')).status, 401);
});
