// A registry nobody can reach, with no allow-list (any registry may be named): the deploy goes on
// with the tag as given and says so, and a burst of deploys naming that registry costs one lookup,
// not one each — until the memory of it runs out (the manual clock moves past 30 s).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { pinImage } from '../../api/images/pin.ts';
import { DEFAULT_PLATFORM } from '../../api/images/policy.ts';

test('an unreachable registry is looked up once for a burst of deploys, and again after 30 s', async () => {
  // accepts and hangs up at once: every HTTPS request to it fails as a network error
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const host = `127.0.0.1:${port}`;
  try {
    const start = new Date('2026-12-02T10:00:00Z');
    const pin = (now: Date, tag: string) => pinImage({ image: `${host}/acme/api:${tag}`, settings: { registries: null, platform: DEFAULT_PLATFORM }, policy: {}, org: 'default', workspace: 'default', now });
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => pin(start, `v${i}`)));
    for (const [i, result] of burst.entries()) {
      assert.equal(result.image, `${host}/acme/api:v${i}`, 'the tag is committed as given');
      assert.match(result.events[0].message, /^not pinned and not scanned: could not reach the registry/);
      assert.deepEqual(result.events[0].data, { pinned: false, scanned: false });
    }
    const afterBurst = connections;
    assert.ok(afterBurst >= 1 && afterBurst <= 3, `one lookup (fetch may retry its connection) for 20 deploys, not ${afterBurst}`);

    const later = await pin(new Date(start.getTime() + 10_000), 'v99');
    assert.match(later.events[0].message, /remembered from a lookup in the last 30 s/);
    assert.equal(connections, afterBurst, 'within 30 s nothing is asked again');

    await pin(new Date(start.getTime() + 31_000), 'v100');
    assert.ok(connections > afterBurst, 'after 30 s the registry is tried again');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
