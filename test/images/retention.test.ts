// Retention on a real registry: after five deploys of one app/profile, a prune keeps the images
// of the deployed release and the two before it, deletes the other two through the registry
// API, and leaves repositories outside the workspace's prefix alone. A dry run deletes nothing.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, config, followEvents, startTestApi, type TestApi } from '../api/helpers.ts';
import { pushImage, startRegistry, type TestRegistry } from '../support/registry.ts';
import { DEFAULT_PLATFORM } from '../../api/images/policy.ts';

const ws = '/orgs/default/workspaces/default';

describe('loco images prune against a real registry', { timeout: 180_000 }, () => {
  let registry: TestRegistry;
  let api: TestApi;
  before(async () => {
    registry = await startRegistry();
    api = await startTestApi('pglite', { images: { registries: [{ host: registry.host, plainHttp: true }], platform: DEFAULT_PLATFORM } });
  });
  after(async () => {
    await api?.close();
    await registry?.close();
  });

  const tagsOf = async (repository: string) => {
    const res = await fetch(`http://${registry.host}/v2/${repository}/tags/list`);
    return res.status === 404 ? [] : (((await res.json()) as { tags: string[] | null }).tags ?? []).sort();
  };

  test('after 5 deploys only the images of the deployed release and the 2 before it remain', async () => {
    const digests: string[] = [];
    for (let i = 1; i <= 5; i++) {
      digests.push((await pushImage(registry, 'default/default/api', `v${i}`)).digest);
      const res = await call(api.app, api.adminToken, 'POST', `${ws}/apps/api/deployments`, { config: config('api'), profile: 'dev', image: `${registry.host}/default/default/api:v${i}` });
      assert.equal(res.statusCode, 202, res.body);
      await followEvents(api.app, api.adminToken, res.json().id);
    }
    await pushImage(registry, 'default/default/api', 'never-deployed');
    await pushImage(registry, 'acme/other/api', 'v1');
    // built and pushed under the workspace's prefix, but its deploy never committed
    await pushImage(registry, 'default/default/worker', 'abc1234-k7q2');

    const dry = await call(api.app, api.adminToken, 'POST', `${ws}/images/prune`, {});
    assert.equal(dry.statusCode, 200, dry.body);
    assert.equal(dry.json().dryRun, true);
    assert.deepEqual(dry.json().deleted.map((d: { tags: string[] }) => d.tags[0]).sort(), ['abc1234-k7q2', 'never-deployed', 'v1', 'v2']);
    assert.deepEqual(await tagsOf('default/default/api'), ['never-deployed', 'v1', 'v2', 'v3', 'v4', 'v5'], 'a dry run deletes nothing');

    const real = await call(api.app, api.adminToken, 'POST', `${ws}/images/prune`, { dryRun: false });
    assert.equal(real.statusCode, 200, real.body);
    assert.deepEqual(real.json().kept.map((d: { digest: string }) => d.digest).sort(), digests.slice(2).sort());
    assert.deepEqual(await tagsOf('default/default/api'), ['v3', 'v4', 'v5']);
    const gone = await fetch(`http://${registry.host}/v2/default/default/api/manifests/${digests[0]}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(gone.status, 404);
    assert.deepEqual(await tagsOf('default/default/worker'), [], 'a repository found only in the registry\'s catalog is pruned too');
    assert.deepEqual(await tagsOf('acme/other/api'), ['v1'], 'another workspace\'s repository is not touched');
  });
});
