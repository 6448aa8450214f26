// 200 concurrent deploy requests over 20 workspaces against ONE API process (`node
// api/main.ts`, as `npm start` runs it), once on the embedded PGlite and once on PostgreSQL:
// requests/s, p50/p99 time to 202, p50/p99 time to the commit (as an SSE client sees the
// `committed` event), commits lost (deployments whose commit is not on main: must be 0), and
// the API's peak RSS. Each request deploys a distinct app, so every one must make a commit.
// Then a second burst on the same API (every app again, with a new tag): the first burst after a
// start runs the deploy path in V8's interpreter and baseline code (measured here: about twice the
// CPU per request of a warm API on PostgreSQL), the second shows an API that has been running.
// The JSON's top-level figures are the first burst's (the contract); `warm` holds the second's.
// Beside each first burst: the floor (the same 200 requests answered by a bare fastify server,
// floorBurst) and the CPU of the API's main thread until the last 202 — when it is well below the
// time to the last 202, the event loop was not what the requests waited for (on 2 cores, the
// client, PostgreSQL and V8's compiler threads share the other core).
//
//   npm run bench:deploy      (BENCH_REQUESTS=200 BENCH_WORKSPACES=20 BENCH_DATABASES=pglite,postgresql BENCH_IDLE_MS=15000; PostgreSQL at LOCO_TEST_POSTGRES_URL)

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { initTemplate } from '../generator/index.ts';
import { workspaceSlug } from '../generator/names.ts';
import { createTestDatabase } from '../test/api/helpers.ts';
import { percentile } from './support.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const WORKSPACES = Number(process.env.BENCH_WORKSPACES ?? 20);
const DATABASES = (process.env.BENCH_DATABASES ?? 'pglite,postgresql').split(',');
/** How long the API is left alone before its idle RSS is read (see run). */
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 15_000);


/** Starts a node process that prints `listening on <url>`; the process and its URL. */
function startListening(args: string[], env: Record<string, string | undefined>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/[^\s"]+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`${args.at(-1)} exited with ${code}: ${out}`)));
  });
}

async function startApi(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  // Node's flags and compile cache as the container image runs the API (Dockerfile ENTRYPOINT,
  // NODE_COMPILE_CACHE): RSS figures are those of a deployed API, not of a cold checkout.
  const cache = process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'loco-bench-compile-cache');
  // BENCH_API_ARGS: extra node flags for the API, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it
  const extra = (process.env.BENCH_API_ARGS ?? '').split(' ').filter(Boolean);
  return startListening(['--max-semi-space-size=8', ...extra, '--import', './api/telemetry.ts', 'api/main.ts'], { ...process.env, NODE_COMPILE_CACHE: cache, MALLOC_MMAP_THRESHOLD_: '131072', LOCO_LOG_LEVEL: 'info', ...env });
}

/**
 * The floor beside each first burst: the same REQUESTS bodies, posted at once on new connections
 * by the same client, to a fastify server that only parses them and answers 202
 * (bench/peers/floor/fastify-202.ts, its own process, just started, as the API is). What
 * remains above it is Loco's work; below it no API on this machine can answer.
 */
