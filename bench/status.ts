// Status latency, measured twice over N deployments of one app:
//  1. tracker: from the Argo CD double turning the app Healthy to the tracker's event saying so
//     (watch stream → classifyOutcome → onEvent);
//  2. through the API: from the same health change to that event reaching an SSE client — a real
//     Loco API (startServer, embedded PGlite and PostgreSQL) follows the double, writes the event
//     to the database and the `/deployments/:id/events` stream delivers it to the CLI's own
//     client (api/client followEvents). API, double and client share one process and clock, so
//     the figure includes their competition for the event loop: an upper bound.
// Also Argo CD API calls per deployment (should be a small constant: refresh, stream, tree reads).
// Peer: `argocd app wait` reacts to the same watch stream; Argo CD's own git poll is 3 minutes.
//
//   npm run bench:status [-- N]      (BENCH_DATABASES=pglite,postgresql)

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createArgoCdClient, trackDeployment } from '../api/argocd/index.ts';
import { createLocoClient } from '../api/client/index.ts';
import { startServer } from '../api/server.ts';
import { initTemplate } from '../generator/index.ts';
import { argoApplicationName, workspaceSlug } from '../generator/names.ts';
import { startArgoCdDouble, type ArgoCdDouble } from '../test/doubles/argocd/server.ts';
import { appFiles, createWorkspaceRepo } from '../test/argocd/workspace-repo.ts';
import { createTestDatabase } from '../test/api/helpers.ts';
import { percentile } from './support.ts';

const N = Number(process.argv[2] ?? 30);
const DATABASES = (process.env.BENCH_DATABASES ?? 'pglite,postgresql').split(',');
const SCENARIO = { syncMs: 20, healthyAfterMs: 80 };
const HEALTHY_HOLD_MS = 50;

interface Run {
  /** health change → event seen, ms */
  latencies: number[];
  /** commit (or 202) → outcome seen, ms */
  totals: number[];
  /** Argo CD requests the double served during each deployment */
  calls: number[];
}

/** Records when the double last turned `application` Healthy. */
function healthWatch(double: ArgoCdDouble, application: string) {
  let at: number | undefined;
  double.onHealthChange((c) => {
    if (c.application === application && c.health === 'Healthy') at = c.at;
  });
  return { reset: () => (at = undefined), get at() { return at; } };
}

async function trackerOnly(): Promise<Run & { clientCalls: number[] }> {
  const slug = 'bench--ws';
  const application = argoApplicationName(slug, 'api', 'dev');
  const repo = createWorkspaceRepo(slug);
  const double = await startArgoCdDouble({ repoPath: repo.repoPath, scenario: SCENARIO });
  const client = createArgoCdClient({ url: double.url, token: double.token });
  const healthy = healthWatch(double, application);
  const run = { latencies: [] as number[], totals: [] as number[], calls: [] as number[], clientCalls: [] as number[] };
  try {
    for (let i = 0; i < N; i++) {
      const commit = repo.commit(appFiles(slug, 'api', 'dev', `registry.example.com/api:v${i}`), `deploy ${i}`);
      healthy.reset();
      let seenAt: number | undefined;
      const callsBefore = double.calls.length;
      const start = performance.now();
      const outcome = await trackDeployment(
        client,
        { application, project: slug, revision: commit, progressDeadlineSeconds: 60 },
        (e) => {
          if (seenAt === undefined && healthy.at !== undefined && e.data?.healthStatus === 'Healthy') seenAt = performance.now();
        },
        { healthyDebounceMs: HEALTHY_HOLD_MS, treeIntervalMs: 1000 },
      );
      if (outcome.status !== 'succeeded') throw new Error(`deployment ${i} ended ${outcome.reason}: ${outcome.message}`);
      if (healthy.at === undefined || seenAt === undefined) throw new Error(`deployment ${i}: no Healthy change/event seen`);
      run.latencies.push(seenAt - healthy.at);
      run.totals.push(performance.now() - start);
      run.clientCalls.push(Number(outcome.data?.argocdCalls));
      run.calls.push(double.calls.length - callsBefore);
    }
  } finally {
    await double.stop();
    repo.cleanup();
  }
  return run;
}

