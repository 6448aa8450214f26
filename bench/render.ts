// Benchmark (not a test): renders 1,000 apps × 3 profiles with the generator and reports the
// time per app and the peak memory. Peer: `kustomize build` of one overlay takes ~400 ms on
// these machines, so rendering should stay far below that.
// Then what a user waits for: `loco render examples/autoscaled-shop` (one app, 3 profiles) as a
// process, beside the floor `node -e 0` and the peer, a cdk8s + cdk8s-plus-32 synth of the same
// app (bench/peers/cdk8s, installed there with `npm install --prefix` on first run, never a
// Loco dependency). Runs are interleaved so a busy machine slows all three alike.
// Run: npm run bench:render  (APPS=… to change the count, RENDER_ROUNDS=… the process runs)
// The bundled CLI is written to bench/out/npm/ each run (cli/build/bundle.ts), so it is never stale.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { bundleCli } from '../cli/build/bundle.ts';
import { appUrl, parseConfig, profileNames, renderApp } from '../generator/index.ts';

const APPS = Number(process.env.APPS ?? 1000);
const WORKSPACE = 'acme-bench';
const types = ['SERVICE', 'WORKER', 'CRON'];

function configText(i: number): string {
  const type = types[i % types.length];
  // Only a SERVICE takes traffic: routing keys on a WORKER or CRON app are refused.
  const routed = type === 'SERVICE';
  const domain = (d: string) => (routed ? `BaseDomain = "${d}"\n` : '');
  return `[Metadata]
ConfigVersion = 1
Name = "app-${i}"
Type = "${type}"

[Resources]
CPU = "${100 + (i % 5) * 50}m"
Memory = "${128 * (1 + (i % 4))}Mi"

[Resources.Replicas]
Min = ${1 + (i % 2)}
Max = ${2 + (i % 4)}

${routed ? `[Routing]\nPort = ${8000 + (i % 100)}\nPathPrefix = "/"\n` : ''}
${type === 'CRON' ? '[Cron]\nSchedule = "*/10 * * * *"\n' : ''}
[Env.Variables]
INDEX = ${i}
FEATURE = "f-${i % 7}"

[Env.Secrets]
DATABASE_URL = "db-${i % 10}/url"

[Profile.dev]
CPU = "50m"
Memory = "128Mi"
${domain('dev.bench.example')}
[Profile.uat]
${domain('uat.bench.example')}
[Profile.prod]
Replicas.Min = 2
Replicas.Max = 6
${domain('bench.example')}`;
}

const texts = Array.from({ length: APPS }, (_, i) => configText(i));
const otherApps = Array.from({ length: 20 }, (_, i) => ({ name: `app-${i}`, url: appUrl(WORKSPACE, `app-${i}`, 'prod') }));
let peakHeap = process.memoryUsage().heapUsed;
const perApp: number[] = [];
let files = 0;
let bytes = 0;

const started = performance.now();
for (let i = 0; i < APPS; i++) {
  const t0 = performance.now();
  const config = parseConfig(texts[i]);
  for (const profile of profileNames(config)) {
    const tree = renderApp({ config, configText: texts[i], profile, image: `registry.example.com/acme/app-${i}:1.${i}`, workspace: WORKSPACE, otherApps });
    files += tree.size;
    for (const text of tree.values()) bytes += text.length;
  }
  perApp.push(performance.now() - t0);
  if (i % 50 === 0) {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }
}
const total = performance.now() - started;
const m = process.memoryUsage();
peakHeap = Math.max(peakHeap, m.heapUsed);
perApp.sort((a, b) => a - b);
const pct = (p: number) => perApp[Math.min(perApp.length - 1, Math.floor(perApp.length * p))].toFixed(2);
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

console.log(`render: ${APPS} apps × 3 profiles (parse + validate + render), node ${process.version}`);
console.log(`  total        ${(total / 1000).toFixed(2)} s`);
console.log(`  per app      mean ${(total / APPS).toFixed(2)} ms, p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${pct(1)} ms (3 profiles each)`);
console.log(`  per profile  ${(total / APPS / 3).toFixed(2)} ms`);
console.log(`  output       ${files} files, ${mb(bytes)} MB of YAML/TOML`);
console.log(`  peak memory  max rss ${mb(process.resourceUsage().maxRSS * 1024)} MB (whole process), heap used ${mb(peakHeap)} MB (sampled every 50 apps)`);
console.log('  peer         kubectl kustomize of one overlay: ~400 ms on this machine (process start + build)');

// --- loco render as a process, beside node -e 0 and cdk8s synth ---------------------------------

