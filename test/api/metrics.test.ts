// GET /metrics as a Prometheus server scrapes it: after deploys to two workspaces the counters
// moved with the right tenant labels, the text parses with a real exposition-format parser, no
// label carries a deployment id or a commit SHA, and LOCO_METRICS_TOKEN fences the endpoint.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { call, config, followEvents, startTestApi, type TestApi } from './helpers.ts';

// A parser of the exposition format (CommonJS, untyped). It throws on a malformed line, but it
// folds a histogram's labelled series into one unlabelled sample, so histograms are also read
// again without their TYPE lines, as plain series (`…_count{workspace=…}`) that keep their labels.
type Family = { name: string; type: string; metrics: { labels?: Record<string, string>; value?: string }[] };
const parseText = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];
function parsePrometheus(text: string): Family[] {
  const histograms = [...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]);
  const untyped = text.split('\n').filter((line) => !histograms.some((h) => line.startsWith(`# HELP ${h} `) || line.startsWith(`# TYPE ${h} `))).join('\n');
  return [...parseText(text), ...parseText(untyped).filter((f) => histograms.some((h) => f.name.startsWith(`${h}_`)))];
}

async function deploy(api: TestApi, ws: string, app: string): Promise<{ id: string; commit: string }> {
  const r = await call(api.app, api.adminToken, 'POST', `/orgs/default/workspaces/${ws}/apps/${app}/deployments`, { config: config(app), profile: 'dev', image: `registry.example.com/acme/${app}:1` });
  assert.equal(r.statusCode, 202, r.body);
  const { id } = r.json();
  await followEvents(api.app, api.adminToken, id);
  return { id, commit: (await call(api.app, api.adminToken, 'GET', `/deployments/${id}`)).json().commit };
}

