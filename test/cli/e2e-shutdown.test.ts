// Graceful shutdown, end to end: two API processes share one PostgreSQL database and data dir
// behind a small load balancer; `loco events` follows a running deployment through it. SIGTERM
// to the replica carrying the deployment must end the follower's stream with a `reconnect`
// event, hand the deployment's lease back so the other replica finishes tracking it, and exit 0
// (a clean close, not the 10 s fallback). The follower reconnects and prints every event once.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { argoApplicationName, workspaceSlug } from '../../generator/names.ts';
import { createTestDatabase, type TestDatabase } from '../api/helpers.ts';
import { apiRequest, appDir, loco, startApi, startLoco, tempDir, type RunningApi } from './harness.ts';

/** Sends each request to the first replica that accepts the connection, as a Service would. */
async function startBalancer(targets: () => string[]): Promise<{ url: string; reconnectEvents: number; streams: (string | undefined)[]; server: Server }> {
  const state = { url: '', reconnectEvents: 0, streams: [] as (string | undefined)[], server: undefined as unknown as Server };
  state.server = createServer((req, res) => {
    // the Last-Event-ID of each event stream request, in order
    if (String(req.headers.accept ?? '').includes('text/event-stream')) state.streams.push(req.headers['last-event-id'] as string | undefined);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const tryTarget = (i: number) => {
        const list = targets();
        if (i >= list.length) return void res.writeHead(502).end();
        const up = new URL(list[i]);
        const out = httpRequest({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.on('data', (c: Buffer) => {
            if (c.toString().includes('event: reconnect')) state.reconnectEvents += 1;
            res.write(c);
          });
          answer.on('end', () => res.end());
          answer.on('error', () => res.destroy());
        });
        out.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' && !res.headersSent ? tryTarget(i + 1) : res.destroy()));
        out.end(Buffer.concat(chunks));
      };
      tryTarget(0);
    });
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

let first: RunningApi;
let second: RunningApi;
let argocd: ArgoCdDouble;
let database: TestDatabase;
let balancer: Awaited<ReturnType<typeof startBalancer>>;
const alive = new Set<string>();

before(async () => {
  const dataDir = tempDir('data');
  database = await createTestDatabase('postgresql');
  argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`) });
  const env = { DATABASE_URL: database.url!, LOCO_ARGOCD_URL: argocd.url, LOCO_ARGOCD_TOKEN: argocd.token, LOCO_ARGOCD_HEALTHY_SECONDS: '0.5' };
  first = await startApi(env, dataDir);
  second = await startApi(env, dataDir);
  alive.add(first.url).add(second.url);
  balancer = await startBalancer(() => [first.url, second.url].filter((u) => alive.has(u)));
});
after(async () => {
  balancer?.server.closeAllConnections();
  balancer?.server.close();
  await first?.terminate();
  await second?.stop();
  await argocd?.stop();
  await database?.drop();
});

test('SIGTERM while a follower is attached: the stream ends with reconnect, the other replica finishes the deployment, the process exits 0', async () => {
  const name = 'drain';
  // Healthy 15 s after the sync: the deployment is still running when SIGTERM arrives (sent as
  // soon as the follower prints `committed`), and ends on the other replica after the takeover.
  argocd.setScenario(argoApplicationName(workspaceSlug('default', 'default'), name, 'dev'), { healthyAfterMs: 15_000 });
  const config = `[Metadata]\nName = "${name}"\n\n[Build]\nImage = "ghcr.io/acme/${name}:1.0.0"\n\n[Profile.dev]\n`;
  const started = await loco(['deploy', '--no-wait', '-o', 'json'], { cwd: appDir(config), env: { LOCO_API_URL: first.url, LOCO_TOKEN: first.adminToken } });
  assert.equal(started.code, 0, started.stderr);
  const { deployment } = JSON.parse(started.stdout);

  const follower = startLoco(['events', deployment.id, '--non-interactive'], { env: { LOCO_API_URL: balancer.url, LOCO_TOKEN: first.adminToken } });
  await follower.waitFor(/committed\s+/, 'stdout');
  alive.delete(first.url); // the Service stops routing to a terminating pod
  const code = await first.terminate('SIGTERM');
  assert.equal(code, 0, `a clean shutdown, not the 10 s fallback:\n${first.output()}`);
  assert.ok(balancer.reconnectEvents >= 1, 'the follower was told to reconnect');
  for (const line of first.output().trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), `every line the API printed is JSON: ${line}`);

  const result = await follower.result;
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, new RegExp(`✓ Deployment ${deployment.id} of ${name}@dev succeeded`), 'the second replica took the deployment over and finished it');
  const recorded = (await (await apiRequest(second, 'GET', `/deployments/${deployment.id}/events`)).json()) as { seq: number; type: string }[];
  const printed = result.stdout.split('\n').flatMap((l) => /^\d{4}-\S+Z (\S+)\s/.exec(l)?.[1] ?? []).filter((t) => t !== 'loco' && t !== 'note');
  assert.deepEqual(printed, recorded.map((e) => e.type), 'every event once, in order, across the reconnect');
  assert.ok(balancer.streams.length >= 2, `the follower reconnected: ${JSON.stringify(balancer.streams)}`);
  assert.equal(balancer.streams[0], undefined);
  assert.match(String(balancer.streams[1]), /^\d+$/, 'the reconnect carries Last-Event-ID');
});