const ROUNDS = Number(process.env.RENDER_ROUNDS ?? 30);
const WARMUP = 3;
const root = fileURLToPath(new URL('..', import.meta.url));
const peerDir = fileURLToPath(new URL('./peers/cdk8s/', import.meta.url));

function peerReady(): string | undefined {
  if (existsSync(`${peerDir}node_modules/cdk8s-plus-32`)) return undefined;
  try {
    const npm = process.env.npm_execpath;
    const [command, args] = npm ? [process.execPath, [npm]] : ['npm', []];
    execFileSync(command, [...args, 'install', '--prefix', peerDir, '--no-audit', '--no-fund', '--silent'], { stdio: ['ignore', 'ignore', 'pipe'] });
    return undefined;
  } catch (error) {
    return `cdk8s peer not installed (npm install --prefix bench/peers/cdk8s failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim().split('\n')[0]})`;
  }
}

/** CPU time of the children this process has waited for (Linux: /proc/self/stat cutime + cstime), in ms. */
function childCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10; // clock ticks of 10 ms
}

const peerProblem = peerReady();
// the bundled CLI, as the npm package ships it (npm run build), written under bench/out/
const bundle = await bundleCli(`${root}bench/out`);
const commands: Record<string, string[]> = {
  render: [bundle, 'render', 'examples/autoscaled-shop'],
  render_source: ['cli/bin.js', 'render', 'examples/autoscaled-shop'],
  node_e0: ['-e', '0'],
  ...(peerProblem ? {} : { cdk8s: [`${peerDir}synth.mjs`] }),
};
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
const cpu: Record<string, number> = Object.fromEntries(Object.keys(commands).map((k) => [k, 0]));
for (let r = 0; r < WARMUP + ROUNDS; r++) {
  for (const [label, args] of Object.entries(commands)) {
    const c0 = childCpuMs();
    const t0 = performance.now();
    const run = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const elapsed = performance.now() - t0;
    if (run.status !== 0) throw new Error(`${label} exited ${run.status}: ${run.stderr}`);
    if (r >= WARMUP) {
      samples[label].push(elapsed);
      cpu[label] += (childCpuMs() - c0) / ROUNDS;
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const renderMs = median(samples.render);
const sourceMs = median(samples.render_source);
const nodeMs = median(samples.node_e0);
const cdk8sMs = samples.cdk8s ? median(samples.cdk8s) : null;
const row = (label: string, wall: number, cpuMs: number, note: string) => console.log(`  ${label.padEnd(28)} ${wall.toFixed(1).padStart(7)} ms wall  ${cpuMs.toFixed(0).padStart(4)} ms CPU   ${note}`);
const ratios = (wall: number, c: number) => `${(wall / nodeMs).toFixed(2)}x node -e 0${cdk8sMs === null ? '' : `, ${(wall / cdk8sMs).toFixed(2)}x cdk8s`} (CPU: ${(c / cpu.node_e0).toFixed(2)}x${cdk8sMs === null ? '' : `, ${(c / cpu.cdk8s).toFixed(2)}x`})`;
console.log(`\nloco render examples/autoscaled-shop (one app, 3 profiles) as a process: median wall time and mean CPU of ${ROUNDS} interleaved runs`);
row('loco render (bundled CLI)', renderMs, cpu.render, ratios(renderMs, cpu.render));
row('node cli/bin.js render', sourceMs, cpu.render_source, ratios(sourceMs, cpu.render_source));
row('node -e 0 (floor)', nodeMs, cpu.node_e0, '');
if (cdk8sMs !== null) row('cdk8s synth (peer, same app)', cdk8sMs, cpu.cdk8s, 'cdk8s 2.70 + cdk8s-plus-32 2.5, bench/peers/cdk8s/synth.mjs');
else console.log(`  cdk8s synth: -   ${peerProblem}`);
console.log('  goals: ≤ 2.5x node -e 0, ≤ 0.5x cdk8s (render_ms is the bundled CLI, what `npm i -g @loco-deploy/cli` runs)');
const round = (n: number | null, d = 1) => (n === null ? null : +n.toFixed(d));
console.log(JSON.stringify({
  render_ms: round(renderMs), node_e0_ms: round(nodeMs), cdk8s_ms: round(cdk8sMs), ratio_node: round(renderMs / nodeMs, 2), ratio_cdk8s: cdk8sMs === null ? null : round(renderMs / cdk8sMs, 2),
  render_source_ms: round(sourceMs), cpu_ms: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v)])),
}));
