// Obs.Metrics → a scrape target: a PodMonitor (Prometheus Operator) on a named container port,
// the prometheus.io/* annotations, and a NetworkPolicy rule that lets the scraper in; built with
// the real `kubectl kustomize` and validated against ../shared/schemas.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { parseConfig, renderApp } from '../../generator/index.ts';
import { kustomizeBuild, validateManifests } from '../support/manifests.ts';
import { writeTree } from './examples.ts';

const WS = 'acme--default';
const work = mkdtempSync(path.join(tmpdir(), 'loco-metrics-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function built(toml: string, label: string): Promise<Array<Record<string, any>>> {
  const tree = renderApp({ config: parseConfig(toml), configText: toml, profile: 'default', image: 'registry.example.com/acme/api:1', workspace: WS });
  writeTree(path.join(work, label), tree);
  const text = await kustomizeBuild(path.join(work, label, 'apps', 'api', 'overlays', 'default'));
  assert.deepEqual(validateManifests(text).errors, []);
  return parseAllDocuments(text).map((d) => d.toJS());
}
const find = (docs: Array<Record<string, any>>, kind: string) => docs.find((d) => d.kind === kind);

test('a 0.1 service with Obs.Metrics on its own port gets a PodMonitor on that port, the annotations and a scraper rule', async () => {
  const docs = await built('[Metadata]\nConfigVersion = "0.1"\nName = "api"\n[Routing]\nSubdomain = "api"\n[Obs.Metrics]\nEnabled = true\nPath = "/stats"\n', 'service');
  const monitor = find(docs, 'PodMonitor')!;
  assert.equal(monitor.metadata.namespace, 'acme--default--api--default');
  assert.deepEqual(monitor.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'api' });
  assert.deepEqual(monitor.spec.podMetricsEndpoints, [{ port: 'metrics', path: '/stats' }]);
  const pod = find(docs, 'Deployment')!.spec.template;
  assert.deepEqual(pod.spec.containers[0].ports.find((p: any) => p.name === 'metrics'), { name: 'metrics', containerPort: 9090, protocol: 'TCP' }, 'the 0.1 default port 9090');
  assert.equal(pod.metadata.annotations['prometheus.io/scrape'], 'true');
  assert.equal(pod.metadata.annotations['prometheus.io/path'], '/stats');
  assert.equal(pod.metadata.annotations['prometheus.io/port'], '9090');
  const rule = find(docs, 'NetworkPolicy')!.spec.ingress.find((r: any) => r.ports);
  assert.deepEqual(rule, { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: 9090 }] });
});

test('metrics on the app port are scraped by the port\'s name; a worker declares a metrics port of its own', async () => {
  const same = await built('[Metadata]\nName = "api"\n[Routing]\nPort = 8080\n[Obs.Metrics]\nEnabled = true\n', 'same-port');
  assert.deepEqual(find(same, 'PodMonitor')!.spec.podMetricsEndpoints, [{ port: 'http', path: '/metrics' }]);
  assert.deepEqual(find(same, 'Deployment')!.spec.template.spec.containers[0].ports.map((p: any) => p.name), ['http']);
  const worker = await built('[Metadata]\nName = "api"\nType = "WORKER"\n[Obs.Metrics]\nEnabled = true\nPort = 9100\n', 'worker');
  assert.deepEqual(find(worker, 'Deployment')!.spec.template.spec.containers[0].ports, [{ name: 'metrics', containerPort: 9100, protocol: 'TCP' }]);
  assert.deepEqual(find(worker, 'PodMonitor')!.spec.podMetricsEndpoints, [{ port: 'metrics', path: '/metrics' }]);
});

test('without Obs.Metrics there is no PodMonitor and no scraper rule', async () => {
  const docs = await built('[Metadata]\nName = "api"\n[Routing]\nPort = 8080\n', 'off');
  assert.equal(find(docs, 'PodMonitor'), undefined);
  assert.equal(find(docs, 'NetworkPolicy')!.spec.ingress.length, 1);
});
