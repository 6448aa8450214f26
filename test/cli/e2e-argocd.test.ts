// The real `loco` binary against a real API process that follows the Argo CD double: a deploy
// that becomes healthy exits 0, one whose pods cannot pull their image exits 1 with the cause
// and the next step, and one that never settles hits --timeout and says it could not find out.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { argoApplicationName, workspaceSlug } from '../../generator/names.ts';
import { appDir, loco, startApi, startLoco, tempDir, type RunningApi } from './harness.ts';

let api: RunningApi;
let argocd: ArgoCdDouble;
let env: Record<string, string>;
let repo: string;

before(async () => {
  const dataDir = tempDir('data');
  repo = join(dataDir, 'repos', `${workspaceSlug('default', 'default')}.git`);
  argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`) });
  // Healthy must hold 1 s (5 s by default) and a pod cause fails after 2 s (30 s by default).
  api = await startApi({ LOCO_ARGOCD_URL: argocd.url, LOCO_ARGOCD_TOKEN: argocd.token, LOCO_ARGOCD_HEALTHY_SECONDS: '1', LOCO_ARGOCD_FAILURE_GRACE_SECONDS: '2' }, dataDir);
  env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
});
after(async () => {
  await api?.stop();
  await argocd?.stop();
});

const config = (name: string) => `[Metadata]\nName = "${name}"\n\n[Build]\nImage = "ghcr.io/acme/${name}:1.0.0"\n\n[Profile.dev]\n`;

// Even shortened, the health hold and the cause grace are seconds each, so the deploys run side by side.
describe('deploy outcomes from Argo CD', { concurrency: true }, () => {
  test('a deploy Argo CD reports healthy exits 0 with the succeeded outcome', async () => {
    const result = await loco(['deploy', '--non-interactive', '--timeout', '2m'], { cwd: appDir(config('good')), env });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^Deployment dpl_\w+ \(good@dev/m);
    assert.match(result.stdout, / committed\s+/);
    assert.match(result.stdout, /✓ Deployment dpl_\w+ of good@dev succeeded in \d+s \(commit [0-9a-f]{7}\)\./);
    // the API runs with LOCO_ARGOCD_URL, so the app's Argo CD page can be opened
    const dashboard = await loco(['open', 'good', '--profile', 'dev', '--dashboard', '-o', 'json'], { env });
    assert.equal(dashboard.code, 0, dashboard.stderr);
    assert.equal(JSON.parse(dashboard.stdout).url, `${argocd.url.replace(/\/+$/, '')}/applications/${argoApplicationName(workspaceSlug('default', 'default'), 'good', 'dev')}`);
    assert.deepEqual(argocd.violations, []);
  });

  test('a deploy whose image cannot be pulled exits 1 with the cause and the next step', async () => {
    argocd.setScenario(argoApplicationName(workspaceSlug('default', 'default'), 'broken', 'dev'), { outcome: 'image-pull-backoff' });
    const result = await loco(['deploy', '--non-interactive', '--timeout', '2m', '-o', 'json'], { cwd: appDir(config('broken')), env });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const out = JSON.parse(result.stdout);
    assert.equal(out.outcome, 'failed');
    assert.equal(out.deployment.status, 'failed');
    assert.match(result.stderr, /✗ Deployment dpl_\w+ of broken@dev failed( \(\w[\w-]*\))?: .*ImagePull/);
    assert.match(result.stderr, /^Next: \S.*/m);
    assert.ok(out.events.some((e: { message: string }) => /ImagePull/.test(e.message)), 'the cause was streamed as an event');
  });

  test('a deploy whose container crashes exits 1 and shows the container\'s last log lines', async () => {
    argocd.setScenario(argoApplicationName(workspaceSlug('default', 'default'), 'crashy', 'dev'), { outcome: 'crash-loop' });
    const result = await loco(['deploy', '--non-interactive', '--timeout', '2m'], { cwd: appDir(config('crashy')), env });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /✗ Deployment dpl_\w+ of crashy@dev failed \(degraded\): .*CrashLoopBackOff/);
    assert.match(result.stderr, /^Last log lines of Pod\/crashy-[\w-]+:\n(  .*\n)*  Error: connect ECONNREFUSED 10\.0\.0\.5:5432\n/m);
    assert.match(result.stderr, /^Next: .*loco logs/m);
  });

  test('--timeout before an outcome exits 4 and says it could not find out, not that it failed', async () => {
    argocd.setScenario(argoApplicationName(workspaceSlug('default', 'default'), 'slow', 'dev'), { outcome: 'stuck' });
    const result = await loco(['deploy', '--non-interactive', '--timeout', '3s'], { cwd: appDir(config('slow')), env });
    assert.equal(result.code, 4, result.stdout + result.stderr);
    assert.match(result.stderr, /Could not find out whether dpl_\w+ succeeded: no outcome within 3s\. It has not failed/);
    assert.match(result.stderr, /loco events dpl_\w+/);
    assert.doesNotMatch(result.stderr, /✗/);
  });
});

// Runs after the deploys above (node:test runs top-level tests in order), reading what Argo CD says now.
describe('status and logs come from Argo CD', () => {
  test('loco status shows sync, health, the deployed revision and, for a broken app, the unhealthy resource', async () => {
    const good = await loco(['status', 'good', '--profile', 'dev', '-o', 'json'], { env });
    assert.equal(good.code, 0, good.stderr);
    const s = JSON.parse(good.stdout);
    assert.equal(s.sync, 'Synced');
    assert.equal(s.health, 'Healthy');
    assert.equal(s.deployment.status, 'succeeded');
    // Argo CD syncs a head of main: the last deployment's commit or, when deploys beside it were
    // committed after it (in the same group commit), a later one that holds the same files of good
    const git = (...args: string[]) => execFileSync('git', ['--git-dir', repo, ...args], { encoding: 'utf8' });
    git('merge-base', '--is-ancestor', s.deployment.commit, s.revision); // throws when it is not
    git('merge-base', '--is-ancestor', s.revision, 'main');
    assert.equal(git('diff', '--name-only', s.deployment.commit, s.revision, '--', 'apps/good/'), '', 'Argo CD runs the commit of the last deployment, or a later one with the same release of good');
    assert.ok(s.resources.some((r: { kind: string; name: string }) => r.kind === 'Deployment' && r.name === 'good'));

    const broken = await loco(['status', 'broken', '--profile', 'dev'], { env });
    assert.equal(broken.code, 0, broken.stderr);
    // Argo CD keeps a Deployment Progressing until its progress deadline; the Pod says why.
    assert.match(broken.stdout, /^health\s+(Progressing|Degraded)/m);
    assert.match(broken.stdout, /^deployment\s+dpl_\w+ failed/m);
    assert.match(broken.stdout, /^next\s+The cluster cannot pull image/m, 'the failed deployment says what to do next');
    assert.match(broken.stdout, /^not healthy\n(.*\n)*  Pod\/broken-[\w-]+ +\w+ +ImagePullBackOff/m, 'the pod and its reason are listed');
    assert.deepEqual(argocd.violations, []);
  });

  test('loco logs prints the pods\' lines through the API, -f streams new ones; an app without a deployment is a clear error', async () => {
    const result = await loco(['logs', 'good', '--profile', 'dev', '--tail', '2'], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /good-[\w-]+ .*listening on :8080/);
    assert.doesNotMatch(result.stdout, /starting/, '--tail 2 keeps the last two lines per pod');

    const followed = startLoco(['logs', 'good', '--profile', 'dev', '-f', '--tail', '1'], { env });
    await followed.waitFor(/\(tick 3\)/, 'stdout');
    followed.interrupt();
    const out = (await followed.result).stdout;
    const lines = out.split('\n').filter(Boolean);
    assert.match(lines[0], /good-[\w-]+ .*GET \/healthz 200/, '--tail 1 first: the last recent line');
    assert.ok(lines.some((l) => /\(tick 1\)/.test(l)) && lines.some((l) => /\(tick 2\)/.test(l)), 'then new lines as the pod writes them');
    assert.equal(new Set(lines).size, lines.length, 'no line twice');

    const missing = await loco(['logs', 'nope', '--profile', 'dev'], { env });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /nope/);
  });
});
