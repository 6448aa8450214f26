// The image checks through the real CLI and the real API process, configured by the fixed
// environment names (LOCO_IMAGE_REGISTRIES, LOCO_IMAGE_MAX_MB), against a real registry:
// a foreign prefix and an oversized image are refused with their reasons (exit 1), a tag
// deploy is pinned, and `loco images prune` is a dry run until --yes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appDir, loco, startApi, type RunningApi } from './harness.ts';
import { pushImage, startRegistry, type TestRegistry } from '../support/registry.ts';

let registry: TestRegistry;
let api: RunningApi;
let env: Record<string, string>;
const CONFIG = '[Metadata]\nName = "web"\n\n[Profile.dev]\n';

before(async () => {
  registry = await startRegistry();
  api = await startApi({ LOCO_IMAGE_REGISTRIES: `http://${registry.host}`, LOCO_IMAGE_MAX_MB: '1' });
  env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
});
after(async () => {
  await api?.stop();
  await registry?.close();
});

test('loco deploy refuses a foreign prefix and an oversized image, pins a tag, and images prune deletes only with --yes', { timeout: 240_000 }, async () => {
  const dir = appDir(CONFIG);
  await pushImage(registry, 'other/team/web', '1');
  const foreign = await loco(['deploy', '--profile', 'dev', '--image', `${registry.host}/other/team/web:1`, '--non-interactive'], { cwd: dir, env });
  assert.equal(foreign.code, 1, foreign.stderr);
  assert.match(foreign.stderr, new RegExp(`not under this workspace's repository prefix ${registry.host}/default/default/`));

  await pushImage(registry, 'default/default/web', 'fat', { layerBytes: 1_200_000 });
  const fat = await loco(['deploy', '--profile', 'dev', '--image', `${registry.host}/default/default/web:fat`, '--non-interactive'], { cwd: dir, env });
  assert.equal(fat.code, 1, fat.stderr);
  assert.match(fat.stderr, /is 1\.2 MB .* over the limit of 1\.0 MB/);

  const digests: string[] = [];
  for (const tag of ['a', 'b', 'c']) {
    digests.push((await pushImage(registry, 'default/default/web', tag)).digest);
    const res = await loco(['deploy', '--profile', 'dev', '--image', `${registry.host}/default/default/web:${tag}`, '--non-interactive'], { cwd: dir, env });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout + res.stderr, new RegExp(`pinned .*web:${tag} to ${digests.at(-1)}`));
  }
  const dry = await loco(['images', 'prune', '--keep', '1'], { env });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /Would delete 2 image\(s\):[\s\S]*This was a dry run: repeat with --yes/);
  const real = await loco(['images', 'prune', '--keep', '1', '--yes', '-o', 'json'], { env });
  assert.equal(real.code, 0, real.stderr);
  const result = JSON.parse(real.stdout) as { deleted: { tags: string[] }[]; kept: { digest: string }[] };
  assert.deepEqual(result.deleted.map((d) => d.tags[0]).sort(), ['a', 'fat']);
  assert.deepEqual(result.kept.map((k) => k.digest).sort(), digests.slice(1).sort());
  const tags = ((await (await fetch(`http://${registry.host}/v2/default/default/web/tags/list`)).json()) as { tags: string[] }).tags.sort();
  assert.deepEqual(tags, ['b', 'c']);
});
