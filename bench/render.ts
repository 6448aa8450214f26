// Benchmark (not a test): renders 1,000 apps × 3 profiles with the generator and reports the
// time per app and the peak memory. Peer: `kustomize build` of one overlay takes ~400 ms on
// these machines, so rendering should stay far below that.
// Run: npm run bench:render  (APPS=… to change the count)

import { performance } from 'node:perf_hooks';
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