async function floorBurst(): Promise<{ p50: number; p99: number }> {
  const { child, url } = await startListening(['--max-semi-space-size=8', 'bench/peers/floor/fastify-202.ts'], { ...process.env });
  const fresh = newAgent();
  try {
    const bodies = deployBodies(1);
    const times = await Promise.all(bodies.map(async (body, i) => {
      const t0 = performance.now();
      const r = await request(`${url}/api/v1/orgs/default/workspaces/w${i % WORKSPACES}/apps/app${i}/deployments`, { method: 'POST', headers: { authorization: 'Bearer floor', 'content-type': 'application/json' }, body, agent: fresh });
      if (r.status !== 202) throw new Error(`floor: ${r.status} ${r.text}`);
      return performance.now() - t0;
    }));
    return { p50: percentile(times, 50), p99: percentile(times, 99) };
  } finally {
    fresh.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** CPU seconds (user + system) the process has used: figures that a loaded machine stretches less than wall time. */
function cpuSeconds(pid: number, stat = `/proc/${pid}/stat`): number {
  const fields = readFileSync(stat, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15) in clock ticks of 1/100 s
}

/** CPU seconds of the process's main thread: the event loop every request waits for (V8's GC and compiler threads and libuv's pool are beside it). */
function mainThreadCpuSeconds(pid: number): number {
  return cpuSeconds(pid, `/proc/${pid}/task/${pid}/stat`);
}

/** CPU seconds of every PostgreSQL server process on this machine (the PostgreSQL run's backends; ~0 for PGlite, which runs inside the API). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuSeconds(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

// The 200 clients are one process here, where in life they are 200 CI jobs on their own
// machines: the client must cost little, or the figures are its queue. fetch (undici, with WHATWG
// streams) used ~1.3 ms of CPU per request, so the last of 200 deploys left this process ~250 ms
// after the first; node:http with a keep-alive agent uses about a third of that. Each burst has
// an agent of its own, so every burst opens its 200 connections anew, as 200 CI jobs would (a
// burst reusing the last one's connections skipped ~200 accepts and socket set-ups).
const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: Infinity });
/** For the set-up requests (workspaces): destroyed before the first burst. */
const agent = newAgent();

/** The REQUESTS deploy bodies: app i's loco.toml and image, tagged `tag`. */
function deployBodies(tag: number): string[] {
  return Array.from({ length: REQUESTS }, (_, i) => {
    const image = `registry.example.com/bench/app${i}:${tag}`;
    return JSON.stringify({ config: initTemplate({ name: `app${i}`, image }), profile: 'dev', image });
  });
}

/** One request; its status and body. */
function request(url: string, options: { method?: string; headers: Record<string, string>; body?: string; agent?: http.Agent }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Reads the SSE stream until the `committed` (or `failed`) event; returns when it arrived. */
function commitSeen(url: string, token: string, id: string, agent: http.Agent): Promise<{ at: number; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/api/v1/deployments/${id}/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, agent }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        const m = /event: (committed|failed)\n/.exec(buffer);
        if (m) {
          resolve({ at: performance.now(), type: m[1] });
          req.destroy(); // the client leaves the stream, as `loco deploy` does once it knows
        }
      });
      res.on('end', () => reject(new Error(`stream of ${id} ended without a commit`)));
    });
    req.on('error', (error) => { if (!req.destroyed || (error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error); });
  });
}

interface Burst {
  requestsPerSecond: number;
  p50Accepted: number; p99Accepted: number; acceptedSpread: string;
  p50Commit: number; p99Commit: number; commitsPerSecond: number;
  answering: { ms: number; api: number; main: number; client: number; pg: number };
  lost: number; twice: number; cpu: number; clientCpu: number; pgCpu: number; total: number;
}

/**
 * REQUESTS concurrent deploys (app i in workspace i % WORKSPACES, image tag `tag`) and what they
 * took. Every deploy changes its app's files (a new app, or a new tag), so each must make a commit.
 */