describe('GET /metrics', () => {
  let api: TestApi;
  let families: Family[];
  let text: string;
  const deployed: { id: string; commit: string }[] = [];

  before(async () => {
    api = await startTestApi('pglite');
    assert.equal((await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces', { name: 'shop' })).statusCode, 201);
    deployed.push(await deploy(api, 'default', 'web'), await deploy(api, 'shop', 'cart'), await deploy(api, 'shop', 'cart'));
    const scrape = await api.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(scrape.statusCode, 200);
    assert.match(String(scrape.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    text = scrape.body;
    families = parsePrometheus(text);
  });
  after(() => api?.close());

  // A histogram's plain series come back as one family per label set: gather them by name.
  const family = (name: string): Family => {
    const found = families.filter((x) => x.name === name);
    assert.ok(found.length > 0, `${name} is exposed`);
    return { ...found[0], metrics: found.flatMap((f) => f.metrics) };
  };

  test('deployments are counted by workspace, app, profile, change type and outcome', () => {
    const counts = family('loco_deployments_total').metrics.map((m) => [m.labels?.workspace, m.labels?.app, m.labels?.profile, m.labels?.change_type, m.labels?.outcome, Number(m.value)]);
    assert.deepEqual(counts.sort(), [
      ['default/default', 'web', 'dev', 'deploy', 'committed', 1],
      // the second deploy of cart changes nothing, so it ends committed without a commit
      ['default/shop', 'cart', 'dev', 'deploy', 'committed', 2],
    ].sort());
  });

  test('time to commit is a histogram per workspace with one observation per committed deploy', () => {
    assert.equal(family('loco_deployment_commit_seconds').type, 'HISTOGRAM');
    const counts = Object.fromEntries(family('loco_deployment_commit_seconds_count').metrics.map((m) => [m.labels?.workspace, Number(m.value)]));
    assert.equal(counts['default/default'], 1);
    assert.ok(counts['default/shop'] >= 1);
  });

  test('HTTP requests are labelled by route template, process metrics are there, and no label holds an id or a SHA', () => {
    const routes = family('loco_http_request_duration_seconds_count').metrics.map((m) => m.labels?.route);
    assert.ok(routes.includes('/api/v1/orgs/:org/workspaces/:ws/apps/:app/deployments'), routes.join());
    family('loco_process_resident_memory_bytes');
    family('loco_sse_streams_open');
    for (const { id, commit } of deployed) {
      assert.ok(!text.includes(id), `deployment id ${id} is not a label`);
      if (commit) assert.ok(!text.includes(commit.slice(0, 7)), 'commit SHAs are not labels');
    }
    for (const f of families) assert.match(f.name, /^loco_/, 'every metric name starts with loco_');
    // the embedded database's pool of one: one connection, idle or in use, and the waiters
    const pool = Object.fromEntries(family('loco_db_pool_connections').metrics.map((m) => [m.labels?.state, Number(m.value)]));
    assert.deepEqual(Object.keys(pool).sort(), ['idle', 'in-use', 'waiting']);
    assert.equal(pool.idle + pool['in-use'], 1, `the embedded pool holds one connection: ${JSON.stringify(pool)}`);
    for (const f of families) for (const m of f.metrics) assert.ok(!Object.keys(m.labels ?? {}).some((l) => /^(id|deployment|commit|sha|path|url)$/.test(l)), `${f.name} has no unbounded label`);
  });

  test('with LOCO_METRICS_TOKEN set, a scrape without it is refused and one with it is answered', async () => {
    const fenced = await startTestApi('pglite', { metricsToken: 'scrape-me' });
    try {
      const refused = await fenced.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(refused.statusCode, 401);
      assert.match(refused.json().detail ?? refused.body, /metrics token/);
      const wrong = await fenced.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.statusCode, 401);
      const ok = await fenced.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-me' } });
      assert.equal(ok.statusCode, 200);
      assert.ok(parsePrometheus(ok.body).length > 0);
    } finally {
      await fenced.close();
    }
  });
});

test('JSON log lines name the workspace, app, profile and deployment they concern', async () => {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = { write: (line: string) => void (raw.push(line), lines.push(JSON.parse(line))) };
  const api = await startTestApi('pglite', { logger: { level: 'info', stream } });
  try {
    const { id } = await deploy(api, 'default', 'web');
    const committed = lines.find((l) => l.msg === 'deployment committed');
    assert.deepEqual(
      committed && { deploymentId: committed.deploymentId, workspace: committed.workspace, app: committed.app, profile: committed.profile },
      { deploymentId: id, workspace: 'default/default', app: 'web', profile: 'dev' },
    );
    const tenant = (l: Record<string, unknown> | undefined) => l && { deploymentId: l.deploymentId, workspace: l.workspace, app: l.app, profile: l.profile };
    // one line per request, written when it ends, naming what was asked and how it ended
    const completed = (url: string) => lines.find((l) => l.msg === 'request completed' && (l.req as { url: string }).url === url);
    assert.deepEqual(lines.filter((l) => l.msg === 'incoming request'), [], 'a request is logged once, when it ends');
    const deployLine = completed('/api/v1/orgs/default/workspaces/default/apps/web/deployments');
    assert.deepEqual([(deployLine?.req as { method: string }).method, (deployLine?.res as { statusCode: number }).statusCode, typeof deployLine?.responseTime, typeof deployLine?.reqId], ['POST', 202, 'number', 'string']);
    const expected = { deploymentId: id, workspace: 'default/default', app: 'web', profile: 'dev' };
    assert.deepEqual(tenant(completed('/api/v1/orgs/default/workspaces/default/apps/web/deployments')), expected, "the deploy request's lines carry the tenant and the deployment it made");
    // a request that names only the deployment gets the rest once the deployment is loaded
    assert.deepEqual(tenant(completed(`/api/v1/deployments/${id}/events`)), expected, "following a deployment's events logs its tenant");
    assert.deepEqual(tenant(completed(`/api/v1/deployments/${id}`)), expected);
    for (const line of raw) assert.ok((line.match(/"workspace":/g) ?? []).length <= 1, `no field is written twice: ${line}`);
  } finally {
    await api.close();
  }
});
