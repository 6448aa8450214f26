// Status latency: from the Argo CD double turning an app Healthy to the tracker's event saying
// so (watch stream → classifyOutcome → onEvent), p50/p99 over N deployments; and Argo CD API
// calls per deployment (should be a small constant: refresh, stream, tree reads).
// Peer: `argocd app wait` reacts to the same watch stream; Argo CD's own poll is 3 minutes.
// Run: npm run bench:status [-- N]

import { createArgoCdClient, trackDeployment } from '../api/argocd/index.ts';
import { startArgoCdDouble } from '../test/doubles/argocd/server.ts';
import { appFiles, createWorkspaceRepo } from '../test/argocd/workspace-repo.ts';

const N = Number(process.argv[2] ?? 30);
const SLUG = 'bench-ws';
const APP = `${SLUG}-api-dev`;

const repo = createWorkspaceRepo(SLUG);
const double = await startArgoCdDouble({ repoPath: repo.repoPath, scenario: { syncMs: 20, healthyAfterMs: 80 } });
const client = createArgoCdClient({ url: double.url, token: double.token });
let healthyAt: number | undefined;
double.onHealthChange((c) => {
  if (c.application === APP && c.health === 'Healthy') healthyAt = c.at;
});

const latencies: number[] = [];
const clientCalls: number[] = [];
const serverCalls: number[] = [];
const totals: number[] = [];
try {
  for (let i = 0; i < N; i++) {
    const commit = repo.commit(appFiles(SLUG, 'api', 'dev', `registry.example.com/api:v${i}`), `deploy ${i}`);
    healthyAt = undefined;
    let seenAt: number | undefined;
    const callsBefore = double.calls.length;
    const start = performance.now();
    const outcome = await trackDeployment(
      client,
      { application: APP, project: SLUG, revision: commit, progressDeadlineSeconds: 60 },
      (e) => {
        if (seenAt === undefined && healthyAt !== undefined && e.data?.healthStatus === 'Healthy') seenAt = performance.now();
      },
      { healthyDebounceMs: 50, treeIntervalMs: 1000 },
    );
    if (outcome.status !== 'succeeded') throw new Error(`deployment ${i} ended ${outcome.reason}: ${outcome.message}`);
    if (healthyAt === undefined || seenAt === undefined) throw new Error(`deployment ${i}: no Healthy change/event seen`);
    latencies.push(seenAt - healthyAt);
    totals.push(performance.now() - start);
    clientCalls.push(Number(outcome.data?.argocdCalls));
    serverCalls.push(double.calls.length - callsBefore);
  }
} finally {
  await double.stop();
  repo.cleanup();
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x: number) => `${x.toFixed(2)} ms`;
console.log(`status latency (double Healthy → tracker event), ${N} deployments:`);
console.log(`  p50 ${ms(pct(latencies, 50))}  p99 ${ms(pct(latencies, 99))}  max ${ms(Math.max(...latencies))}`);
console.log(`  commit → outcome (incl. 20 ms sync, 80 ms rollout, 50 ms debounce): p50 ${ms(pct(totals, 50))}  p99 ${ms(pct(totals, 99))}`);
console.log(`Argo CD API calls per deployment: client min ${Math.min(...clientCalls)} / max ${Math.max(...clientCalls)}; seen by the double min ${Math.min(...serverCalls)} / max ${Math.max(...serverCalls)}`);
console.log('  (1 refresh + 1 watch stream + resource-tree reads while Progressing; never a sync)');
console.log('peer: Argo CD polls git every 180 s without a refresh; `argocd app wait` follows the same stream.');