async function throughApi(kind: string): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'loco-bench-status-'));
  const database = kind === 'postgresql' ? await createTestDatabase('postgresql') : undefined;
  const double = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`), scenario: SCENARIO });
  const healthy = healthWatch(double, argoApplicationName(workspaceSlug('default', 'default'), 'api', 'dev'));
  const server = await startServer({
    dataDir, port: 0, logger: false,
    ...(database?.url ? { databaseUrl: database.url } : {}),
    argocd: { url: double.url, token: double.token, healthySeconds: HEALTHY_HOLD_MS / 1000 },
  });
  const run = { latencies: [] as number[], totals: [] as number[], calls: [] as number[] };
  try {
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const client = createLocoClient({ url: server.url, token });
    const workspace = { org: 'default', workspace: 'default' };
    for (let i = 0; i < N; i++) {
      const image = `registry.example.com/api:v${i}`;
      healthy.reset();
      const callsBefore = double.calls.length;
      const start = performance.now();
      const deployment = await client.createDeployment(workspace, 'api', { config: initTemplate({ name: 'api', image }), profile: 'dev', image });
      let seenAt: number | undefined;
      let last: { type: string; message: string } | undefined;
      for await (const event of client.followEvents(deployment.id)) {
        if (seenAt === undefined && healthy.at !== undefined && event.data?.healthStatus === 'Healthy') seenAt = performance.now();
        last = event;
      }
      if (last?.type !== 'succeeded') throw new Error(`deployment ${i} ended with ${last?.type}: ${last?.message}`);
      if (healthy.at === undefined || seenAt === undefined) throw new Error(`deployment ${i}: no Healthy change/event seen`);
      run.latencies.push(seenAt - healthy.at);
      run.totals.push(performance.now() - start);
      run.calls.push(double.calls.length - callsBefore);
    }
    if (double.violations.length) throw new Error(`the double broke its contract: ${double.violations[0]}`);
  } finally {
    await server.close();
    await double.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return run;
}

const ms = (x: number) => `${x.toFixed(2)} ms`;
const figures = (xs: number[]) => `p50 ${ms(percentile(xs, 50))}  p99 ${ms(percentile(xs, 99))}  max ${ms(Math.max(...xs))}`;
const range = (xs: number[]) => `min ${Math.min(...xs)} / max ${Math.max(...xs)}`;

console.log(`bench/status: ${N} deployments each; the double syncs in ${SCENARIO.syncMs} ms, rolls out in ${SCENARIO.healthyAfterMs} ms; Healthy must hold ${HEALTHY_HOLD_MS} ms (node ${process.version})`);
const tracker = await trackerOnly();
console.log('\ntracker only (double Healthy → tracker event)');
console.log(`  latency          ${figures(tracker.latencies)}`);
console.log(`  commit → outcome ${figures(tracker.totals)}`);
console.log(`  Argo CD calls per deployment: counted by the client ${range(tracker.clientCalls)}; served by the double ${range(tracker.calls)}`);
for (const kind of DATABASES) {
  const api = await throughApi(kind);
  console.log(`\nthrough the API on ${kind} (double Healthy → SSE event at the client)`);
  console.log(`  latency          ${figures(api.latencies)}`);
  console.log(`  POST → outcome at the client ${figures(api.totals)}`);
  console.log(`  Argo CD calls per deployment: served by the double ${range(api.calls)}`);
}
console.log('\n(calls: 1 refresh + 1 watch stream + resource-tree reads while Progressing; never a sync)');
console.log('peer: Argo CD polls git every 180 s without a refresh; `argocd app wait` follows the same stream.');
