// The Grafana dashboard and the PrometheusRule that operators install (charts/loco/files/):
// every query names metrics the API really exposes, and the rule is a valid PrometheusRule.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot, validateManifests } from '../support/manifests.ts';
import { startTestApi } from './helpers.ts';

const files = join(repoRoot, 'charts/loco/files');

async function exposedMetricNames(): Promise<Set<string>> {
  const api = await startTestApi('pglite');
  try {
    const names = new Set<string>();
    for (const m of await api.app.loco.metrics.registry.getMetricsAsJSON()) {
      names.add(m.name);
      if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(m.name + suffix);
    }
    return names;
  } finally {
    await api.close();
  }
}

const metricsIn = (expr: string) => [...expr.matchAll(/\bloco_[a-z0-9_]+/g)].map((m) => m[0]);

test('every dashboard panel and alert queries metrics that /metrics exposes', async () => {
  const exposed = await exposedMetricNames();
  const dashboard = JSON.parse(readFileSync(join(files, 'grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[]; templating: { list: { query?: unknown }[] } };
  const rules = parse(readFileSync(join(files, 'prometheus-rules.yaml'), 'utf8')) as { spec: { groups: { rules: { alert: string; expr: string }[] }[] } };
  const queries = [
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
    ...dashboard.templating.list.filter((v) => v.query && typeof v.query === 'object').map((v) => ({ where: 'a template variable', expr: (v.query as { query: string }).query })),
    ...rules.spec.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
  ];
  assert.ok(queries.length >= 15);
  for (const { where, expr } of queries) {
    const names = metricsIn(expr);
    assert.ok(names.length > 0, `${where} queries a Loco metric`);
    for (const name of names) assert.ok(exposed.has(name), `${where} uses ${name}, which /metrics does not expose`);
  }
  assert.ok(queries.some((q) => /loco_dora_/.test(q.expr)), 'the dashboard has the DORA panel');
});

test('the PrometheusRule validates against the Prometheus Operator CRD schema', () => {
  const result = validateManifests(readFileSync(join(files, 'prometheus-rules.yaml'), 'utf8'));
  assert.deepEqual(result.errors, []);
  assert.ok(result.ok);
});
