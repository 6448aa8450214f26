// GET history answered from the history index: the same entries as a walk through git for each
// filter, commits made by hand (outside Loco) included, main rewritten followed, and `audit
// verify` reporting an index row that differs from git. On the embedded PGlite and PostgreSQL.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceSlug } from '../../generator/names.ts';
import { indexedHistory } from '../../api/history/history-index.ts';
import type { HistoryQuery } from '../../api/gitops/index.ts';
import { call, DATABASE_KINDS, startTestApi, type TestApi } from './helpers.ts';

const ws = '/orgs/default/workspaces/default';
const SLUG = workspaceSlug('default', 'default');
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'mallory', GIT_AUTHOR_EMAIL: 'mallory@example.com', GIT_COMMITTER_NAME: 'mallory', GIT_COMMITTER_EMAIL: 'mallory@example.com' };
const git = (args: string[], cwd?: string) => execFileSync('git', args, { encoding: 'utf8', env: gitEnv, ...(cwd ? { cwd } : {}) }).trim();

for (const kind of DATABASE_KINDS) {
  describe(`history index (${kind})`, () => {
    let api: TestApi;
    let workspaceId: string;
    const cleanups: (() => Promise<void>)[] = [];
    const store = () => api.app.loco.store;
    const gitdir = () => store().gitdir(SLUG);
    const fromIndex = (query: HistoryQuery) => indexedHistory(api.app.loco.em(), store(), workspaceId, SLUG, query);

    async function commit(app: string, profile: string, actor: string, n: number) {
      const result = await store().applyChange({
        slug: SLUG, scope: [`apps/${app}/overlays/${profile}/`],
        files: new Map([[`apps/${app}/overlays/${profile}/release.yaml`, `image: ${app}:${n}\n`]]),
        subject: `deploy(${app}@${profile}): ${app}:${n}`,
        trailers: { 'Loco-App': app, 'Loco-Profile': profile, 'Loco-Actor': actor, 'Loco-Change': 'deploy' },
        author: { name: actor, email: `${actor}@example.com` },
      });
      assert.equal(result.status, 'committed');
    }

    async function handCommit(text: string): Promise<string> {
      const clone = await mkdtemp(join(tmpdir(), 'loco-hand-'));
      cleanups.push(() => rm(clone, { recursive: true, force: true }));
      git(['clone', '-q', gitdir(), clone]);
      await writeFile(join(clone, 'README.hand.md'), text);
      git(['add', '-A'], clone);
      git(['commit', '-q', '-m', `hand edit: ${text}`], clone);
      git(['push', '-q', 'origin', 'HEAD:main'], clone);
      return git(['rev-parse', 'HEAD'], clone);
    }

    before(async () => {
      api = await startTestApi(kind);
      workspaceId = (await api.app.loco.em().execute<{ id: string }[]>(`select id from workspaces where slug = ?`, [SLUG]))[0].id;
      await store().ensureRepository(SLUG);
    });

    after(async () => {
      await api?.close();
      for (const fn of cleanups) await fn();
    });

    test('history from the index is what a walk through git finds, for each filter', async () => {
      for (let n = 0; n < 12; n++) await commit(n % 3 === 0 ? 'web' : 'api', n % 2 ? 'prod' : 'dev', n % 4 === 0 ? 'alice (github:1)' : 'bob', n);
      await handCommit('one');
      const removal = await store().applyChange({
        slug: SLUG, scope: ['apps/web/'], files: new Map(), subject: 'delete(web)',
        trailers: { 'Loco-App': 'web', 'Loco-Profile': '*', 'Loco-Actor': 'bob', 'Loco-Change': 'delete' }, author: { name: 'bob', email: 'bob@example.com' },
      });
      assert.equal(removal.status, 'committed');
      const times = (await store().history(SLUG, {})).map((e) => e.time);
      const queries: HistoryQuery[] = [
        {}, { app: 'api' }, { app: 'web', profile: 'dev' }, { profile: 'prod', limit: 2 }, { actor: 'alice' }, { actor: 'bob', app: 'web' },
        { limit: 3 }, { since: times.at(-3), until: times[2] }, { app: 'nothing' },
      ];
      for (const query of queries) assert.deepEqual(await fromIndex(query), await store().history(SLUG, query), JSON.stringify(query));
    });

    test('a commit made by hand after the index was filled is in the next history answer', async () => {
      const before = (await call(api.app, api.adminToken, 'GET', `${ws}/history?limit=1`)).json();
      const sha = await handCommit('two');
      const res = await call(api.app, api.adminToken, 'GET', `${ws}/history?limit=2`);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().map((e: { commit: string }) => e.commit), [sha, before[0].commit]);
      assert.equal(res.json()[0].subject, 'hand edit: two');
    });

    test('main rewritten to another line: history follows git', async () => {
      const all = await store().history(SLUG, {});
      await fromIndex({});
      // main moved back three commits, then a new commit on top: the indexed head is no longer on main
      git(['--git-dir', gitdir(), 'update-ref', 'refs/heads/main', all[3].commit]);
      const sha = await handCommit('three');
      const now = await store().history(SLUG, {});
      assert.equal(now[0].commit, sha);
      assert.deepEqual(await fromIndex({}), now);
      assert.deepEqual(await fromIndex({ app: 'api', limit: 5 }), await store().history(SLUG, { app: 'api', limit: 5 }));
    });

    test('audit verify reports an index row that differs from git', async () => {
      const entries = await fromIndex({ app: 'api', limit: 1 });
      const verify = async () => (await call(api.app, api.adminToken, 'GET', `${ws}/audit/verify`)).json() as { findings: { code: string; commit?: string; message: string }[] };
      assert.deepEqual((await verify()).findings.filter((f) => f.code === 'history-index.mismatch'), []);
      await api.app.loco.em().execute(
        `update history_index set trailers = jsonb_set(trailers, '{Loco-Actor}', '"eve"'), actor = 'eve' where workspace_id = ? and commit = ?`,
        [workspaceId, entries[0].commit]);
      const mismatches = (await verify()).findings.filter((f) => f.code === 'history-index.mismatch');
      assert.deepEqual(mismatches.map((f) => f.commit), [entries[0].commit]);
      assert.match(mismatches[0].message, /disagrees with git.*trailers/);
    });
  });
}
