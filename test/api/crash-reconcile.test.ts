// A crash must not split git from the database: an API process killed (SIGKILL) between its
// commit and the database update leaves a commit on main whose deployment is still pending.
// The next start reconciles main's Loco commits with the records by their Loco-Deployment
// trailer before tracking anything, so `audit verify` is clean and the deployment tells the
// truth; a record naming a commit main no longer holds is marked failed.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../api/db/orm.ts';
import { ownerIsDead, planReconcile, type UnfinishedRecord } from '../../api/deployments/reconcile.ts';
import type { HistoryEntry } from '../../api/gitops/index.ts';
import { call, config, createTestDatabase, startTestApi, waitForEvent, within } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../api/main.ts', import.meta.url));
const WS = '/orgs/default/workspaces/default';

const git = (gitdir: string, ...args: string[]) => execFileSync('git', ['--git-dir', gitdir, ...args], { encoding: 'utf8' }).trim();

/** Starts the real API (`api/main.ts`) paused at the test-only crash point after each commit; resolves its URL. */
async function startCrashingApi(dataDir: string, databaseUrl = '') {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, LOCO_DATA_DIR: dataDir, LOCO_PORT: '0', DATABASE_URL: databaseUrl, LOCO_ARGOCD_URL: '', LOCO_TEST_CRASH_POINT: 'after-commit', LOCO_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (match: (line: Record<string, unknown>) => boolean) => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error('the API exited');
      const line = JSON.parse(value) as Record<string, unknown>;
      if (match(line)) return line;
    }
  };
  const url = String((await next((l) => typeof l.url === 'string' && String(l.msg).startsWith('Loco API listening'))).url);
  return { child, exited, url, next };
}

/**
 * Deploys app `api` through a real API process paused at the crash point, then kills it with
 * SIGKILL there: main has the commit, the database still says pending.
 */
async function deployAndKillAfterCommit(dataDir: string, databaseUrl = ''): Promise<{ token: string; id: string; commit: string }> {
  const first = await within(120_000, 'the first API starts', startCrashingApi(dataDir, databaseUrl));
  const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
  const res = await fetch(`${first.url}/api/v1${WS}/apps/api/deployments`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ config: config('api'), profile: 'dev', image: 'registry.example.com/acme/api:1' }),
  });
  assert.equal(res.status, 202, await res.clone().text());
  const id = ((await res.json()) as { id: string }).id;
  const paused = await within(60_000, 'the commit is made', first.next((l) => l.deploymentId === id && String(l.msg).startsWith('crash point reached')));
  first.child.kill('SIGKILL');
  const [, signal] = await first.exited;
  assert.equal(signal, 'SIGKILL');
  return { token, id, commit: String(paused.commit) };
}

