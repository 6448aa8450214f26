// Deployment outcomes recorded as git notes under refs/notes/loco: written by the store, read
// back by the store and by the real git CLI, locally and on GitHub (a real git http-backend).

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { createGitopsStore } from '../../api/gitops/index.ts';
import { formatOutcomeNote, mergeOutcomeNote, parseOutcomeNotes } from '../../api/gitops/outcome-notes.ts';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/server.ts';
import { appFiles, deploy, gitCli, tempDir } from './helpers.ts';

const TOKEN = 'ghs_notestoken';
const ORG = 'acme';
let github: GitHubDouble;
let root: string;
const cleanups: (() => void)[] = [];

before(async () => {
  root = tempDir({ after: (fn) => cleanups.push(fn) }, 'notes');
  github = await startGitHubDouble({ root, token: TOKEN, org: ORG });
});

after(async () => {
  await github.close();
  cleanups.forEach((fn) => fn());
});

const succeeded = { deploymentId: 'dpl_A', outcome: 'succeeded', finishedAt: '2026-01-02T03:04:05.000Z' };

test('a note keeps one paragraph per deployment; a later outcome of the same deployment replaces it', () => {
  const first = mergeOutcomeNote(null, { ...succeeded, outcome: 'failed', reason: 'degraded', message: 'pods\ncrash' });
  const both = mergeOutcomeNote(mergeOutcomeNote(first, { deploymentId: 'dpl_B', outcome: 'committed', finishedAt: succeeded.finishedAt }), succeeded);
  assert.deepEqual(parseOutcomeNotes(both).map((n) => `${n.deploymentId}=${n.outcome}`), ['dpl_B=committed', 'dpl_A=succeeded']);
  assert.equal(formatOutcomeNote({ ...succeeded, message: 'a\nb' }).split('\n').at(-1), 'Loco-Message: a b');
});

test('the local store records an outcome that `git notes --ref=loco show` prints and history can read back', async (t) => {
  const store = createGitopsStore({ dataDir: tempDir(t), packing: false });
  await store.ensureRepository('acme-notes');
  const change = deploy('acme-notes', 'api', 'prod', appFiles('prod', 'registry.example.com/api:1'));
  const made = await store.applyChange(change);
  assert.equal(made.status, 'committed');
  const id = change.trailers['Loco-Deployment'];
  await store.recordOutcome('acme-notes', made.commit, { deploymentId: id, outcome: 'succeeded', finishedAt: succeeded.finishedAt, approvedBy: ['bob'], promotion: 'prm_X' });
  const gitdir = store.gitdir('acme-notes');
  const shown = gitCli(gitdir, 'notes', '--ref=loco', 'show', made.commit);
  assert.match(shown, new RegExp(`^Loco-Deployment: ${id}$`, 'm'));
  assert.match(shown, /^Loco-Outcome: succeeded$/m);
  assert.match(shown, /^Loco-Approved-By: bob$/m);
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
  // the branch did not move: notes live beside it
  assert.equal(gitCli(gitdir, 'rev-parse', 'main'), made.commit);
  const outcomes = await store.outcomes('acme-notes');
  assert.deepEqual(outcomes.get(made.commit)?.map((n) => [n.deploymentId, n.outcome, n.approvedBy]), [[id, 'succeeded', ['bob']]]);
});