async function burst(api: { child: ChildProcess; url: string; dataDir: string; token: string; workspaces: string[] }, tag: number): Promise<Burst> {
  const { child, url, dataDir, token, workspaces } = api;
  agent.destroy();
  const own = newAgent();
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  // the bodies are made before the clock starts: a CI job has its loco.toml before it deploys
  const bodies = deployBodies(tag);
  const cpuBefore = cpuSeconds(child.pid!);
  const mainBefore = mainThreadCpuSeconds(child.pid!);
  const clientBefore = process.cpuUsage();
  const pgBefore = postgresCpuSeconds();
  const started = performance.now();
  let acceptedCount = 0;
  // CPU of each process up to the last 202: what the answering phase cost, beside its length
  let answering = { ms: 0, api: 0, main: 0, client: 0, pg: 0 };
  const results = await Promise.all(Array.from({ length: REQUESTS }, async (_, i) => {
    const ws = workspaces[i % WORKSPACES];
    const app = `app${i}`;
    const t0 = performance.now();
    const r = await request(`${url}/api/v1/orgs/default/workspaces/${ws}/apps/${app}/deployments`, {
      method: 'POST', headers, body: bodies[i], agent: own,
    });
    const accepted = performance.now();
    if (++acceptedCount === REQUESTS) {
      const client = process.cpuUsage(clientBefore);
      answering = { ms: accepted - started, api: cpuSeconds(child.pid!) - cpuBefore, main: mainThreadCpuSeconds(child.pid!) - mainBefore, client: (client.user + client.system) / 1e6, pg: postgresCpuSeconds() - pgBefore };
    }
    if (r.status !== 202) throw new Error(`deploy ${ws}/${app}: ${r.status} ${r.text}`);
    const { id } = JSON.parse(r.text) as { id: string };
    const seen = await commitSeen(url, token, id, own);
    return { ws, id, toAccepted: accepted - t0, toCommit: seen.at - t0, acceptedAt: accepted, outcome: seen.type };
  }));
  own.destroy();
  const lastAccepted = Math.max(...results.map((r) => r.acceptedAt));
  const lastCommit = Math.max(...results.map((r) => r.toCommit + (r.acceptedAt - r.toAccepted)));
  const cpu = cpuSeconds(child.pid!) - cpuBefore;
  const clientUsage = process.cpuUsage(clientBefore);
  const clientCpu = (clientUsage.user + clientUsage.system) / 1e6;
  const pgCpu = postgresCpuSeconds() - pgBefore;

  // commits lost: every deployment must have a commit whose trailers name it, on main
  // and no deployment may be committed twice
  let lost = 0;
  let twice = 0;
  for (const ws of workspaces) {
    const gitdir = join(dataDir, 'repos', `${workspaceSlug('default', ws)}.git`);
    const log = execFileSync('git', [`--git-dir=${gitdir}`, 'log', 'main', '--format=%(trailers:key=Loco-Deployment,valueonly)'], { encoding: 'utf8' });
    const ids = log.split('\n').map((l) => l.trim()).filter(Boolean);
    const onMain = new Set(ids);
    twice += ids.length - onMain.size;
    lost += results.filter((r) => r.ws === ws && (!onMain.has(r.id) || r.outcome !== 'committed')).length;
  }
  const accepted = results.map((r) => r.toAccepted);
  const committed = results.map((r) => r.toCommit);
  return {
    requestsPerSecond: REQUESTS / ((lastAccepted - started) / 1000),
    p50Accepted: percentile(accepted, 50), p99Accepted: percentile(accepted, 99),
    // the shape of the queue: even the first tenth waits for the burst, since every request's steps interleave on one event loop
    acceptedSpread: [10, 25, 75, 90].map((q) => `p${q} ${percentile(accepted, q).toFixed(0)}`).join(', '),
    p50Commit: percentile(committed, 50), p99Commit: percentile(committed, 99),
    commitsPerSecond: REQUESTS / ((lastCommit - started) / 1000),
    answering, lost, twice, cpu, clientCpu, pgCpu, total: (performance.now() - started) / 1000,
  };
}

async function run(kind: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'loco-bench-deploy-'));
  const database = kind === 'postgresql' ? await createTestDatabase('postgresql') : undefined;
  const env: Record<string, string> = { LOCO_DATA_DIR: dataDir, LOCO_PORT: '0' };
  if (database?.url) env.DATABASE_URL = database.url;
  const { child, url } = await startApi(env);
  try {
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const workspaces = Array.from({ length: WORKSPACES }, (_, i) => `w${String(i + 1).padStart(2, '0')}`);
    for (const ws of workspaces) {
      const r = await request(`${url}/api/v1/orgs/default/workspaces`, { method: 'POST', headers, body: JSON.stringify({ name: ws }) });
      if (r.status !== 201) throw new Error(`workspace ${ws}: ${r.status} ${r.text}`);
    }
    // Just started: bootstrapped and with its workspaces, before any deploy. Idle: then left
    // alone for IDLE_MS, as an API waiting for its next deploy is most of the time. V8 keeps the
    // start-up's heap until its memory reducer runs, after ~8 s without work; measured here, the
    // embedded API went from 248 to 209 MiB at about 12 s and stayed there.
    const rssStarted = rssMiB(child.pid!);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const rssIdle = rssMiB(child.pid!);
    let peakRss = Math.max(rssStarted, rssIdle);
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(child.pid!))), 50);

    // first burst: the API's code is cold (V8 has not compiled the deploy path yet), as after any start
    const first = await burst({ child, url, dataDir, token, workspaces }, 1);
    clearInterval(sampler);
    const rssAfter = rssMiB(child.pid!);
    // second burst, on the same API: every app again with a new tag — the figures of an API that has been running
    const warm = await burst({ child, url, dataDir, token, workspaces }, 2);
    const rssAfterWarm = rssMiB(child.pid!);
    return { kind, ...first, rssStarted, rssIdle, rssAfter, peakRss, warm, rssAfterWarm };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  }
}

