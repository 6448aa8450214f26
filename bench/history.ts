// History of one app at 10,000 commits: Loco's history read (the history index, topped up from
// git; what GET …/history calls) beside the git CLI answering the same query
// (`git log --first-parent --grep='^Loco-App: <app>$' -n 20` with the fields an entry carries),
// in the same run, on the embedded database and on PostgreSQL. Also printed: the first read
// (which indexes all 10,000 commits), the old walk through git, and the whole HTTP route.
//
//   npm run bench:history     (BENCH_ROUNDS=…, BENCH_COMMITS=…, BENCH_DATABASES=pglite,postgresql)

import { execFileSync, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { workspaceSlug } from '../generator/names.ts';
import { indexedHistory } from '../api/history/history-index.ts';
import { createGitopsStore } from '../api/gitops/index.ts';
import { call, startTestApi, type DatabaseKind } from '../test/api/helpers.ts';

const COMMITS = Number(process.env.BENCH_COMMITS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const DATABASES = (process.env.BENCH_DATABASES ?? 'pglite,postgresql').split(',') as DatabaseKind[];
const APPS = 50;
const APP = 'app-7';
const LIMIT = 20;
const SLUG = workspaceSlug('default', 'default');
const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1' };

/** 10,000 Loco-style commits on top of main (each one app's dev or prod release), written by git fast-import. */
async function appendCommits(gitdir: string, commits: number): Promise<void> {
  const child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: gitdir, env: gitEnv, stdio: ['pipe', 'inherit', 'inherit'] });
  const done = new Promise<void>((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)))));
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const start = Math.floor(Date.now() / 1000) - commits;
  let chunk = '';
  for (let c = 0; c < commits; c++) {
    const app = `app-${c % APPS}`;
    const profile = c % 3 === 0 ? 'prod' : 'dev';
    const actor = c % 5 === 0 ? 'alice (github:1)' : 'bob';
    const id = `dpl_${String(c).padStart(26, '0')}`;
    const message = `deploy(${app}@${profile}): registry.example.com/${app}:${c}\n\nLoco-Deployment: ${id}\nLoco-Actor: ${actor}\nLoco-App: ${app}\nLoco-Profile: ${profile}\nLoco-Change: deploy\nLoco-Image: registry.example.com/${app}:${c}\n`;
    chunk += `commit refs/heads/main\nauthor ${actor.split(' ')[0]} <${actor.split(' ')[0]}@example.com> ${start + c} +0000\ncommitter Loco <loco@example.com> ${start + c} +0000\n${data(message)}`;
    if (c === 0) chunk += 'from refs/heads/main^0\n';
    chunk += `M 100644 inline apps/${app}/overlays/${profile}/release.yaml\n${data(`image: registry.example.com/${app}:${c}\n`)}\n`;
    if (chunk.length > 1 << 20) {
      if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
      chunk = '';
    }
  }
  child.stdin.end(chunk + 'done\n');
  await done;
}

/** The git CLI's answer to the same query: commit, parents, time, author and the message (for the trailers). */
function gitLog(gitdir: string): string[] {
  const out = execFileSync('git', ['--git-dir', gitdir, 'log', '--first-parent', `--grep=^Loco-App: ${APP}$`, '-n', String(LIMIT), '--format=%H%x00%P%x00%ct%x00%an%x00%ae%x00%B%x1e', 'main'], { env: gitEnv, encoding: 'utf8' });
  return out.split('\x1e').map((r) => r.trim().split('\0')[0]).filter(Boolean);
}

async function timed<T>(fn: () => Promise<T> | T, rounds: number): Promise<{ median: number; value: T }> {
  const samples: number[] = [];
  let value!: T;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    value = await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], value };
}

const ms = (n: number) => `${n.toFixed(2)} ms`;
const runs: Record<string, unknown>[] = [];
console.log(`history of one app (${APP}, limit ${LIMIT}) at ${COMMITS.toLocaleString('en')} commits over ${APPS} apps, median of ${ROUNDS}; node ${process.version}`);
for (const kind of DATABASES) {
  let api;
  try {
    api = await startTestApi(kind);
  } catch (error) {
    console.log(`\n${kind}: skipped (${(error as Error).message})`);
    continue;
  }
  try {
    const { store } = api.app.loco;
    await store.ensureRepository(SLUG);
    const gitdir = store.gitdir(SLUG);
    const t0 = performance.now();
    await appendCommits(gitdir, COMMITS);
    const buildMs = performance.now() - t0;
    const workspaceId = (await api.app.loco.em().execute<{ id: string }[]>(`select id from workspaces where slug = ?`, [SLUG]))[0].id;
    const read = () => indexedHistory(api.app.loco.em(), store, workspaceId, SLUG, { app: APP, limit: LIMIT });

    const first = await timed(read, 1);
    // the old path, as a fresh API process meets it: a store of its own, no commit parsed yet
    const walk = await timed(() => createGitopsStore({ dataDir: api.dataDir }).history(SLUG, { app: APP, limit: LIMIT }), 1);
    gitLog(gitdir); // warm the page cache and git's pack index the same way the index query is warm
    const history = await timed(read, ROUNDS);
    const log = await timed(() => gitLog(gitdir), ROUNDS);
    const route = await timed(async () => (await call(api.app, api.adminToken, 'GET', `/orgs/default/workspaces/default/history?app=${APP}&limit=${LIMIT}`)).json(), ROUNDS);
    const same = JSON.stringify(history.value.map((e) => e.commit)) === JSON.stringify(log.value) && JSON.stringify(walk.value.map((e) => e.commit)) === JSON.stringify(log.value);
    if (!same || log.value.length !== LIMIT) throw new Error(`answers differ: index ${history.value.length}, git log ${log.value.length} entries`);
    const ratio = history.median / log.median;
    console.log(`\n${kind} (repository built in ${(buildMs / 1000).toFixed(1)} s)`);
    console.log(`  history (index)       ${ms(history.median)}   ← indexedHistory, what GET history calls`);
    console.log(`  git log --first-parent --grep -n ${LIMIT}   ${ms(log.median)}   (peer: git CLI, process start included)`);
    console.log(`  ratio                 ${ratio.toFixed(2)}x   (goal ≤ 1.5x)`);
    console.log(`  first read            ${ms(first.median)}   (indexes all ${COMMITS.toLocaleString('en')} commits once)`);
    console.log(`  walk through git      ${ms(walk.median)}   (store.history, cold: the path GET history took before)`);
    console.log(`  GET …/history route   ${ms(route.median)}   (inject: auth, index, outcome notes, deployment join)`);
    runs.push({ database: kind, history_ms: +history.median.toFixed(2), git_log_ms: +log.median.toFixed(2), ratio: +ratio.toFixed(2),
      first_read_ms: +first.median.toFixed(1), walk_ms: +walk.median.toFixed(1), route_ms: +route.median.toFixed(2) });
  } finally {
    await api.close();
  }
}
if (runs.length === 0) throw new Error('no database to run on');
// the embedded default's figures first (the issue's shape), every database's in `runs`
const main = runs[0];
console.log(JSON.stringify({ history_ms: main.history_ms, git_log_ms: main.git_log_ms, ratio: main.ratio, commits: COMMITS, runs }));
