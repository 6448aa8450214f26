// Event streams that start together share their first read (api/deployments/load.ts,
// loadDeploymentFollowing): each stream still gets its own deployment's events from its own
// Last-Event-ID on, and a deployment the caller may not see, or that does not exist, is 404 for
// that stream alone. On PGlite and PostgreSQL.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, call, config, DATABASE_KINDS, followEvents, startTestApi, userWithToken, type TestApi } from './helpers.ts';
import { followerReadStats } from '../../api/deployments/load.ts';

for (const kind of DATABASE_KINDS) {
  describe(`event streams started together (${kind})`, () => {
    let api: TestApi;
    let stranger: string;
    const ids: string[] = [];
    /** Each deployment's whole stream, followed alone. */
    const alone = new Map<string, { seq: number; type: string }[]>();

    before(async () => {
      api = await startTestApi(kind);
      stranger = await userWithToken(api.app, 'stranger');
      for (const name of ['one', 'two', 'three', 'four']) {
        const res = await call(api.app, api.adminToken, 'POST', `/orgs/default/workspaces/default/apps/${name}/deployments`, { config: config(name), profile: 'dev', image: `registry.example.com/acme/${name}:1` });
        assert.equal(res.statusCode, 202, res.body);
        ids.push(res.json().id);
      }
      // followed to their ends one by one: each has finished, and its whole stream is known
      for (const id of ids) alone.set(id, (await followEvents(api.app, api.adminToken, id)).map((e) => ({ seq: e.seq, type: e.type })));
    });
    after(async () => api?.close());

    const open = (token: string, id: string, lastEventId?: number) => api.app.inject({
      method: 'GET', url: `/api/v1/deployments/${id}/events`,
      headers: { ...bearer(token), accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}) },
    });
    const seqTypes = (body: string) => body.split('\n\n').filter((f) => f.includes('data: '))
      .map((f) => JSON.parse(f.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as { seq: number; type: string })
      .map((e) => ({ seq: e.seq, type: e.type }));

    test('each stream of a burst gets its own events from its own Last-Event-ID; a hidden or unknown deployment is 404 for that stream alone', async () => {
      const before = { ...followerReadStats(api.app.loco.em()) };
      const [a, b, c, d] = ids;
      const streams = await Promise.all([
        open(api.adminToken, a),
        open(api.adminToken, b, 1),
        open(stranger, c),
        open(api.adminToken, c),
        open(api.adminToken, 'dpl_01NOSUCHDEPLOYMENT000000'),
        open(api.adminToken, d, 2),
      ]);
      assert.deepEqual(streams.map((s) => s.statusCode), [200, 200, 404, 200, 404, 200], streams.map((s) => s.body.slice(0, 200)).join('\n'));
      assert.equal(streams[2].json().code, 'not-found.deployment', 'the stranger learns only that there is no such deployment');
      assert.deepEqual(seqTypes(streams[0].body), alone.get(a));
      assert.deepEqual(seqTypes(streams[1].body), alone.get(b)!.filter((e) => e.seq > 1));
      assert.deepEqual(seqTypes(streams[3].body), alone.get(c));
      assert.deepEqual(seqTypes(streams[5].body), alone.get(d)!.filter((e) => e.seq > 2));
      assert.ok(alone.get(a)!.length >= 3, 'a finished deployment has a stream worth comparing');
      const after = followerReadStats(api.app.loco.em());
      assert.ok(after.shared - before.shared >= 2, `some first reads shared a statement (${after.shared - before.shared} of 6)`);
      assert.equal(after.readAgain - before.readAgain, 0);
    });
  });
}
