// loco stats through the real binary and a real API: the DORA figures of what was just deployed,
// as a table and as JSON whose keys name frequency, lead time, failure rate and restore.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appDir, loco, startApi, type RunningApi } from './harness.ts';

let api: RunningApi;
let env: Record<string, string>;
before(async () => {
  api = await startApi();
  env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
});
after(() => api?.stop());

test('loco stats shows the deployments of the window per app, in words and in JSON', async () => {
  const dir = appDir('[Metadata]\nName = "web"\n\n[Build]\nImage = "ghcr.io/acme/web:1.0.0"\n\n[Profile.dev]\n');
  const deployed = await loco(['deploy', '--non-interactive'], { cwd: dir, env });
  assert.equal(deployed.code, 0, deployed.stderr);

  const table = await loco(['stats', '--since', '7d'], { env });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /APP\s+FREQUENCY\s+LEAD TIME\s+FAILURE RATE\s+RESTORE/);
  assert.match(table.stdout, /web@dev\s+0\.143\/day \(1\)/);

  const json = await loco(['stats', '-o', 'json'], { env });
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  const web = report.apps.find((a: { app: string }) => a.app === 'web');
  for (const key of ['deploymentFrequencyPerDay', 'leadTimeSeconds', 'changeFailureRate', 'timeToRestoreSeconds']) assert.ok(key in web, key);
  assert.equal(web.deployments, 1);

  const bad = await loco(['stats', '--since', 'lately'], { env });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /30d/);
});
