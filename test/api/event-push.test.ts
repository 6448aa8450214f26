// SSE followers get the events this process appends pushed over the event bus (no re-read per
// event), complete and in order, and still see events another replica wrote (the fallback poll).
// A real listening API on each database, so the test reads the stream while it is open.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { appendEvent, changeStatus } from '../../api/deployments/records.ts';
import { bearer, call, config, DATABASE_KINDS, startTestApi, within, type TestApi } from './helpers.ts';

const ws = '/orgs/default/workspaces/default';
type Frame = { id?: number; event: string; data: { seq: number; type: string; message: string } };

/** A client following a deployment's stream: `next()` resolves with each frame, `ended` when the API closes the stream. */
async function openStream(url: string, token: string, id: string, signal?: AbortSignal) {
  const res = await fetch(`${url}/api/v1/deployments/${id}/events`, { headers: { ...bearer(token), accept: 'text/event-stream' }, ...(signal ? { signal } : {}) });
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const frames: Frame[] = [];
  let buffer = '';
  let ended = false;
  const read = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (done) return (ended = true), false;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const data = lines.find((l) => l.startsWith('data: '));
      if (!data) continue; // a comment (the greeting, keep-alives)
      const idLine = lines.find((l) => l.startsWith('id: '));
      frames.push({ event: lines.find((l) => l.startsWith('event: '))!.slice(7), data: JSON.parse(data.slice(6)), ...(idLine ? { id: Number(idLine.slice(4)) } : {}) });
    }
    return true;
  };
  return {
    frames,
    /** Reads until at least `n` frames arrived. */
    async until(n: number) {
      while (frames.length < n && (await read()));
      return frames;
    },
    /** Reads to the end of the stream (the API closes it after the terminal event). */
    async toEnd() {
      while (!ended && (await read()));
      return frames;
    },
  };
}

async function pendingDeployment(api: TestApi): Promise<string> {
  const r = await call(api.app, api.adminToken, 'POST', `${ws}/apps/web/deployments`, { config: config('web'), profile: 'dev', image: 'registry.example.com/acme/web:1' });
  assert.equal(r.statusCode, 202, r.body);
  return r.json().id;
}

for (const kind of DATABASE_KINDS) {
  test(`${kind}: events appended while a client follows arrive pushed, complete and in order, as the event list has them`, { timeout: 60_000 }, async () => {
    // no poll within the test's time: every event must come over the bus
    const api = await startTestApi(kind, { runner: { disabled: true }, eventPollMs: 3_600_000 });
    try {
      const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
      const id = await pendingDeployment(api);
      const stream = await openStream(url, api.adminToken, id);
      await within(20_000, 'the first read', stream.until(1));
      const { bus } = api.app.loco;
      // concurrent writers on their own entity managers (as the runner's steps are): on PostgreSQL
      // their notices can come out of seq order, which the stream must mend
      await Promise.all(Array.from({ length: 30 }, (_, i) => appendEvent(api.app.loco.em(), bus, id, { type: 'info', message: `step ${i}`, data: { i } })));
      assert.equal(await changeStatus(api.app.loco.em(), bus, id, { status: 'failed', reason: 'test', finished: true }, { type: 'failed', message: 'done' }), true);
      const frames = await within(20_000, 'the stream ends', stream.toEnd());
      const listed = (await call(api.app, api.adminToken, 'GET', `/deployments/${id}/events`)).json();
      assert.deepEqual(frames.map((f) => f.data), listed);
      assert.deepEqual(frames.map((f) => f.id), listed.map((_: unknown, i: number) => i + 1));
      assert.equal(frames.at(-1)!.event, 'failed');
      assert.equal(bus.listeners(id), 0, 'the ended stream let go of the bus');
    } finally {
      await api.close();
    }
  });
}

test('an event another replica wrote (bypassing this process\'s bus) reaches the stream by the fallback poll', { timeout: 60_000 }, async () => {
  const api = await startTestApi('pglite', { runner: { disabled: true }, eventPollMs: 50 });
  try {
    const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const id = await pendingDeployment(api);
    const stream = await openStream(url, api.adminToken, id);
    await within(20_000, 'the first read', stream.until(1));
    const seen = (await call(api.app, api.adminToken, 'GET', `/deployments/${id}/events`)).json().length;
    // what another replica's changeStatus writes, straight into the database
    await api.app.loco.em().execute(
      `with s as (update deployments set status = 'failed', reason = 'superseded', finished_at = now(), last_event_seq = last_event_seq + 1 where id = ? returning last_event_seq)
       insert into events (deployment_id, seq, time, type, message) select ?, last_event_seq, now(), 'failed', 'written elsewhere' from s`, [id, id]);
    const frames = await within(20_000, 'the poll finds it', stream.toEnd());
    assert.equal(frames.length, seen + 1);
    const last = frames.at(-1)!.data;
    assert.deepEqual([last.seq, last.type, last.message], [seen + 1, 'failed', 'written elsewhere']);
  } finally {
    await api.close();
  }
});

test('streams whose clients leave let go of the event bus', { timeout: 60_000 }, async () => {
  const api = await startTestApi('pglite', { runner: { disabled: true } });
  try {
    const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const sockets: Socket[] = [];
    api.app.server.on('connection', (socket: Socket) => sockets.push(socket));
    const id = await pendingDeployment(api);
    const clients = Array.from({ length: 20 }, () => new AbortController());
    const streams = await Promise.all(clients.map((c) => openStream(url, api.adminToken, id, c.signal)));
    await within(20_000, 'every stream read', Promise.all(streams.map((s) => s.until(1))));
    const { bus } = api.app.loco;
    assert.equal(bus.listeners(id), 20);
    // the server ends a stream when its socket closes; await that closing, not a time
    const closed = sockets.map((s) => once(s, 'close'));
    for (const c of clients) c.abort();
    await within(20_000, 'the server sees the clients leave', Promise.all(closed));
    assert.equal(bus.listeners(id), 0);
  } finally {
    await api.close();
  }
});
