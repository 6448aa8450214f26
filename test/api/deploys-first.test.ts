// Event-stream starts wait for deploy requests (api/http/deploys-first.ts): while a deploy is
// being answered, and until none arrived for QUIET_MS, at most MAX_WAIT_MS. The clock is moved
// by hand, so no test waits for real time.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turnOfLoop } from 'node:timers/promises';
import { ManualClock } from '../argocd/manual-clock.ts';
import { DeploysFirst, MAX_WAIT_MS, QUIET_MS } from '../../api/http/deploys-first.ts';
import { bearer, call, config, startTestApi, type TestApi } from './helpers.ts';

/** Whether `promise` has settled, after the microtasks and one turn of the event loop that could settle it. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  await turnOfLoop();
  return done;
}

describe('deploys first: the gate', () => {
  test('with no deploy request lately, a stream starts at once', async () => {
    const gate = new DeploysFirst(new ManualClock());
    assert.equal(await settled(gate.turn()), true);
  });

  test('a stream waits while a deploy is being answered', async () => {
    const clock = new ManualClock();
    const gate = new DeploysFirst(clock);
    const answered = gate.begin();
    const turn = gate.turn();
    clock.advance(QUIET_MS * 5);
    assert.equal(await settled(turn), false, 'started while a deploy was being answered');
    answered();
    assert.equal(await settled(turn), true, 'the deploy arrived long enough ago');
  });

  test('and until no deploy arrived for QUIET_MS: each arrival starts that wait again', async () => {
    const clock = new ManualClock();
    const gate = new DeploysFirst(clock);
    gate.begin()();
    const turn = gate.turn();
    clock.advance(QUIET_MS - 1);
    gate.begin()();
    clock.advance(QUIET_MS - 1);
    assert.equal(await settled(turn), false, 'a deploy arrived less than QUIET_MS ago');
    clock.advance(1);
    assert.equal(await settled(turn), true);
    assert.equal(gate.answering, 0);
  });

  test('a steady flow of deploys holds a stream back MAX_WAIT_MS at most', async () => {
    const clock = new ManualClock();
    const gate = new DeploysFirst(clock);
    gate.begin(); // never answered
    const turn = gate.turn();
    clock.advance(MAX_WAIT_MS - 1);
    assert.equal(await settled(turn), false);
    clock.advance(1);
    assert.equal(await settled(turn), true);
  });

  test('a client that leaves stops the wait; a deploy answered twice counts once', async () => {
    const clock = new ManualClock();
    const gate = new DeploysFirst(clock);
    const done = gate.begin();
    gate.begin();
    done();
    done();
    assert.equal(gate.answering, 1);
    const leaving = new AbortController();
    const turn = gate.turn(leaving.signal);
    leaving.abort();
    assert.equal(await settled(turn), true);
  });
});

describe('deploys first: through the API', () => {
  let api: TestApi;
  const clock = new ManualClock(Date.parse('2026-03-01T09:00:00Z'));
  before(async () => {
    api = await startTestApi('pglite', { streamStartClock: clock });
  });
  after(async () => api?.close());

  test('an event stream opened right after a deploy starts once deploys are quiet, with every event', async () => {
    const W = '/orgs/default/workspaces/default';
    const d = await call(api.app, api.adminToken, 'POST', `${W}/apps/web/deployments`, { config: config('web'), profile: 'dev', image: 'registry.example.com/web:1' });
    assert.equal(d.statusCode, 202, d.body);
    const stream = api.app.inject({
      method: 'GET', url: `/api/v1/deployments/${d.json().id}/events`, headers: { ...bearer(api.adminToken), accept: 'text/event-stream' }, payloadAsStream: true,
    });
    // the deploy just answered was counted (the route's hook), so the stream waits for the clock
    assert.equal(await settled(stream), false, 'the stream started while deploys were not quiet');
    clock.advance(QUIET_MS);
    const response = await stream;
    assert.equal(response.statusCode, 200);
    let text = '';
    for await (const chunk of response.stream()) {
      text += chunk;
      if (/event: (committed|failed)\n/.test(text)) break;
    }
    response.stream().destroy();
    assert.match(text, /event: pending\n/);
    assert.match(text, /event: committed\n/);
  });
});
