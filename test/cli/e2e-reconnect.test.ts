// The event stream dropping mid-deployment, end to end: the real `loco` binary talks to a real
// API process (following the Argo CD double) through a small HTTP proxy that cuts the SSE
// connection right after an event frame, as a load balancer or a flaky network would. The CLI
// must reconnect with Last-Event-ID and print every event exactly once, in order.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { argoApplicationName, workspaceSlug } from '../../generator/names.ts';
import { apiRequest, appDir, loco, startApi, tempDir, type RunningApi } from './harness.ts';

/** Where an event stream is cut: right after an event frame, or halfway through the frame after it. */
interface Cut {
  after: 'event' | 'half-event';
  /** reset: the socket dies (no end of the chunked body); clean-end: the response ends properly, as an idle-timeout proxy may do. */
  how: 'reset' | 'clean-end';
}

interface EventStream {
  lastEventId: string | undefined;
  /** seq of each whole event frame this connection delivered to the CLI */
  delivered: number[];
  cut?: Cut;
}

interface CuttingProxy {
  url: string;
  streams: EventStream[];
  /** The next event streams are cut, one cut each, in this order. */
  cutNext(...cuts: Cut[]): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'host'];

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.includes(k)));
}

/** Forwards everything to `target`, and cuts the event streams it is told to after their first event frame. */
async function startCuttingProxy(target: string): Promise<CuttingProxy> {
  const upstream = new URL(target);
  const streams: EventStream[] = [];
  let cuts: Cut[] = [];
  const server = createServer((req, res) => {
    const isStream = /\/events(\?|$)/.test(req.url ?? '') && String(req.headers.accept ?? '').includes('text/event-stream');
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...withoutHopByHop(req.headers), host: upstream.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, withoutHopByHop(up.headers));
      if (!isStream || up.statusCode !== 200) return void up.pipe(res);
      const cut = cuts.shift();
      const stream: EventStream = { lastEventId: req.headers['last-event-id'] as string | undefined, delivered: [], ...(cut ? { cut } : {}) };
      streams.push(stream);
      // Chunks already read from the API may still arrive after the cut: they are dropped.
      let stopped = false;
      const stop = (last: string) => {
        stopped = true;
        up.destroy();
        if (cut!.how === 'clean-end') res.end(last);
        else res.write(last, () => res.socket?.destroy());
      };
      // Forward frame by frame, so that the cut falls exactly where it should.
      let buffer = '';
      up.setEncoding('utf8');
      up.on('data', (chunk: string) => {
        if (stopped) return;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end + 2);
          buffer = buffer.slice(end + 2);
          const seq = /^id: (\d+)$/m.exec(frame)?.[1];
          if (seq === undefined) {
            res.write(frame); // the API's comment lines
            continue;
          }
          if (cut?.after === 'half-event' && stream.delivered.length === 1) return stop(frame.slice(0, frame.length / 2));
          stream.delivered.push(Number(seq));
          if (cut?.after === 'event') return stop(frame);
          res.write(frame);
        }
      });
      up.on('end', () => stopped || res.end());
    });
    out.on('error', () => res.socket?.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    streams,
    cutNext: (...next) => void (cuts = next),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

let api: RunningApi;
let argocd: ArgoCdDouble;
let proxy: CuttingProxy;
let env: Record<string, string>;

before(async () => {
  const dataDir = tempDir('data');
  argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`) });
  // Healthy must hold 0.5 s (5 s by default): the deployment runs long enough to be cut while it runs.
  api = await startApi({ LOCO_ARGOCD_URL: argocd.url, LOCO_ARGOCD_TOKEN: argocd.token, LOCO_ARGOCD_HEALTHY_SECONDS: '0.5' }, dataDir);
  proxy = await startCuttingProxy(api.url);
  env = { LOCO_API_URL: proxy.url, LOCO_TOKEN: api.adminToken };
});
after(async () => {
  await proxy?.close();
  await api?.stop();
  await argocd?.stop();
});

const config = (name: string) => `[Metadata]\nName = "${name}"\n\n[Build]\nImage = "ghcr.io/acme/${name}:1.0.0"\n\n[Profile.dev]\n`;

/** The events as the API recorded them, asked directly (not through the proxy). */
async function recordedEvents(id: string): Promise<{ seq: number; type: string; message: string }[]> {
  return (await (await apiRequest(api, 'GET', `/deployments/${id}/events`)).json()) as { seq: number; type: string; message: string }[];
}

/** `<time> <type> <message>` lines of the plain progress view, without the CLI's own loco/note lines. */
function printedEvents(stdout: string): string[] {
  return stdout.split('\n').flatMap((line) => {
    const m = /^\d{4}-\d\d-\d\dT\S+Z (\S+)\s+(.*)$/.exec(line);
    return m && m[1] !== 'loco' && m[1] !== 'note' ? [`${m[1]} ${m[2]}`] : [];
  });
}

/** What the proxy saw: each cut stream delivered one whole event, and the next request resumed after it. */
function assertResumed(streams: EventStream[], cuts: number): void {
  assert.equal(streams.length, cuts + 1, `one reconnect per cut: ${JSON.stringify(streams)}`);
  assert.equal(streams[0].lastEventId, undefined, 'the first request starts from the beginning');
  for (let i = 0; i < cuts; i++) {
    assert.ok(streams[i].cut, 'cut');
    assert.equal(streams[i].delivered.length, 1, 'one whole event went through before the cut');
    const last = streams[i].delivered[0];
    assert.equal(streams[i + 1].lastEventId, String(last), 'the reconnect carries Last-Event-ID: the last whole event delivered');
    if (streams[i + 1].delivered.length) assert.ok(streams[i + 1].delivered[0] > last, 'the API resumes after it');
  }
}

test('loco deploy reconnects with Last-Event-ID when the stream drops and prints every event once, in order', async () => {
  proxy.streams.length = 0;
  proxy.cutNext({ after: 'event', how: 'reset' });
  const result = await loco(['deploy', '--non-interactive', '--timeout', '1m'], { cwd: appDir(config('resume')), env });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const id = /^Deployment (dpl_\w+) /m.exec(result.stdout)![1];
  assert.match(result.stdout, new RegExp(`✓ Deployment ${id} of resume@dev succeeded in \\d+s`));
  assert.match(result.stdout, /note\s+event stream dropped \(.+\); reconnecting \(1\)/, 'the drop is told, not hidden');

  const recorded = await recordedEvents(id);
  assert.ok(recorded.length >= 3, `a deployment through Argo CD has several events: ${JSON.stringify(recorded)}`);
  assert.equal(recorded.at(-1)!.type, 'succeeded');
  assert.deepEqual(printedEvents(result.stdout), recorded.map((e) => `${e.type} ${e.message}`), 'every event once, in order');
  assertResumed(proxy.streams, 1);
  assert.deepEqual(argocd.violations, []);
});

test('loco events of a running deployment survives an early clean end and a reset mid-frame, printing exactly the recorded events', async () => {
  // Healthy 1.5 s after the sync: the deployment is surely still running when the stream ends
  // early, so the CLI must not take that end for the outcome.
  argocd.setScenario(argoApplicationName(workspaceSlug('default', 'default'), 'again', 'dev'), { healthyAfterMs: 1500 });
  const started = await loco(['deploy', '--no-wait', '-o', 'json'], { cwd: appDir(config('again')), env: { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken } });
  assert.equal(started.code, 0, started.stderr);
  const { deployment } = JSON.parse(started.stdout);
  proxy.streams.length = 0;
  proxy.cutNext({ after: 'half-event', how: 'clean-end' }, { after: 'half-event', how: 'reset' });
  const result = await loco(['events', deployment.id, '--non-interactive'], { env });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, new RegExp(`✓ Deployment ${deployment.id} of again@dev succeeded`));
  const recorded = await recordedEvents(deployment.id);
  assert.deepEqual(printedEvents(result.stdout), recorded.map((e) => `${e.type} ${e.message}`), 'every event once, in order');
  assertResumed(proxy.streams, 2);
});
