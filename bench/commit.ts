// Commit latency of the GitOps store (isomorphic-git) in a workspace repository with 500
// apps at 10, 1,000 and 10,000 commits of history, beside the same change made with native
// git plumbing (hash-object, mktree, commit-tree, update-ref) in the same repository.
//
// Then the same deploys as group commits (store.applyChanges: BENCH_BATCH changes per batch, a chain
// of one commit each in one pack and one ref update), as commits per second beside one at a time.
// Last line: one JSON object with the figures ({"commits_per_s": …, "lost": 0, …}).
//
//   npm run bench:commit            (BENCH_ROUNDS=30 to change the number of measured commits)

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createGitopsStore } from '../api/gitops/index.ts';

const APPS = 500;
const HISTORIES = [10, 1_000, 10_000];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 25);
/** Group commits: this many batches of BATCH changes each (store.applyChanges, one pack and one ref update per batch). */
const BATCHES = Number(process.env.BENCH_BATCHES ?? 5);
const BATCH = Number(process.env.BENCH_BATCH ?? 20);
/** Unmeasured commits first: the JIT and the pack index cache warm up. */
const WARMUP = 3;
const SLUG = 'bench-ws';

const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };

let gitProcesses = 0;

function git(gitdir: string, args: string[], input?: string): string {
  gitProcesses++;
  return execFileSync('git', args, { cwd: gitdir, env: gitEnv, input, encoding: 'utf8', maxBuffer: 1 << 28 }).trim();
}