test('the outcomes of a group commit are one notes commit whose objects arrive as one pack, which git reads', async (t) => {
  const store = createGitopsStore({ dataDir: tempDir(t), packing: false });
  await store.ensureRepository('acme-batch-notes');
  const gitdir = store.gitdir('acme-batch-notes');
  const changes = ['api', 'web', 'worker'].map((app) => deploy('acme-batch-notes', app, 'dev', appFiles('dev', `registry.example.com/${app}:1`)));
  const made = await store.applyChanges(changes);
  const looseBefore = gitCli(gitdir, 'count-objects');
  await store.recordOutcomes('acme-batch-notes', made.map((m, i) => {
    assert.equal(m.status, 'committed');
    return { commit: (m as { commit: string }).commit, note: { ...succeeded, deploymentId: changes[i].trailers['Loco-Deployment'] } };
  }));
  assert.equal(gitCli(gitdir, 'count-objects'), looseBefore, 'no loose object was written for the notes');
  assert.equal(gitCli(gitdir, 'rev-list', '--count', 'refs/notes/loco'), '1', 'one notes commit for the batch');
  for (const [i, m] of made.entries()) {
    assert.match(gitCli(gitdir, 'notes', '--ref=loco', 'show', (m as { commit: string }).commit), new RegExp(`^Loco-Deployment: ${changes[i].trailers['Loco-Deployment']}$`, 'm'));
  }
  assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
});

test('a note the git CLI added is read, and Loco writing after it keeps it', async (t) => {
  const store = createGitopsStore({ dataDir: tempDir(t), packing: false });
  const { head } = await store.ensureRepository('acme-fanout');
  const gitdir = store.gitdir('acme-fanout');
  const env = { GIT_AUTHOR_NAME: 'x', GIT_AUTHOR_EMAIL: 'x@x', GIT_COMMITTER_NAME: 'x', GIT_COMMITTER_EMAIL: 'x@x' };
  Object.assign(process.env, env);
  gitCli(gitdir, 'notes', '--ref=loco', 'add', '-m', 'Loco-Deployment: dpl_CLI\nLoco-Outcome: failed\nLoco-Finished-At: 2026-01-01T00:00:00Z', head);
  const made = await store.applyChange(deploy('acme-fanout', 'web', 'dev', appFiles('dev', 'registry.example.com/web:1')));
  assert.equal(made.status, 'committed');
  await store.recordOutcome('acme-fanout', made.commit, { ...succeeded, deploymentId: 'dpl_LOCO' });
  const outcomes = await store.outcomes('acme-fanout');
  assert.equal(outcomes.get(head)?.[0].deploymentId, 'dpl_CLI');
  assert.equal(outcomes.get(made.commit)?.[0].deploymentId, 'dpl_LOCO');
  assert.match(gitCli(gitdir, 'notes', '--ref=loco', 'show', head), /dpl_CLI/);
});

test('on GitHub the notes are pushed to refs/notes/loco, and a second API process with its own mirror reads them', async () => {
  const a = createGitopsStore({ dataDir: path.join(root, 'gh-a'), github: { token: TOKEN, org: ORG, apiUrl: github.apiUrl } });
  await a.ensureRepository('acme-gh');
  const change = deploy('acme-gh', 'api', 'dev', appFiles('dev', 'registry.example.com/api:2'));
  const made = await a.applyChange(change);
  assert.equal(made.status, 'committed');
  await a.recordOutcome('acme-gh', made.commit, { ...succeeded, deploymentId: 'dpl_GH1' });
  const b = createGitopsStore({ dataDir: path.join(root, 'gh-b'), github: { token: TOKEN, org: ORG, apiUrl: github.apiUrl } });
  // b adds a second outcome on top of a's notes: it must fetch them first, not replace them
  await b.recordOutcome('acme-gh', made.commit, { ...succeeded, deploymentId: 'dpl_GH2', outcome: 'failed', reason: 'superseded' });
  const remote = path.join(github.reposDir, ORG, 'acme-gh.git');
  const shown = gitCli(remote, 'notes', '--ref=loco', 'show', made.commit);
  assert.match(shown, /Loco-Deployment: dpl_GH1\nLoco-Outcome: succeeded/);
  assert.match(shown, /Loco-Deployment: dpl_GH2\nLoco-Outcome: failed\nLoco-Reason: superseded/);
  assert.equal(gitCli(remote, 'fsck', '--strict'), '');
  const seenByA = await a.outcomes('acme-gh');
  assert.deepEqual(seenByA.get(made.commit)?.map((n) => n.deploymentId), ['dpl_GH1', 'dpl_GH2']);
  assert.deepEqual(github.violations, []);
});
