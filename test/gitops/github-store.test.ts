// The GitOps store in GitHub mode, against a double of GitHub's REST API (checked against
// GitHub's OpenAPI description) and a real `git http-backend` for pushes and fetches.

import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { createGitopsStore, type GitopsStore } from '../../api/gitops/index.ts';
import { isLocoError } from '../../generator/errors.ts';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/server.ts';
import { alice, appFiles, deploy, gitCli, tempDir } from './helpers.ts';

const TOKEN = 'ghs_testtoken123';
const ORG = 'acme';
let github: GitHubDouble;
let root: string;

const cleanups: (() => void)[] = [];

before(async () => {
  root = tempDir({ after: (fn) => cleanups.push(fn) }, 'github');
  github = await startGitHubDouble({ root, token: TOKEN, org: ORG });
});

after(async () => {
  await github.close();
  cleanups.forEach((fn) => fn());
});

function newStore(name: string, token = TOKEN): GitopsStore {
  return createGitopsStore({ dataDir: path.join(root, name), github: { token, org: ORG, apiUrl: github.apiUrl } });
}

const onGitHub = (slug: string) => path.join(github.reposDir, ORG, `${slug}.git`);

test('ensureRepository creates the GitHub repository, pushes the skeleton and protects main', async () => {
  const store = newStore('api-1');
  assert.equal(store.host, 'github');
  const { created, head } = await store.ensureRepository('acme-one');
  assert.equal(created, true);
  const remote = onGitHub('acme-one');
  assert.equal(gitCli(remote, 'rev-parse', 'main'), head);
  assert.equal(gitCli(remote, 'fsck', '--strict'), '');
  assert.ok(gitCli(remote, 'ls-tree', '-r', '--name-only', 'main').split('\n').includes('.loco/format-version'));
  assert.match(gitCli(remote, 'show', 'main:CODEOWNERS'), /^apps\/\*\/overlays\/prod\/ @acme\/acme-one-owners$/m);
  const protection = github.protections.get('acme/acme-one:main') as Record<string, any>;
  assert.equal(protection.allow_force_pushes, false);
  assert.equal(protection.required_pull_request_reviews.require_code_owner_reviews, true);
  const calls = github.calls.map((c) => `${c.operationId} ${c.status}`);
  assert.deepEqual(calls.slice(0, 2), ['repos/get 404', 'repos/create-in-org 201']);
  assert.equal(calls.at(-1), 'repos/update-branch-protection 200');
  assert.ok(github.gitRequests.some((r) => r.path.endsWith('/git-receive-pack') && r.user === 'x-access-token'));
  // A second API process (its own mirror) finds the repository and does not recreate it.
  assert.deepEqual(await newStore('api-2').ensureRepository('acme-one'), { created: false, head, formatVersion: 1 });
  assert.deepEqual(github.violations, []);
});

test('changes from two API processes with separate mirrors all land on GitHub without force', async () => {
  const a = newStore('proc-a');
  const b = newStore('proc-b');
  await a.ensureRepository('acme-two');
  const results = await Promise.all([
    a.applyChange(deploy('acme-two', 'api', 'dev', appFiles('dev', 'api:1'))),
    b.applyChange(deploy('acme-two', 'web', 'dev', appFiles('dev', 'web:1'))),
    a.applyChange(deploy('acme-two', 'worker', 'dev', appFiles('dev', 'worker:1'))),
    b.applyChange(deploy('acme-two', 'cron', 'dev', appFiles('dev', 'cron:1'))),
  ]);
  assert.ok(results.every((r) => r.status === 'committed'));
  const remote = onGitHub('acme-two');
  assert.equal(gitCli(remote, 'rev-list', '--count', 'main'), '5');
  assert.equal(gitCli(remote, 'rev-list', '--min-parents=2', 'main'), '');
  // A push that lost the race leaves its objects dangling on the server, as with git itself.
  assert.equal(gitCli(remote, 'fsck', '--strict', '--no-dangling'), '');
  assert.deepEqual(gitCli(remote, 'ls-tree', '--name-only', 'main', 'apps/').split('\n').sort(), ['apps/api', 'apps/cron', 'apps/web', 'apps/worker']);
  const trailers = gitCli(remote, 'log', '--format=%(trailers:key=Loco-App,valueonly)', 'main').split('\n').filter(Boolean).sort();
  assert.deepEqual(trailers, ['api', 'cron', 'web', 'worker']);
  // Reads through either process see the same history, fetched from GitHub.
  assert.deepEqual((await b.history('acme-two', { app: 'api' })).map((e) => e.commit), [results[0].commit]);
  assert.equal(await a.head('acme-two'), gitCli(remote, 'rev-parse', 'main'));
  assert.deepEqual(github.violations, []);
});

test('a stale base on GitHub is a conflict when another process changed the same files', async () => {
  const a = newStore('conf-a');
  const b = newStore('conf-b');
  await a.ensureRepository('acme-three');
  const v1 = await a.applyChange(deploy('acme-three', 'api', 'dev', appFiles('dev', 'api:1')));
  await b.applyChange(deploy('acme-three', 'api', 'dev', appFiles('dev', 'api:2')));
  await assert.rejects(a.applyChange(deploy('acme-three', 'api', 'dev', appFiles('dev', 'api:3'), { baseCommit: v1.commit })), (e) => isLocoError(e) && e.code === 'conflict.commit');
  const same = await a.applyChange(deploy('acme-three', 'api', 'dev', appFiles('dev', 'api:2')));
  assert.equal(same.status, 'unchanged');
});

