// The Bearer token flow against a real docker-registry configured with token auth
// (auth.token: realm, service, issuer, rootcertbundle): a small token server in the test signs
// RS256 JWTs with an openssl-generated key whose self-signed certificate the registry trusts.
// Pinning follows the 401 challenge to the realm and resolves the tag.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushImage, startRegistry, type TestRegistry } from '../support/registry.ts';
import { pinImage } from '../../api/images/pin.ts';
import { DEFAULT_PLATFORM } from '../../api/images/policy.ts';

const dir = mkdtempSync(join(tmpdir(), 'loco-token-'));
let registry: TestRegistry;
let tokens: Server;
const asked: URLSearchParams[] = [];
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

before(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=loco-test-token'], { stdio: 'ignore' });
  const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
  const der = new X509Certificate(readFileSync(join(dir, 'cert.pem'))).raw;
  tokens = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    asked.push(query);
    const now = Math.floor(Date.now() / 1000);
    const access = query.getAll('scope').map((s) => {
      const [type, name, actions] = s.split(':');
      return { type, name, actions: actions.split(',') };
    });
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [der.toString('base64')] }));
    const claims = b64url(JSON.stringify({ iss: 'loco-test-issuer', sub: '', aud: query.get('service'), exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }));
    const signature = b64url(sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), key));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${header}.${claims}.${signature}`, expires_in: 300 }));
  });
  await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', r));
  const realm = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
  registry = await startRegistry(['auth:', '  token:', `    realm: ${realm}`, '    service: loco-test-registry', '    issuer: loco-test-issuer', `    rootcertbundle: ${join(dir, 'cert.pem')}`].join('\n'));
});
after(async () => {
  await registry?.close();
  await new Promise((r) => tokens?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test('pinning follows the registry\'s Bearer challenge to its token realm and resolves the tag', { timeout: 120_000 }, async () => {
  const pushed = await pushImage(registry, 'default/default/api', '1');
  const anonymous = await fetch(`http://${registry.host}/v2/default/default/api/manifests/1`);
  assert.equal(anonymous.status, 401, 'the registry requires a token');
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
  const pinned = await pinImage({
    image: `${registry.host}/default/default/api:1`, org: 'default', workspace: 'default', policy: {}, now: new Date(),
    settings: { registries: [{ host: registry.host, plainHttp: true }], platform: DEFAULT_PLATFORM },
  });
  assert.equal(pinned.image, `${registry.host}/default/default/api:1@${pushed.digest}`);
  const last = asked.at(-1)!;
  assert.equal(last.get('service'), 'loco-test-registry');
  assert.equal(last.get('scope'), 'repository:default/default/api:pull');
});
