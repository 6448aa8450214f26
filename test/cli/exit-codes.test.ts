// Exit codes that need no running API: nothing listening (4) and a broken loco.toml (2,
// reported before any request is made).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appDir, loco, refusingPort } from './harness.ts';

test('an API that cannot be reached exits 4 and says so, not "failed"', async () => {
  const { port, release } = await refusingPort();
  const result = await loco(['apps'], { env: { LOCO_API_URL: `http://127.0.0.1:${port}`, LOCO_TOKEN: 'x' } }).finally(release);
  assert.equal(result.code, 4);
  assert.match(result.stderr, /cannot reach the Loco API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  assert.match(result.stderr, /hint: start it with `npm start`/);
});

test('deploy with a broken loco.toml exits 2 with file:line:col before contacting the API', async () => {
  const dir = appDir('[Metadata]\nName = "web"\n\n[Resources]\nMemroy = "1Gi"\n');
  const result = await loco(['deploy', '--image', 'ghcr.io/acme/web:1'], { cwd: dir, env: { LOCO_API_URL: 'http://127.0.0.1:9', LOCO_TOKEN: 'x' } });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /loco\.toml:5:1 Resources\.Memroy is not a known key \(did you mean Resources\.Memory\?\)/);
});

