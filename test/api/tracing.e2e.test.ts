// Tracing end to end: a real API process started as `npm start` starts it (the tracing preload
// first) on PostgreSQL, with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a small OTLP/HTTP receiver
// (JSON, as the official exporter sends it), a deploy followed through the Argo CD double to
// `succeeded`, then one trace that holds the deploy request, the commit and the outcome, with the
// loco.* attributes, and under them the database queries and the calls to Argo CD; the
// deployment's first event names that trace.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { startApi, tempDir, type RunningApi } from '../cli/harness.ts';
import { config, createTestDatabase, type TestDatabase } from './helpers.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
  links?: { traceId: string; spanId: string }[];
}

/** Collects every span POSTed to /v1/traces; `waitFor` resolves once a span matches. */
async function startReceiver(): Promise<{ url: string; spans: OtlpSpan[]; contentTypes: Set<string>; waitFor(match: (s: OtlpSpan) => boolean): Promise<OtlpSpan>; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const contentTypes = new Set<string>();
  const waiters: { match: (s: OtlpSpan) => boolean; resolve: (s: OtlpSpan) => void }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      contentTypes.add(String(req.headers['content-type']));
      if (req.url === '/v1/traces') {
        const doc = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        for (const w of [...waiters]) {
          const found = spans.find(w.match);
          if (found) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(found);
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    waitFor: (match) => {
      const found = spans.find(match);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

const attr = (s: OtlpSpan, key: string) => s.attributes?.find((a) => a.key === key)?.value.stringValue;

// OTLP's SpanKind numbers
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

/** Whether `span` sits under `ancestor` (following parent ids through the spans received). */
function isUnder(spans: OtlpSpan[], span: OtlpSpan, ancestor: OtlpSpan): boolean {
  for (let at: OtlpSpan | undefined = span; at?.parentSpanId; at = spans.find((s) => s.traceId === span.traceId && s.spanId === at!.parentSpanId)) {
    if (at.parentSpanId === ancestor.spanId) return true;
  }
  return false;
}

const attrOf = (s: OtlpSpan, key: string) => s.attributes?.find((a) => a.key === key)?.value;

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let argocd: ArgoCdDouble;
let database: TestDatabase;
let api: RunningApi;
/** The one deploy both tests read: its id and the trace its first event names. */
let deployed: { id: string; traceId: string | undefined; spanId: string | undefined; events: string };

before(async () => {
  receiver = await startReceiver();
  database = await createTestDatabase('postgresql'); // queries through `pg`, which the preload instruments
  const dataDir = tempDir('data');
  argocd = await startArgoCdDouble({ repoPath: (slug) => join(dataDir, 'repos', `${slug}.git`) });
  api = await startApi({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', DATABASE_URL: database.url!,
    LOCO_ARGOCD_URL: argocd.url, LOCO_ARGOCD_TOKEN: argocd.token, LOCO_ARGOCD_HEALTHY_SECONDS: '0.2',
  }, dataDir);

  const headers = { authorization: `Bearer ${api.adminToken}`, 'content-type': 'application/json' };
  const posted = await fetch(`${api.url}/api/v1/orgs/default/workspaces/default/apps/web/deployments`, {
    method: 'POST', headers, body: JSON.stringify({ config: config('web'), profile: 'dev', image: 'registry.example.com/acme/web:1' }),
  });
  assert.equal(posted.status, 202, await posted.clone().text());
  const { id } = (await posted.json()) as { id: string };
  // follow the deployment to its outcome, as the CLI does
  const stream = await fetch(`${api.url}/api/v1/deployments/${id}/events`, { headers: { ...headers, accept: 'text/event-stream' } });
  const events = await stream.text(); // the API ends the stream after the terminal event
  const first = JSON.parse(/data: (.*)/.exec(events)![1]) as { data?: { trace?: { traceId: string; spanId: string } } };
  deployed = { id, traceId: first.data?.trace?.traceId, spanId: first.data?.trace?.spanId, events };
});
after(async () => {
  await api?.stop();
  await argocd?.stop();
  await receiver?.close();
  await database?.drop();
});

test('one trace spans the deploy request, the commit and the outcome, with the deployment, workspace, app and profile', { timeout: 120_000 }, async () => {
  const { id, traceId, events: text } = deployed;
  assert.match(text, /event: succeeded/);
  assert.match(traceId ?? '', /^[0-9a-f]{32}$/, 'the first event names the trace');

  const outcome = await receiver.waitFor((s) => s.name === 'loco.outcome' && attr(s, 'loco.deployment') === id);
  const commit = await receiver.waitFor((s) => s.name === 'loco.commit' && attr(s, 'loco.deployment') === id);
  // the http instrumentation's server span is the root; @fastify/otel's route spans nest in it
  const request = await receiver.waitFor((s) => s.traceId === traceId && !s.parentSpanId);
  assert.equal(request.kind, SPAN_KIND_SERVER, 'the root is the incoming deploy request');
  for (const span of [outcome, commit]) {
    assert.equal(span.traceId, traceId, `${span.name} is in the request's trace`);
    assert.equal(attr(span, 'loco.workspace'), 'default/default');
    assert.equal(attr(span, 'loco.app'), 'web');
    assert.equal(attr(span, 'loco.profile'), 'dev');
    assert.ok(span.links?.some((l) => l.traceId === traceId), `${span.name} links back to the request`);
  }
  assert.ok(request, 'the deploy request itself is a span of the trace');
  // the request's span the deployment records (the route handler's) names the deployment too
  const handler = await receiver.waitFor((s) => s.traceId === traceId && s.spanId === deployed.spanId);
  assert.deepEqual(['loco.workspace', 'loco.app', 'loco.profile', 'loco.deployment'].map((k) => attr(handler, k)), ['default/default', 'web', 'dev', id]);
  assert.ok([...receiver.contentTypes].every((t) => t.startsWith('application/json')), 'OTLP/HTTP with JSON');

  // The same run, as Prometheus sees it: Argo CD was called, and the outcome was timed.
  const metrics = await (await fetch(`${api.url}/metrics`)).text();
  assert.match(metrics, /loco_upstream_requests_total\{system="argocd",method="GET",status="2xx"\} [1-9]/);
  assert.match(metrics, /loco_deployment_outcome_seconds_count\{workspace="default\/default",profile="dev",outcome="succeeded"\} 1/);
  assert.match(metrics, /loco_deployments_total\{workspace="default\/default",app="web",profile="dev",change_type="deploy",outcome="succeeded",reason=""\} 1/);
  // the tracker read Argo CD's reconciled states and timed how late it saw them
  assert.match(metrics, /loco_tracker_lag_seconds_count [1-9]/);
});

test("the deploy's trace holds its database queries and its calls to Argo CD, under the request, the commit and the outcome", { timeout: 120_000 }, async () => {
  const { id, traceId } = deployed;
  const request = await receiver.waitFor((s) => s.traceId === traceId && !s.parentSpanId);
  const commit = await receiver.waitFor((s) => s.name === 'loco.commit' && attr(s, 'loco.deployment') === id);
  const outcome = await receiver.waitFor((s) => s.name === 'loco.outcome' && attr(s, 'loco.deployment') === id);
  const isQuery = (s: OtlpSpan) => s.traceId === traceId && s.name.startsWith('pg.query') && attr(s, 'db.system.name') === 'postgresql';
  const isArgoCdCall = (s: OtlpSpan) => s.traceId === traceId && s.kind === SPAN_KIND_CLIENT && String(attr(s, 'url.full')).startsWith(argocd.url);
  // the request inserted the deployment, the commit read it and recorded its events, the outcome's
  // tracking asked Argo CD for the application and recorded what it saw
  const { spans } = receiver;
  await receiver.waitFor((s) => isQuery(s) && isUnder(spans, s, request));
  await receiver.waitFor((s) => isQuery(s) && isUnder(spans, s, commit));
  await receiver.waitFor((s) => isQuery(s) && isUnder(spans, s, outcome));
  const call = await receiver.waitFor((s) => isArgoCdCall(s) && isUnder(spans, s, outcome));

  const query = spans.find((s) => isQuery(s) && isUnder(spans, s, commit))!;
  assert.match(attr(query, 'db.query.text') ?? '', /^(select|insert|update|delete|with|begin|commit|set)\b/i, 'a query span names its statement (set: a new connection planning its named statements generically, prepared.ts)');
  const texts = spans.filter(isQuery).map((s) => attr(s, 'db.query.text') ?? '');
  assert.ok(texts.some((t) => /insert into "?deployments"?/i.test(t)), 'the deployment was inserted within its trace');
  assert.deepEqual(texts.filter((t) => t.includes(id) || t.includes('registry.example.com')), [], 'no inlined value (the deployment id, the image) reaches the trace');
  assert.match(attr(call, 'http.request.method') ?? '', /^(GET|POST|PUT|PATCH)$/);
  assert.equal(Number(attrOf(call, 'http.response.status_code')?.intValue), 200);
  // no query or call of the deploy escaped into a trace of its own
  const strays = spans.filter((s) => s.traceId !== traceId && (attr(s, 'url.full') ?? '').startsWith(argocd.url) && /\/applications\/[^/]*web/.test(attr(s, 'url.full') ?? ''));
  assert.deepEqual(strays.map((s) => s.name), [], "every call about the app's Argo CD application is in the deploy's trace");
});

test('without OTEL_EXPORTER_OTLP_ENDPOINT the first event carries no trace', async () => {
  const plain = await startApi({});
  try {
    const headers = { authorization: `Bearer ${plain.adminToken}`, 'content-type': 'application/json' };
    const posted = await fetch(`${plain.url}/api/v1/orgs/default/workspaces/default/apps/web/deployments`, {
      method: 'POST', headers, body: JSON.stringify({ config: config('web'), profile: 'dev', image: 'registry.example.com/acme/web:1' }),
    });
    const { id } = (await posted.json()) as { id: string };
    const text = await (await fetch(`${plain.url}/api/v1/deployments/${id}/events`, { headers: { ...headers, accept: 'text/event-stream' } })).text();
    assert.doesNotMatch(text, /"trace"/);
  } finally {
    await plain.stop();
  }
});
