// The pure parts of the image checks: settings from the environment, the registry/prefix rule,
// the Bearer challenge, Trivy's two spellings of a finding, and the vulnerability gate's waivers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageReference, type ImageReference } from '../../generator/image-reference.ts';
import { checkRegistryPolicy, endpointFor, imageSettingsFromEnv, repositoryPath } from '../../api/images/policy.ts';
import { parseBearerChallenge } from '../../api/images/registry-client.ts';
import { findingsOf, gate, waiverTrailer } from '../../api/images/vulnerabilities.ts';

const ref = (text: string) => parseImageReference(text) as ImageReference;

test('LOCO_IMAGE_REGISTRIES: http:// entries are plain HTTP, others HTTPS; a bad entry names the variable', () => {
  const s = imageSettingsFromEnv({ LOCO_IMAGE_REGISTRIES: 'registry.example.com, http://127.0.0.1:5000', LOCO_IMAGE_MAX_MB: '250' });
  assert.deepEqual(s.registries, [{ host: 'registry.example.com', plainHttp: false }, { host: '127.0.0.1:5000', plainHttp: true }]);
  assert.equal(s.maxBytes, 250_000_000);
  assert.deepEqual(s.platform, { os: 'linux', architecture: 'amd64' });
  assert.equal(imageSettingsFromEnv({}).registries, null);
  assert.throws(() => imageSettingsFromEnv({ LOCO_IMAGE_MAX_MB: 'lots' }), /LOCO_IMAGE_MAX_MB="lots" is not a positive number/);
  assert.throws(() => imageSettingsFromEnv({ LOCO_IMAGE_REGISTRIES: 'http://host/path' }), /is not a registry host/);
});

test('Docker Hub names reach registry-1.docker.io under library/', () => {
  const s = imageSettingsFromEnv({});
  assert.deepEqual(endpointFor(ref('nginx:1.27'), s), { host: 'registry-1.docker.io', plainHttp: false });
  assert.equal(repositoryPath(ref('nginx:1.27')), 'library/nginx');
  assert.equal(repositoryPath(ref('bitnami/redis:7')), 'bitnami/redis');
});

test('the prefix is <registry>/<org>/<workspace>/ for each allowed registry; a workspace prefix replaces it', () => {
  const s = imageSettingsFromEnv({ LOCO_IMAGE_REGISTRIES: 'r.example.com,http://127.0.0.1:5000' });
  checkRegistryPolicy('x', ref('127.0.0.1:5000/acme/web/api:1'), s, {}, 'acme', 'web');
  assert.throws(() => checkRegistryPolicy('x', ref('r.example.com/acme/webshop/api:1'), s, {}, 'acme', 'web'), /not under this workspace's repository prefix/);
  checkRegistryPolicy('x', ref('r.example.com/shared/api:1'), s, { prefix: 'r.example.com/shared' }, 'acme', 'web');
  // no allow-list: any registry and path
  checkRegistryPolicy('x', ref('ghcr.io/someone/else:1'), imageSettingsFromEnv({}), {}, 'acme', 'web');
});

test('a Bearer challenge is read with quoted commas in the scope', () => {
  assert.deepEqual(parseBearerChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"'),
    { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull,push' });
  assert.equal(parseBearerChallenge('Basic realm="x"'), null);
});

test('findings are read from the report JSON and from the twirp proto names alike', () => {
  const report = { Results: [{ Vulnerabilities: [{ VulnerabilityID: 'CVE-1', PkgName: 'openssl', InstalledVersion: '3.0.1', FixedVersion: '3.0.2', Severity: 'HIGH' }] }] };
  const twirp = { results: [{ vulnerabilities: [{ vulnerability_id: 'CVE-1', pkg_name: 'openssl', installed_version: '3.0.1', fixed_version: '3.0.2', severity: 'HIGH' }] }] };
  assert.deepEqual(findingsOf(report), findingsOf(twirp));
  assert.deepEqual(findingsOf(report)[0], { id: 'CVE-1', pkg: 'openssl', installed: '3.0.1', fixed: '3.0.2', severity: 'HIGH' });
});

test('the gate blocks at or above the threshold; a waiver holds through its expiry day only', () => {
  const findings = [
    { id: 'CVE-A', pkg: 'a', installed: '1', fixed: '2', severity: 'CRITICAL' as const },
    { id: 'CVE-B', pkg: 'b', installed: '1', fixed: '', severity: 'HIGH' as const },
  ];
  assert.deepEqual(gate(findings, 'CRITICAL', [], new Date()).blocking.map((f) => f.id), ['CVE-A']);
  assert.deepEqual(gate(findings, 'HIGH', [], new Date()).blocking.map((f) => f.id), ['CVE-A', 'CVE-B']);
  const waiver = { id: 'CVE-A', reason: 'not reachable', expires: '2026-06-30' };
  const inside = gate(findings, 'CRITICAL', [waiver], new Date('2026-06-30T22:00:00Z'));
  assert.deepEqual(inside.blocking, []);
  assert.equal(waiverTrailer(inside.waived), 'CVE-A until 2026-06-30 (not reachable)');
  assert.deepEqual(gate(findings, 'CRITICAL', [waiver], new Date('2026-07-01T00:00:01Z')).blocking.map((f) => f.id), ['CVE-A']);
});
