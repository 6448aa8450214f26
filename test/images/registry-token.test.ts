// Loco as the registry's token issuer, the pure parts: which scopes a role gets, the five-minute
// cap, and JWTs a registry can verify with the certificate (RS256 and ES256), with keys made by
// openssl as an operator would make them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verify, X509Certificate } from 'node:crypto';
import { grantedActions, parseScope, repositoryOwner, registryTokenIssuerFromEnv, signRegistryToken, type RegistryTokenIssuer } from '../../api/images/registry-token.ts';

const dir = mkdtempSync(join(tmpdir(), 'loco-regtoken-'));
const registries = [{ host: 'registry.example.com', plainHttp: false }];
const keyPair = (name: string, alg: string[]) => {
  execFileSync('openssl', ['req', '-x509', ...alg, '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', '1', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return { LOCO_REGISTRY_TOKEN_KEY: join(dir, `${name}.key`), LOCO_REGISTRY_TOKEN_CERT: join(dir, `${name}.crt`) };
};
let rsa: Record<string, string>;
let ec: Record<string, string>;
before(() => {
  rsa = keyPair('rsa', ['-newkey', 'rsa:2048']);
  ec = keyPair('ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function decode(token: string) {
  const [header, claims, signature] = token.split('.');
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), claims: JSON.parse(Buffer.from(claims, 'base64url').toString()), signed: `${header}.${claims}`, signature: Buffer.from(signature, 'base64url') };
}

test('scopes are read as type:name:actions; a repository belongs to <org>/<workspace>/<app>', () => {
  assert.deepEqual(parseScope('repository:acme/web/api:push,pull'), { type: 'repository', name: 'acme/web/api', actions: ['push', 'pull'] });
  assert.equal(parseScope('registry:catalog'), null);
  assert.deepEqual(repositoryOwner('acme/web/api/worker'), { org: 'acme', workspace: 'web', app: 'api' });
  assert.equal(repositoryOwner('library/nginx'), null);
});

test('read members may pull, deploy and admin members push too; nobody gets delete or *', () => {
  assert.deepEqual(grantedActions(['push', 'pull'], 'read'), ['pull']);
  assert.deepEqual(grantedActions(['push', 'pull'], 'deploy'), ['push', 'pull']);
  assert.deepEqual(grantedActions(['delete', '*'], 'admin'), []);
});

test('an RS256 token verifies with the certificate it names in x5c and lives five minutes at most', () => {
  const issuer = registryTokenIssuerFromEnv(rsa, registries)!;
  assert.equal(issuer.service, 'registry.example.com');
  assert.equal(issuer.issuer, 'loco');
  const now = new Date('2026-12-02T08:00:00Z');
  const { token, expiresIn } = signRegistryToken(issuer, { subject: 'alice', access: [{ type: 'repository', name: 'acme/web/api', actions: ['push'] }], now, ttlSeconds: 3600 });
  const jwt = decode(token);
  assert.equal(jwt.header.alg, 'RS256');
  const cert = new X509Certificate(Buffer.from(jwt.header.x5c[0], 'base64'));
  assert.ok(verify('sha256', Buffer.from(jwt.signed), cert.publicKey, jwt.signature));
  assert.equal(expiresIn, 300);
  assert.equal(jwt.claims.exp - jwt.claims.iat, 300);
  assert.equal(jwt.claims.aud, 'registry.example.com');
  assert.equal(jwt.claims.sub, 'alice');
});

test('a P-256 key signs ES256 with a raw r||s signature, as JOSE wants', () => {
  const issuer: RegistryTokenIssuer = registryTokenIssuerFromEnv({ ...ec, LOCO_REGISTRY_TOKEN_SERVICE: 'reg', LOCO_REGISTRY_TOKEN_ISSUER: 'me' }, registries)!;
  const jwt = decode(signRegistryToken(issuer, { subject: 'bob', access: [], now: new Date(), ttlSeconds: 60 }).token);
  assert.equal(jwt.header.alg, 'ES256');
  assert.equal(jwt.signature.length, 64);
  assert.ok(verify('sha256', Buffer.from(jwt.signed), { key: new X509Certificate(Buffer.from(jwt.header.x5c[0], 'base64')).publicKey, dsaEncoding: 'ieee-p1363' }, jwt.signature));
  assert.deepEqual([jwt.claims.aud, jwt.claims.iss], ['reg', 'me']);
});

test('misconfigurations are start-up errors naming the variable', () => {
  assert.equal(registryTokenIssuerFromEnv({}, registries), undefined);
  assert.throws(() => registryTokenIssuerFromEnv({ LOCO_REGISTRY_TOKEN_KEY: rsa.LOCO_REGISTRY_TOKEN_KEY }, registries), /LOCO_REGISTRY_TOKEN_CERT is not/);
  assert.throws(() => registryTokenIssuerFromEnv(rsa, null), /LOCO_IMAGE_REGISTRIES is not/);
  assert.throws(() => registryTokenIssuerFromEnv({ ...rsa, LOCO_REGISTRY_TOKEN_CERT: ec.LOCO_REGISTRY_TOKEN_CERT }, registries), /is not the certificate of LOCO_REGISTRY_TOKEN_KEY/);
  assert.throws(() => registryTokenIssuerFromEnv({ ...rsa, LOCO_REGISTRY_TOKEN_KEY: join(dir, 'missing.key') }, registries), /cannot be read: ENOENT/);
});
