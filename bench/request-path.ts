// The deploy request alone: N sequential deploy requests (and, with BENCH_SSE=1, each one's
// event-stream request up to its first event) through fastify's inject on one in-process API,
// the background runner off, so nothing but the request path runs. Prints wall and CPU
// milliseconds per request — the figure that bounds bench/deploy's time to 202 (200 requests at
// once on one event loop take ~200 × this) — beside the floor of an unauthenticated GET /healthz
// through the same inject.
//
//   node bench/request-path.ts      (BENCH_REQUESTS=400 BENCH_DATABASE=pglite|postgresql BENCH_SSE=0|1)

import { performance } from 'node:perf_hooks';
import { initTemplate } from '../generator/index.ts';
import { startTestApi } from '../test/api/helpers.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const DATABASE = (process.env.BENCH_DATABASE ?? 'pglite') as 'pglite' | 'postgresql';
const SSE = process.env.BENCH_SSE === '1';
const WORKSPACES = 20;

const api = await startTestApi(DATABASE, { runner: { disabled: true } });
const { app, adminToken } = api;
const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
for (let i = 0; i < WORKSPACES; i++) {
  const r = await app.inject({ method: 'POST', url: '/api/v1/orgs/default/workspaces', headers, payload: { name: `w${i}` } });
  if (r.statusCode !== 201) throw new Error(`workspace: ${r.statusCode} ${r.body}`);
}

async function deploy(i: number): Promise<void> {
  const name = `app${i}`;
  const image = `registry.example.com/bench/${name}:1`;
  const r = await app.inject({ method: 'POST', url: `/api/v1/orgs/default/workspaces/w${i % WORKSPACES}/apps/${name}/deployments`, headers, payload: { config: initTemplate({ name, image }), profile: 'dev', image } });
  if (r.statusCode !== 202) throw new Error(`deploy: ${r.statusCode} ${r.body}`);
  if (!SSE) return;
  // the event stream as `loco deploy` opens it, read up to its first event, then left
  const e = await app.inject({ method: 'GET', url: `/api/v1/deployments/${r.json().id}/events`, headers: { authorization: headers.authorization, accept: 'text/event-stream' }, payloadAsStream: true });
  if (e.statusCode !== 200) throw new Error(`events: ${e.statusCode} ${e.body}`);
  const stream = e.stream();
  let text = '';
  for await (const chunk of stream) {
    text += chunk;
    if (text.includes('event: pending')) break;
  }
  stream.destroy();
}

async function measure(what: string, n: number, one: (i: number) => Promise<void>, offset = 0): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await one(offset + i);
  const wallMs = (performance.now() - t0) / n;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / n;
  console.log(`${what.padEnd(28)} ${wallMs.toFixed(2)} ms wall, ${cpuMs.toFixed(2)} ms CPU per request (${n})`);
  return { wallMs, cpuMs };
}

await measure('warm-up (deploys)', 50, deploy, 100_000);
const floor = await measure('floor: GET /healthz', REQUESTS, async () => {
  const r = await app.inject({ method: 'GET', url: '/healthz' });
  if (r.statusCode !== 200) throw new Error(`healthz: ${r.statusCode}`);
});
// BENCH_PROFILE=file.cpuprofile: a CPU profile of the measured requests only (not start-up)
const profile = process.env.BENCH_PROFILE ? new (await import('node:inspector/promises')).Session() : undefined;
if (profile) {
  profile.connect();
  await profile.post('Profiler.enable');
  await profile.post('Profiler.start');
}
const result = await measure(SSE ? 'deploy + events read' : 'deploy', REQUESTS, deploy);
if (profile) {
  const { profile: taken } = await profile.post('Profiler.stop');
  (await import('node:fs')).writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify(taken));
}
console.log(`${DATABASE}: ${(result.wallMs / floor.wallMs).toFixed(1)}× the floor; 200 at once ≈ ${(result.wallMs * 200).toFixed(0)} ms on one loop`);
await api.close();
console.log(JSON.stringify({ database: DATABASE, requests: REQUESTS, sse: SSE, wall_ms: +result.wallMs.toFixed(3), cpu_ms: +result.cpuMs.toFixed(3), floor_wall_ms: +floor.wallMs.toFixed(3) }));
