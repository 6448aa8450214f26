// Start-up time of the `loco` command, hyperfine-style: each case runs as a fresh process a
// number of times after warm-up runs; prints mean, p50, p95 and min in milliseconds.
// Peers for scale: `node -e 0` (the floor of any Node CLI) is printed alongside.
// Usage: node bench/cli.ts [runs=30]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile } from './support.ts';

const root = new URL('..', import.meta.url).pathname;
const node = process.execPath;
const runs = Number(process.argv[2] ?? 30);
const warmup = 3;

// An example app to render: the repository's first example, else a small loco.toml of our own.
function renderTarget(): string {
  for (const name of ['web-basic', 'worker', 'service']) {
    const dir = join(root, 'examples', name);
    if (existsSync(join(dir, 'loco.toml'))) return dir;
  }
  const dir = mkdtempSync(join(tmpdir(), 'loco-bench-'));
  writeFileSync(join(dir, 'loco.toml'), '[Metadata]\nName = "bench"\n\n[Build]\nImage = "ghcr.io/acme/bench:1.0.0"\n\n[Profile.dev]\n\n[Profile.prod]\n');
  return dir;
}

const env = { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'loco-bench-cfg-')) };
const target = renderTarget();
const cases: [string, string[]][] = [
  ['node -e 0 (floor)', ['-e', '0']],
  ['loco --help', [join(root, 'cli/bin.js'), '--help']],
  ['loco --version', [join(root, 'cli/bin.js'), '--version']],
  [`loco render ${target.replace(root, '')}`, [join(root, 'cli/bin.js'), 'render', target]],
  [`loco validate ${target.replace(root, '')}`, [join(root, 'cli/bin.js'), 'validate', target]],
];

function measure(args: string[]): number[] {
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(node, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (i >= warmup) times.push(ms);
  }
  return times.sort((a, b) => a - b);
}

console.log(`loco CLI start-up, ${runs} runs each after ${warmup} warm-up runs (node ${process.version}, target < 300 ms)`);
console.log(`${'case'.padEnd(44)} ${'mean'.padStart(8)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'min'.padStart(8)}`);
for (const [name, args] of cases) {
  const t = measure(args);
  const mean = t.reduce((a, b) => a + b, 0) / t.length;
  const f = (v: number) => `${v.toFixed(1)}ms`.padStart(8);
  console.log(`${name.padEnd(44)} ${f(mean)} ${f(percentile(t, 50))} ${f(percentile(t, 95))} ${f(t[0])}`);
}