function printBurst(r: Burst): void {
  console.log(`  requests/s (all ${REQUESTS} answered 202): ${r.requestsPerSecond.toFixed(1)} req/s`);
  console.log(`  time to 202:    p50 ${r.p50Accepted.toFixed(0)} ms   p99 ${r.p99Accepted.toFixed(0)} ms  (${r.acceptedSpread} ms)`);
  console.log(`  until the last 202: ${r.answering.ms.toFixed(0)} ms, in which the API used ${(r.answering.api * 1000).toFixed(0)} ms of CPU (${((r.answering.api * 1000) / REQUESTS).toFixed(1)} ms per deploy; its main thread ${(r.answering.main * 1000).toFixed(0)} ms), the bench client ${(r.answering.client * 1000).toFixed(0)} ms, PostgreSQL ${(r.answering.pg * 1000).toFixed(0)} ms`);
  console.log(`  time to commit: p50 ${r.p50Commit.toFixed(0)} ms   p99 ${r.p99Commit.toFixed(0)} ms  (all committed after ${r.total.toFixed(1)} s)`);
  console.log(`  commits/s:      ${r.commitsPerSecond.toFixed(1)} (first request to last commit)`);
  console.log(`  commits lost:   ${r.lost} (must be 0); committed twice: ${r.twice} (must be 0)`);
  console.log(`  API CPU:        ${r.cpu.toFixed(2)} s for the ${REQUESTS} deploys (${((r.cpu * 1000) / REQUESTS).toFixed(1)} ms per deploy: request, render, commit, events, SSE)`);
  console.log(`  beside it:      bench client (200 HTTP clients + SSE) ${r.clientCpu.toFixed(2)} s, PostgreSQL server ${r.pgCpu.toFixed(2)} s — on ${availableParallelism()} cores`);
}

console.log(`bench/deploy: ${REQUESTS} concurrent deploys over ${WORKSPACES} workspaces, one API process (node ${process.version})`);
console.log('goal (issue 17): p99 to 202 < 500 ms, >= 100 commits/s, 0 lost, 0 committed twice; idle RSS < 150 MiB (PostgreSQL) / < 250 MiB (embedded), < 300 MiB after');
const runs = [];
for (const kind of DATABASES) {
  const floor = await floorBurst();
  const r = { ...(await run(kind)), floor };
  runs.push(r);
  console.log(`\n${r.kind}, first burst after the start`);
  printBurst(r);
  console.log(`  floor:          p50 ${floor.p50.toFixed(0)} ms   p99 ${floor.p99.toFixed(0)} ms to 202 from a bare fastify server just started (bench/peers/floor), the same ${REQUESTS} bodies on new connections`);
  console.log(`  API RSS:        just started ${r.rssStarted.toFixed(0)} MiB, idle ${r.rssIdle.toFixed(0)} MiB (${IDLE_MS / 1000} s later, no requests), after the burst ${r.rssAfter.toFixed(0)} MiB, peak ${r.peakRss.toFixed(0)} MiB`);
  console.log(`${r.kind}, second burst on the same API (warm: every app again, with a new tag)`);
  printBurst(r.warm);
  console.log(`  API RSS:        after ${r.rssAfterWarm.toFixed(0)} MiB`);
}
const round = (n: number) => Math.round(n * 10) / 10;
console.log(JSON.stringify({
  runs: runs.map((r) => ({
    database: r.kind, requests: REQUESTS, lost: r.lost, committed_twice: r.twice,
    p50_202_ms: round(r.p50Accepted), p99_202_ms: round(r.p99Accepted), p99_commit_ms: round(r.p99Commit),
    commits_per_s: round(r.commitsPerSecond), rss_idle_mib: round(r.rssIdle), rss_after_mib: round(r.rssAfter), rss_started_mib: round(r.rssStarted),
    // the same burst answered by a bare fastify server (floorBurst), measured just before this run
    floor_p99_202_ms: round(r.floor.p99),
    // CPU of the API's event loop until the last 202: less stretched by a busy machine than wall time
    main_thread_cpu_ms: round(r.answering.main * 1000),
    // the second burst on the same (warm) API
    warm: {
      lost: r.warm.lost, committed_twice: r.warm.twice, p50_202_ms: round(r.warm.p50Accepted), p99_202_ms: round(r.warm.p99Accepted),
      p99_commit_ms: round(r.warm.p99Commit), commits_per_s: round(r.warm.commitsPerSecond), rss_after_mib: round(r.rssAfterWarm),
      main_thread_cpu_ms: round(r.warm.answering.main * 1000),
    },
  })),
}));