function appFiles(app: string, image: string): Record<string, string> {
  return {
    [`apps/${app}/loco.toml`]: `Name = "${app}"\nType = "web"\n[Build]\nImage = "registry.example.com/${app}"\n`,
    [`apps/${app}/base/kustomization.yaml`]: 'resources:\n  - deployment.yaml\n  - service.yaml\n',
    [`apps/${app}/base/deployment.yaml`]: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${app}\n          image: app\n`,
    [`apps/${app}/base/service.yaml`]: `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}\n`,
    [`apps/${app}/overlays/dev/kustomization.yaml`]: `resources:\n  - ../../base\nimages:\n  - name: app\n    newName: ${image}\n`,
    [`apps/${app}/overlays/prod/kustomization.yaml`]: `resources:\n  - ../../base\nimages:\n  - name: app\n    newName: registry.example.com/${app}:stable\n`,
  };
}

/** A bare repository with 500 apps and `commits` commits, written by git fast-import. */
async function buildRepository(gitdir: string, commits: number): Promise<void> {
  execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', gitdir], { env: gitEnv });
  const child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: gitdir, env: gitEnv, stdio: ['pipe', 'inherit', 'inherit'] });
  const done = new Promise<void>((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)))));
  let chunk = '';
  const flush = async () => {
    if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
    chunk = '';
  };
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const time = 1_700_000_000;
  for (let c = 0; c < commits; c++) {
    const message = c === 0 ? 'Create workspace with 500 apps\n' : `deploy(app-${c % APPS}@dev): img:${c}\n\nLoco-App: app-${c % APPS}\nLoco-Profile: dev\nLoco-Change: deploy\n`;
    chunk += `commit refs/heads/main\ncommitter Bench <bench@example.com> ${time + c} +0000\n${data(message)}`;
    const files = c === 0
      ? Object.assign({}, ...Array.from({ length: APPS }, (_, i) => appFiles(`app-${i}`, `img:0`)))
      : { [`apps/app-${c % APPS}/overlays/dev/kustomization.yaml`]: appFiles(`app-${c % APPS}`, `img:${c}`)[`apps/app-${c % APPS}/overlays/dev/kustomization.yaml`] };
    for (const [file, text] of Object.entries<string>(files)) chunk += `M 100644 inline ${file}\n${data(text)}`;
    chunk += '\n';
    if (chunk.length > 1 << 20) await flush();
  }
  chunk += 'done\n';
  await flush();
  child.stdin.end();
  await done;
}

/** The same deploy done by hand with plumbing: one new blob, the trees above it, a commit. */
function nativeCommit(gitdir: string, app: string, image: string): void {
  const head = git(gitdir, ['rev-parse', 'refs/heads/main']);
  const file = `apps/${app}/overlays/dev/kustomization.yaml`;
  let oid = git(gitdir, ['hash-object', '-w', '--stdin'], appFiles(app, image)[file]);
  let mode = '100644';
  let type = 'blob';
  const segments = file.split('/');
  for (let depth = segments.length - 1; depth >= 0; depth--) {
    const dir = segments.slice(0, depth).join('/');
    const name = segments[depth];
    const listing = git(gitdir, ['ls-tree', `${head}:${dir}`]).split('\n').filter((l) => !l.endsWith(`\t${name}`));
    listing.push(`${mode} ${type} ${oid}\t${name}`);
    oid = git(gitdir, ['mktree'], listing.join('\n') + '\n');
    mode = '040000';
    type = 'tree';
  }
  const commit = git(gitdir, ['commit-tree', oid, '-p', head, '-m', `deploy(${app}@dev): ${image}\n\nLoco-App: ${app}\nLoco-Profile: dev`]);
  git(gitdir, ['update-ref', 'refs/heads/main', commit, head]);
}

function stats(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], p95: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

const root = mkdtempSync(path.join(tmpdir(), 'loco-bench-commit-'));
try {
  console.log(`GitOps commit latency: one app's dev overlay changed in a repository of ${APPS} apps (${ROUNDS} commits each, median / p95)`);
  console.log(`node ${process.version}, ${git(root, ['--version'])}\n`);
  const rows: string[][] = [['history', 'Loco (isomorphic-git)', 'native git plumbing', 'ratio (median)', 'first Loco commit', 'history(app, limit 20)', 'commits/s one at a time', `commits/s in batches of ${BATCH}`]];
  const runs: Record<string, number>[] = [];
  let lost = 0;
  for (const commits of HISTORIES) {
    const dataDir = path.join(root, `h${commits}`);
    const gitdir = path.join(dataDir, 'repos', `${SLUG}.git`);
    const t0 = performance.now();
    await buildRepository(gitdir, commits);
    const buildMs = performance.now() - t0;
    const store = createGitopsStore({ dataDir });
    const loco: number[] = [];
    const native: number[] = [];
    let first = 0;
    let nativeProcesses = 0;
    for (let r = 0; r < WARMUP + ROUNDS; r++) {
      const app = `app-${(r * 37) % APPS}`;
      const files = appFiles(app, `img:loco-${commits}-${r}`);
      const start = performance.now();
      const result = await store.applyChange({
        slug: SLUG,
        scope: [`apps/${app}/loco.toml`, `apps/${app}/base/`, `apps/${app}/overlays/dev/`],
        files: new Map(Object.entries(files).filter(([f]) => !f.includes('/overlays/prod/'))),
        subject: `deploy(${app}@dev): img:loco-${r}`,
        trailers: { 'Loco-App': app, 'Loco-Profile': 'dev', 'Loco-Change': 'deploy' },
        author: { name: 'Bench', email: 'bench@example.com' },
      });
      const elapsed = performance.now() - start;
      if (result.status !== 'committed') throw new Error(`expected a commit, got ${result.status}`);
      // The first commit opens the pack written by fast-import; report it apart.
      if (r === 0) first = elapsed;
      if (r >= WARMUP) loco.push(elapsed);
      const before = gitProcesses;
      const nStart = performance.now();
      nativeCommit(gitdir, `app-${(r * 53 + 11) % APPS}`, `img:native-${commits}-${r}`);
      if (r >= WARMUP) native.push(performance.now() - nStart);
      nativeProcesses = gitProcesses - before;
    }
    // Group commits: BATCHES × BATCH deploys of distinct apps; every one must be on main.
    const countBefore = Number(git(gitdir, ['rev-list', '--count', 'main']));
    const bStart = performance.now();
    let batched = 0;
    for (let b = 0; b < BATCHES; b++) {
      const changes = Array.from({ length: BATCH }, (_, i) => {
        const app = `app-${(b * BATCH + i) % APPS}`;
        const files = appFiles(app, `img:batch-${commits}-${b}-${i}`);
        return {
          slug: SLUG,
          scope: [`apps/${app}/loco.toml`, `apps/${app}/base/`, `apps/${app}/overlays/dev/`],
          files: new Map(Object.entries(files).filter(([f]) => !f.includes('/overlays/prod/'))),
          subject: `deploy(${app}@dev): img:batch-${b}-${i}`,
          trailers: { 'Loco-App': app, 'Loco-Profile': 'dev', 'Loco-Change': 'deploy' },
          author: { name: 'Bench', email: 'bench@example.com' },
        };
      });
      const results = await store.applyChanges(changes);
      batched += results.filter((r) => r.status === 'committed').length;
    }
    const batchMs = performance.now() - bStart;
    lost += BATCHES * BATCH - (Number(git(gitdir, ['rev-list', '--count', 'main'])) - countBefore);
    const fsck = execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: gitdir, env: gitEnv, encoding: 'utf8' }).trim();
    if (fsck) throw new Error(`git fsck: ${fsck}`);
    // An audit read: one app's last 20 changes, found by walking first parents from the head.
    const hStart = performance.now();
    const found = await store.history(SLUG, { app: 'app-1', limit: 20 });
    const historyMs = performance.now() - hStart;
    if (found.length === 0) throw new Error('history found nothing');
    const l = stats(loco);
    const n = stats(native);
    const single = 1000 / (loco.reduce((a, b) => a + b, 0) / loco.length);
    const grouped = (batched * 1000) / batchMs;
    runs.push({ history: commits, commit_median_ms: l.median, commit_p95_ms: l.p95, native_median_ms: n.median, single_commits_per_s: single, commits_per_s: grouped, history_ms: historyMs });
    rows.push([`${commits.toLocaleString('en')} commits (built in ${(buildMs / 1000).toFixed(1)} s)`, `${ms(l.median)} / ${ms(l.p95)}`, `${ms(n.median)} / ${ms(n.p95)} (${nativeProcesses} git processes)`, `${(l.median / n.median).toFixed(2)}x`, ms(first), `${ms(historyMs)} (${found.length} found)`, single.toFixed(0), grouped.toFixed(0)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
  console.log('\nratio = Loco median / native median (below 1: Loco is faster). Loco includes the cross-process lock, the');
  console.log('compare of every file in the app\'s scope and the compare-and-swap; native writes the one changed blob and');
  console.log('the 5 trees above it (rev-parse, hash-object, ls-tree + mktree per level, commit-tree, update-ref).');
  console.log(`commits/s in batches: ${BATCHES} group commits of ${BATCH} deploys each (one pack, one ref update per batch); goal (issue 17): >= 100 commits/s, 0 lost.`);
  const largest = runs.at(-1)!;
  const round = (n: number) => Math.round(n * 10) / 10;
  console.log(JSON.stringify({ commits_per_s: round(largest.commits_per_s), single_commits_per_s: round(largest.single_commits_per_s), lost, batch: BATCH, history: largest.history, runs: runs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]))) }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
