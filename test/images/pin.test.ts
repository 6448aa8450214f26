// Deploy-time image checks end to end: the real API (fastify.inject) against a real registry
// (docker-registry, images pushed with skopeo) and the Trivy double. A tag deploy commits the
// digest; foreign registries and prefixes, unknown tags, missing platforms, oversized and
// vulnerable images are refused before anything is recorded; waivers land in the trailers.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { workspaceSlug } from '../../generator/names.ts';
import { call, config, followEvents, startTestApi, type TestApi } from '../api/helpers.ts';
import { pushImage, startRegistry, type TestRegistry } from '../support/registry.ts';
import { startTrivyDouble, type TrivyDouble } from '../doubles/trivy/server.ts';
import { DEFAULT_PLATFORM } from '../../api/images/policy.ts';

const ws = '/orgs/default/workspaces/default';
const git = (api: TestApi, ...args: string[]) => execFileSync('git', [`--git-dir=${api.app.loco.store.gitdir(workspaceSlug('default', 'default'))}`, ...args], { encoding: 'utf8' });

describe('image pinning and policy against a real registry', { timeout: 180_000 }, () => {
  let registry: TestRegistry;
  let trivy: TrivyDouble;
  let plain: TestApi;
  let scanned: TestApi;

  before(async () => {
    registry = await startRegistry();
    trivy = await startTrivyDouble();
    const registries = [{ host: registry.host, plainHttp: true }];
    plain = await startTestApi('pglite', { images: { registries, platform: DEFAULT_PLATFORM, maxBytes: 1_000_000 } });
    scanned = await startTestApi('pglite', { images: { registries, platform: DEFAULT_PLATFORM, trivyUrl: trivy.url } });
  });
  after(async () => {
    await Promise.all([plain?.close(), scanned?.close()]);
    await Promise.all([registry?.close(), trivy?.close()]);
  });

  const deploy = (api: TestApi, app: string, image: string) => call(api.app, api.adminToken, 'POST', `${ws}/apps/${app}/deployments`, { config: config(app), profile: 'dev', image });
  const deploymentsOf = async (api: TestApi, app: string) => (await call(api.app, api.adminToken, 'GET', `${ws}/apps/${app}/deployments`)).json();

  test('a tag deploy commits the digest the registry serves, keeps the tag for humans, and says it was not scanned', async () => {
    const pushed = await pushImage(registry, 'default/default/api', '1.5.0');
    const image = `${registry.host}/default/default/api:1.5.0`;
    const res = await deploy(plain, 'api', image);
    assert.equal(res.statusCode, 202, res.body);
    const events = await followEvents(plain.app, plain.adminToken, res.json().id);
    const done = (await call(plain.app, plain.adminToken, 'GET', `/deployments/${res.json().id}`)).json();
    assert.equal(done.status, 'committed');
    assert.equal(done.image, `${image}@${pushed.digest}`);
    const kustomization = git(plain, 'show', `${done.commit}:apps/api/overlays/dev/kustomization.yaml`);
    assert.match(kustomization, new RegExp(`newName: ${registry.host}/default/default/api\\n\\s+digest: ${pushed.digest}`));
    assert.doesNotMatch(kustomization, /newTag/);
    assert.match(git(plain, 'show', `${done.commit}:apps/api/overlays/dev/release.yaml`), new RegExp(`image: ${image.replace(/\./g, '\\.')}@${pushed.digest}`));
    assert.match(git(plain, 'log', '-1', '--format=%s', done.commit).trim(), new RegExp(`^deploy\\(api@dev\\): .*api:1\\.5\\.0@${pushed.digest}$`));
    const image0 = events.filter((e) => e.type === 'image').map((e) => e.message);
    assert.match(image0[0], new RegExp(`^pinned .* to ${pushed.digest}`));
    assert.match(image0[1], /^not scanned: no vulnerability scanner is configured \(LOCO_TRIVY_URL is unset\)/);
  });

  test('an image index pins the index digest when it holds the cluster platform, and is refused when it does not', async () => {
    const multi = await pushImage(registry, 'default/default/multi', '2', { architectures: ['arm64', 'amd64'] });
    const res = await deploy(plain, 'multi', `${registry.host}/default/default/multi:2`);
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json().image, `${registry.host}/default/default/multi:2@${multi.digest}`);
    await followEvents(plain.app, plain.adminToken, res.json().id);

    await pushImage(registry, 'default/default/armonly', '1', { architectures: ['arm64', 's390x'] });
    const refused = await deploy(plain, 'armonly', `${registry.host}/default/default/armonly:1`);
    assert.equal(refused.statusCode, 422);
    assert.equal(refused.json().code, 'rejected.image-platform');
    assert.match(refused.json().detail, /without linux\/amd64, the cluster's platform \(it has linux\/arm64, linux\/s390x\)/);
    assert.deepEqual(await deploymentsOf(plain, 'armonly'), []);
  });

  test('another workspace\'s prefix and an unlisted registry are refused before anything is recorded', async () => {
    await pushImage(registry, 'acme/payments/api', '1');
    const foreign = await deploy(plain, 'thief', `${registry.host}/acme/payments/api:1`);
    assert.equal(foreign.statusCode, 422);
    assert.equal(foreign.json().code, 'rejected.image-prefix');
    assert.match(foreign.json().detail, new RegExp(`not under this workspace's repository prefix ${registry.host}/default/default/`));
    const unlisted = await deploy(plain, 'thief', 'ghcr.io/default/default/api:1');
    assert.equal(unlisted.statusCode, 422);
    assert.equal(unlisted.json().code, 'rejected.image-registry');
    assert.deepEqual(await deploymentsOf(plain, 'thief'), []);
  });

  test('an unknown tag is refused naming the repository and tag', async () => {
    const res = await deploy(plain, 'ghost', `${registry.host}/default/default/ghost:9.9`);
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().code, 'rejected.image-unknown');
    assert.match(res.json().detail, /has no tag 9\.9 in default\/default\/ghost/);
    assert.deepEqual(await deploymentsOf(plain, 'ghost'), []);
  });

  test('an image over LOCO_IMAGE_MAX_MB is refused naming its size and the limit', async () => {
    await pushImage(registry, 'default/default/fat', '1', { layerBytes: 1_500_000 });
    const res = await deploy(plain, 'fat', `${registry.host}/default/default/fat:1`);
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().code, 'rejected.image-too-large');
    assert.match(res.json().detail, /is 1\.5 MB \(1500\d{3} bytes of layers for linux\/amd64\), over the limit of 1\.0 MB/);
    assert.deepEqual(await deploymentsOf(plain, 'fat'), []);
  });

  test('a CRITICAL finding is refused with the finding listed, then deployed with a waiver recorded in the trailers', async () => {
    const pushed = await pushImage(registry, 'default/default/vuln', '3', { architectures: ['amd64', 'arm64'] });
    trivy.findings.set(pushed.platforms.amd64, [
      { VulnerabilityID: 'CVE-2024-3094', PkgName: 'xz-utils', InstalledVersion: '5.6.0-0.2', FixedVersion: '5.6.1+really5.4.5-1', Severity: 'CRITICAL' },
      { VulnerabilityID: 'CVE-2023-0001', PkgName: 'zlib', InstalledVersion: '1.2.13', Severity: 'LOW' },
    ]);
    const image = `${registry.host}/default/default/vuln:3`;
    const refused = await deploy(scanned, 'vuln', image);
    assert.equal(refused.statusCode, 422, refused.body);
    assert.equal(refused.json().code, 'rejected.image-vulnerable');
    assert.match(refused.json().detail, /1 vulnerability at or above CRITICAL: CVE-2024-3094 \(CRITICAL\) in xz-utils 5\.6\.0-0\.2 → 5\.6\.1\+really5\.4\.5-1/);
    assert.deepEqual(await deploymentsOf(scanned, 'vuln'), []);
    // the double was asked about the amd64 image's exact digest and its layers
    const asked = trivy.requests.at(-1)!;
    assert.equal(asked.artifact_id, pushed.platforms.amd64);
    assert.equal(asked.target, `${registry.host}/default/default/vuln@${pushed.platforms.amd64}`);
    assert.equal(asked.blob_ids.length, 1);

    const expired = await call(scanned.app, scanned.adminToken, 'PUT', `${ws}/image-policy`, { waivers: [{ id: 'CVE-2024-3094', reason: 'old waiver', expires: '2020-01-01' }] });
    assert.equal(expired.statusCode, 200, expired.body);
    assert.equal((await deploy(scanned, 'vuln', image)).statusCode, 422, 'an expired waiver covers nothing');

    const waiver = await call(scanned.app, scanned.adminToken, 'PUT', `${ws}/image-policy`, { waivers: [{ id: 'CVE-2024-3094', reason: 'xz backdoor needs sshd, which this image does not run', expires: '2099-12-31' }] });
    assert.equal(waiver.statusCode, 200, waiver.body);
    const res = await deploy(scanned, 'vuln', image);
    assert.equal(res.statusCode, 202, res.body);
    const events = await followEvents(scanned.app, scanned.adminToken, res.json().id);
    assert.ok(events.some((e) => e.type === 'image' && /^scanned .* with Trivy: 2 finding\(s\), none at or above CRITICAL except waived: CVE-2024-3094/.test(e.message)));
    const done = (await call(scanned.app, scanned.adminToken, 'GET', `/deployments/${res.json().id}`)).json();
    const message = git(scanned, 'log', '-1', '--format=%B', done.commit);
    assert.match(message, /\nLoco-Vuln-Waiver: CVE-2024-3094 until 2099-12-31 \(xz backdoor needs sshd, which this image does not run\)\n/);
    assert.match(message, new RegExp(`Loco-Image: ${image.replace(/\./g, '\\.')}@${pushed.digest}`));
  });
});