test('promotion: a branch commit, a real pull request and its merge through GitHub', async () => {
  const store = newStore('promote');
  await store.ensureRepository('acme-four');
  await store.applyChange(deploy('acme-four', 'api', 'dev', appFiles('dev', 'api:1')));
  const branch = 'loco/promote/api/dev-to-prod/1';
  const change = deploy('acme-four', 'api', 'prod', appFiles('prod', 'api:1'), { branch });
  change.trailers['Loco-Change'] = 'promote';
  const onBranch = await store.createBranchCommit({ ...change, branch });
  assert.equal(onBranch.status, 'committed');
  // main moves meanwhile (a dev deploy), so GitHub has to make a merge commit.
  await store.applyChange(deploy('acme-four', 'web', 'dev', appFiles('dev', 'web:1')));
  const pr = await store.openPullRequest({ slug: 'acme-four', branch, title: 'promote(api): dev → prod', body: 'diff here' });
  assert.equal(pr.number, 1);
  assert.match(pr.url!, /\/acme\/acme-four\/pull\/1$/);
  const merged = await store.mergeBranch({ slug: 'acme-four', branch, pullRequest: pr.number, subject: 'promote(api@prod): api:1', trailers: change.trailers, author: alice });
  assert.equal(merged.status, 'merged');
  const remote = onGitHub('acme-four');
  assert.equal(gitCli(remote, 'rev-parse', 'main'), merged.commit);
  assert.equal(gitCli(remote, 'log', '-1', '--format=%(trailers:key=Loco-Change,valueonly)', 'main'), 'promote');
  assert.equal(await store.head('acme-four'), merged.commit);
  const [latest] = await store.history('acme-four', { app: 'api', profile: 'prod' });
  assert.equal(latest.commit, merged.commit);
  assert.match((await store.readFiles('acme-four', merged.commit, 'apps/api/overlays/prod/')).get('apps/api/overlays/prod/kustomization.yaml')!, /api:1/);
  await store.deleteBranch('acme-four', branch);
  assert.equal(gitCli(remote, 'branch', '--list', 'loco/*'), '');
  assert.deepEqual(github.violations, []);
});

test('a push GitHub refuses (a protected-branch hook) is an error naming the fix, not a retry', async () => {
  const store = newStore('hooked');
  await store.ensureRepository('acme-hooked');
  const hook = path.join(onGitHub('acme-hooked'), 'hooks', 'pre-receive');
  writeFileSync(hook, '#!/bin/sh\necho "GH006: Protected branch update failed" >&2\nexit 1\n', { mode: 0o755 });
  const before = gitCli(onGitHub('acme-hooked'), 'rev-parse', 'main');
  await assert.rejects(store.applyChange(deploy('acme-hooked', 'api', 'dev', appFiles('dev', 'api:1'))), (e) => isLocoError(e) && e.code === 'upstream.github-rejected' && /branch protection/.test(e.hint));
  assert.equal(gitCli(onGitHub('acme-hooked'), 'rev-parse', 'main'), before);
  rmSync(hook);
  assert.equal((await store.applyChange(deploy('acme-hooked', 'api', 'dev', appFiles('dev', 'api:1')))).status, 'committed');
});

test('a workspace whose GitHub repository does not exist yet has no head', async () => {
  assert.equal(await newStore('missing').head('acme-missing'), null);
  assert.deepEqual(github.violations, []);
});

test('a bad token is an upstream auth error that names the fix', async () => {
  await assert.rejects(newStore('badtoken', 'wrong').ensureRepository('acme-five'), (e) => isLocoError(e) && e.code === 'upstream.github-auth' && /LOCO_GITHUB_TOKEN/.test(e.hint));
});

test('a group commit reaches GitHub as one push of the whole chain', async () => {
  const store = newStore('batch');
  await store.ensureRepository('acme-batch');
  const pushesBefore = github.gitRequests.filter((r) => r.path.endsWith('/git-receive-pack')).length;
  const changes = ['api', 'web', 'jobs'].map((app) => deploy('acme-batch', app, 'dev', appFiles('dev', `${app}:1`)));
  const results = await store.applyChanges(changes);
  assert.deepEqual(results.map((r) => r.status), ['committed', 'committed', 'committed']);
  const remote = onGitHub('acme-batch');
  const last = results[2];
  assert.equal(gitCli(remote, 'rev-parse', 'main'), last.status === 'committed' ? last.commit : 'no commit');
  assert.equal(github.gitRequests.filter((r) => r.path.endsWith('/git-receive-pack')).length, pushesBefore + 1);
  assert.deepEqual(gitCli(remote, 'log', '-3', '--reverse', '--format=%(trailers:key=Loco-Deployment,valueonly,separator=)', 'main').split('\n'), changes.map((c) => c.trailers['Loco-Deployment']));
  assert.equal(gitCli(remote, 'fsck', '--strict'), '');
  assert.deepEqual(github.violations, []);
});