describe('crash between a commit and its record', () => {
  test('an API killed with SIGKILL after committing leaves a deployment the next start records as committed, audit clean', { timeout: 240_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'loco-crash-commit-'));
    try {
      const { token, id, commit } = await deployAndKillAfterCommit(dataDir);

      const gitdir = join(dataDir, 'repos', 'default--default.git');
      const head = git(gitdir, 'rev-parse', 'main');
      assert.equal(head, commit, 'the killed process had moved main');
      assert.equal(git(gitdir, 'log', '-1', '--format=%(trailers:key=Loco-Deployment,valueonly)', 'main'), id);

      // a restarted pod on the same volume has another host name: the embedded database's lock
      // still proves no other process holds the lease
      const db = await openDatabase({ dataDir });
      await db.orm.em.fork().execute(`update deployments set lease_owner = 'old-pod:7:abcdef', lease_expires_at = now() + interval '1 hour' where id = ?`, [id]);
      await db.close();
      const second = await startTestApi('pglite', {}, { dataDir, database: await createTestDatabase('pglite') });
      try {
        // at once, before any lease of the dead process ran out
        const verify = (await call(second.app, token, 'GET', `${WS}/audit/verify`)).json();
        assert.deepEqual(verify.findings, []);
        assert.equal(verify.ok, true);
        const d = (await call(second.app, token, 'GET', `/deployments/${id}`)).json();
        assert.equal(d.status, 'committed');
        assert.equal(d.commit, head);
        assert.ok(d.finishedAt, 'without Argo CD a committed deployment is finished');
        const events = (await call(second.app, token, 'GET', `/deployments/${id}/events`)).json() as { type: string; data?: { commit?: string } }[];
        assert.equal(events.filter((e) => e.type === 'committed').length, 1);
        // committed once: main has exactly one commit naming the deployment
        assert.equal(git(gitdir, 'log', '--format=%(trailers:key=Loco-Deployment,valueonly)', 'main').split('\n').filter((l) => l === id).length, 1);
        assert.equal(git(gitdir, 'rev-parse', 'main'), head);
        assert.equal(git(gitdir, 'fsck', '--strict'), '');
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('a runner taking over a killed carrier\'s deployment after its lease runs out records the commit it made, even after a later commit', { timeout: 240_000 }, async () => {
    // PostgreSQL: replicas on several hosts may share it (the embedded database has one process only)
    const dataDir = await mkdtemp(join(tmpdir(), 'loco-crash-takeover-'));
    const database = await createTestDatabase('postgresql');
    try {
      const { token, id, commit } = await deployAndKillAfterCommit(dataDir, database.url);
      // As if the carrier were a replica on another host: its lease still looks held at the next start.
      const db = await openDatabase({ dataDir, databaseUrl: database.url! });
      await db.orm.em.fork().execute(`update deployments set lease_owner = 'other-host:4242:abcdef', lease_expires_at = now() + interval '1 hour' where id = ?`, [id]);
      await db.close();

      const second = await startTestApi('postgresql', {}, { dataDir, database });
      try {
        // another app's deploy lands on main first, so main's head is no longer the lost commit
        const web = (await call(second.app, token, 'POST', `${WS}/apps/web/deployments`, { config: config('web'), profile: 'dev', image: 'registry.example.com/acme/web:1' })).json().id;
        await within(30_000, 'web is committed', waitForEvent(second.app, token, web, (e) => e.type === 'committed'));
        assert.equal((await call(second.app, token, 'GET', `/deployments/${id}`)).json().status, 'pending', 'a lease held elsewhere is left alone');
        // the other replica's lease runs out: this API takes the deployment over
        await second.app.loco.em().execute(`update deployments set lease_expires_at = now() - interval '1 second' where id = ?`, [id]);
        await within(30_000, 'the deployment is taken over', waitForEvent(second.app, token, id, (e) => e.type === 'committed'));
        const d = (await call(second.app, token, 'GET', `/deployments/${id}`)).json();
        assert.equal(d.commit, commit, 'the commit the killed carrier made, not main\'s head');
        assert.match(d.message, /earlier carrier made it/);
        const gitdir = join(dataDir, 'repos', 'default--default.git');
        assert.equal(git(gitdir, 'log', '--format=%(trailers:key=Loco-Deployment,valueonly)', 'main').split('\n').filter((l) => l === id).length, 1, 'never committed twice');
        assert.deepEqual((await call(second.app, token, 'GET', `${WS}/audit/verify`)).json().findings, []);
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('a lease is taken as abandoned at start-up when its process is gone from this host, never when it runs elsewhere or here', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await once(dead, 'exit');
    assert.equal(ownerIsDead(`${hostname()}:${dead.pid}:abcdef`), true);
    assert.equal(ownerIsDead(`${hostname()}:${process.pid}:abcdef`), false);
    assert.equal(ownerIsDead(`other-host:${dead.pid}:abcdef`), false);
    assert.equal(ownerIsDead('not-an-instance-id'), false);
  });

  test('a deployment whose commit main no longer holds (main was reset) is marked failed at the next start, audit clean', { timeout: 240_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'loco-crash-missing-'));
    const database = await createTestDatabase('pglite');
    try {
      const first = await startTestApi('pglite', { runner: { holdAfterCommit: true, leaseSeconds: 30, scanIntervalMs: 100 } }, { dataDir, database });
      const token = first.adminToken;
      const id = (await call(first.app, token, 'POST', `${WS}/apps/web/deployments`, { config: config('web'), profile: 'dev', image: 'w:1' })).json().id;
      await within(30_000, 'the first API commits', waitForEvent(first.app, token, id, (e) => e.type === 'committed'));
      const commit = (await call(first.app, token, 'GET', `/deployments/${id}`)).json().commit as string;
      await first.close();
      // main is put back to before the commit (a force-push, a restored backup)
      const gitdir = join(dataDir, 'repos', 'default--default.git');
      git(gitdir, 'update-ref', 'refs/heads/main', `${commit}~1`);

      const second = await startTestApi('pglite', {}, { dataDir, database });
      try {
        const d = (await call(second.app, token, 'GET', `/deployments/${id}`)).json();
        assert.equal(d.status, 'failed');
        assert.equal(d.reason, 'commit-missing');
        assert.match(d.message, new RegExp(`commit ${commit.slice(0, 7)} is not on main`));
        assert.equal(d.commit, undefined, 'the record no longer claims the commit');
        assert.deepEqual((await call(second.app, token, 'GET', `${WS}/audit/verify`)).json().findings, []);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('a recovered commit that a later commit of the same app/profile replaced is recorded, then superseded', () => {
    const entry = (commit: string, id: string, app: string, profile: string): HistoryEntry => ({
      commit, parents: [], subject: `deploy(${app}@${profile})`, author: { name: 'a', email: 'a@x' }, time: '2026-01-01T00:00:00Z',
      trailers: { 'Loco-Deployment': id, 'Loco-App': app, 'Loco-Profile': profile, 'Loco-Change': 'deploy' },
    });
    const history = [entry('c3', 'dpl_C', 'api', 'dev'), entry('c2', 'dpl_B', 'web', 'dev'), entry('c1', 'dpl_A', 'api', 'dev')];
    const rec = (id: string, app: string, orphaned = true): UnfinishedRecord => ({ id, app, profile: 'dev', status: 'pending', commit: null, orphaned });
    assert.deepEqual(planReconcile(history, [rec('dpl_A', 'api'), rec('dpl_B', 'web'), rec('dpl_X', 'api'), rec('dpl_C', 'api', false)], () => true), [
      { kind: 'committed', id: 'dpl_A', commit: 'c1' },
      { kind: 'superseded', id: 'dpl_A', commit: 'c1', by: 'dpl_C', byCommit: 'c3' },
      { kind: 'committed', id: 'dpl_B', commit: 'c2' },
    ]);
  });
});
