// Rendering behaviours: determinism, a base shared by every profile, the objects each setting
// produces, the release inputs (image, workspace, other apps) and the overrides file.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import {
  appScope,
  configDigest,
  initTemplate,
  LocoError,
  parseConfig,
  profileNames,
  renderApp,
  setOverrides,
  parseOverrides,
  type RenderInput,
} from '../../generator/index.ts';
import { loadExamples, renderExample } from './examples.ts';

const examples = loadExamples();

function render(text: string, extra: Partial<RenderInput> = {}) {
  const config = parseConfig(text);
  return renderApp({ config, configText: text, profile: profileNames(config)[0], image: 'reg.example/a/api:1.0', workspace: 'acme--dev', ...extra });
}
const doc = (tree: Map<string, string>, suffix: string) => {
  const key = [...tree.keys()].find((k) => k.endsWith(suffix));
  assert.ok(key, `no file ending in ${suffix}: ${[...tree.keys()].join(', ')}`);
  return parse(tree.get(key)!);
};
const API = '[Metadata]\nName = "api"\n';

test('identical inputs give byte-identical trees, even from a freshly parsed config', () => {
  for (const example of examples) {
    for (const profile of profileNames(example.config)) {
      const a = renderExample(example, profile, examples);
      const again = { ...example, config: parseConfig(example.text, `examples/${example.name}/loco.toml`) };
      const b = renderExample(again, profile, [...examples].reverse());
      assert.deepEqual([...a], [...b]);
      assert.deepEqual([...a.keys()], [...a.keys()].sort());
    }
  }
});

test('every overlay is self-contained: its kustomization reads no file outside its folder', () => {
  for (const example of examples) {
    for (const profile of profileNames(example.config)) {
      const tree = renderExample(example, profile, examples);
      const overlay = `apps/${example.config.name}/overlays/${profile}/`;
      const k = parse(tree.get(`${overlay}kustomization.yaml`)!) as { resources: string[]; patches: { path: string }[] };
      for (const file of [...k.resources, ...k.patches.map((p) => p.path)]) {
        assert.ok(!file.includes('..') && tree.has(overlay + file), `${example.name}/${profile}: ${file}`);
      }
      assert.ok([...tree.keys()].every((f) => f.startsWith(overlay) || f === `apps/${example.config.name}/loco.toml`), `${example.name}/${profile}`);
    }
  }
});

test('the tree holds loco.toml verbatim and only the rendered profile\'s overlay', () => {
  const text = API + '[Profile.dev]\n[Profile.prod]\n';
  const tree = render(text);
  assert.equal(tree.get('apps/api/loco.toml'), text);
  const scope = appScope('api', 'dev');
  assert.ok([...tree.keys()].every((k) => scope.some((s) => k === s || k.startsWith(s))));
  assert.equal(doc(tree, 'release.yaml').configDigest, configDigest(text));
});

test('with an autoscaler the Deployment leaves replicas to it; without, replicas are set', () => {
  const scaled = render(API + '[Resources.Replicas]\nMin = 2\nMax = 4\n');
  assert.equal(doc(scaled, 'deployment-patch.yaml').spec.replicas, undefined);
  assert.equal(doc(scaled, 'hpa.yaml').spec.maxReplicas, 4);
  assert.equal(doc(scaled, 'pdb.yaml').spec.maxUnavailable, 1);
  const fixed = render(API);
  assert.equal(doc(fixed, 'deployment-patch.yaml').spec.replicas, 1);
  assert.ok(![...fixed.keys()].some((k) => k.endsWith('hpa.yaml') || k.endsWith('pdb.yaml')));
});

test('an image with a digest is pinned by digest; a tag otherwise', () => {
  const digest = 'sha256:' + 'b'.repeat(64);
  const pinned = doc(render(API, { image: `reg.example:5000/a/api:1.0@${digest}` }), 'overlays/default/kustomization.yaml');
  assert.deepEqual(pinned.images, [{ name: 'app-image', newName: 'reg.example:5000/a/api', digest }]);
  const overlay = doc(render(API, { image: 'reg.example:5000/a/api:2.1' }), 'overlays/default/kustomization.yaml');
  assert.deepEqual(overlay.images, [{ name: 'app-image', newName: 'reg.example:5000/a/api', newTag: '2.1' }]);
});

test('secrets become secretKeyRef and their values never appear in the tree', () => {
  const tree = render(API + '[Env.Secrets]\nDATABASE_URL = "db-credentials/url"\n');
  const container = doc(tree, 'deployment-patch.yaml').spec.template.spec.containers[0];
  assert.deepEqual(container.env, [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'url' } } }]);
  assert.equal(doc(tree, 'configmap.yaml').data.DATABASE_URL, undefined);
});

test('a change of a variable renames the env ConfigMap, so pods roll', () => {
  const a = doc(render(API + '[Env.Variables]\nA = "1"\n'), 'configmap.yaml').metadata.name;
  const b = doc(render(API + '[Env.Variables]\nA = "2"\n'), 'configmap.yaml').metadata.name;
  assert.match(a, /^api-env-[0-9a-f]{10}$/);
  assert.notEqual(a, b);
});

test('LOCO_* variables are injected, with URLs of the other apps but not of itself', () => {
  const data = doc(render(API, { otherApps: [{ name: 'api', url: 'http://self' }, { name: 'web-ui', url: 'http://web' }] }), 'configmap.yaml').data;
  assert.equal(data.LOCO_APP_NAME, 'api');
  assert.equal(data.LOCO_PROFILE, 'default');
  assert.equal(data.LOCO_APP_VERSION, '1.0');
  assert.equal(data.LOCO_WEB_UI_URL, 'http://web');
  assert.equal(data.LOCO_API_URL, undefined);
});

test('a worker has no Service and no route; a cron job is a CronJob with its schedule', () => {
  const worker = render('[Metadata]\nName = "w"\nType = "WORKER"\n');
  assert.ok(![...worker.keys()].some((k) => /service\.yaml|route\.yaml/.test(k)));
  const cron = render('[Metadata]\nName = "c"\nType = "CRON"\n[Cron]\nSchedule = "@daily"\n');
  assert.equal(doc(cron, 'cronjob-patch.yaml').spec.schedule, '@daily');
});

test('a gRPC service gets a GRPCRoute and an h2c Service port', () => {
  const tree = render(API + '[Routing]\nProtocol = "grpc"\n');
  assert.equal(doc(tree, 'route.yaml').kind, 'GRPCRoute');
  assert.equal(doc(tree, 'service-patch.yaml').spec.ports[0].appProtocol, 'kubernetes.io/h2c');
});

test('an unknown profile is a usage error that suggests the nearest one', () => {
  const text = API + '[Profile.prod]\n';
  const config = parseConfig(text);
  assert.throws(() => renderApp({ config, configText: text, profile: 'prd', image: 'x:1', workspace: 'ws' }), (e: LocoError) => e.code === 'usage.unknown-profile' && /prod/.test(e.hint));
});

test('Env.File without its content is an error that says how to provide it', () => {
  assert.throws(() => render(API + '[Env]\nFile = ".env"\n'), (e: LocoError) => e.code === 'config.env-file-missing');
  const data = doc(render(API + '[Env]\nFile = ".env"\n[Env.Variables]\nA = "toml"\n', { envFile: 'A=file\nB="two words"\n' }), 'configmap.yaml').data;
  assert.deepEqual([data.A, data.B], ['toml', 'two words']);
});

test('overrides apply after the profile and survive a redeploy of the same config', () => {
  const text = API + '[Profile.prod]\nCPU = "500m"\n[Profile.prod.Env.Variables]\nMODE = "toml"\n';
  let overrides = setOverrides('', 'prod', { env: { set: { MODE: 'override', EXTRA: '1' } } });
  overrides = setOverrides(overrides, 'prod', { replicas: 3, memory: '1Gi' });
  const tree = render(text, { profile: 'prod', overrides });
  const patch = doc(tree, 'deployment-patch.yaml');
  assert.equal(patch.spec.replicas, 3);
  assert.deepEqual(patch.spec.template.spec.containers[0].resources.requests, { cpu: '500m', memory: '1Gi' });
  assert.equal(doc(tree, 'configmap.yaml').data.MODE, 'override');
  const unset = setOverrides(overrides, 'prod', { env: { unset: ['EXTRA'] } });
  assert.deepEqual(parseOverrides(unset).prod.env?.variables, { MODE: 'override' });
});

test('an override with a bad value is refused and the file is not changed', () => {
  assert.throws(() => setOverrides('', 'prod', { memory: '1 GB' }), (e: LocoError) => e.code === 'validation.invalid-override');
  assert.throws(() => setOverrides('', 'prod', { env: { set: { API_TOKEN: 'x' } } }), (e: LocoError) => e.problems?.[0].code === 'config.plain-secret');
});

test('loco init templates parse and render; --minimal is three lines', () => {
  const minimal = initTemplate({ name: 'hello', minimal: true, image: 'nginx:1.27' });
  assert.equal(minimal.trim().split('\n').length, 3);
  assert.ok(render(minimal.replace('hello', 'api')).size > 5);
  const full = initTemplate({ name: 'hello' });
  assert.deepEqual(profileNames(parseConfig(full)), ['dev', 'prod']);
  assert.throws(() => initTemplate({ name: 'Hello World' }), (e: LocoError) => e.code === 'usage.invalid-name');
});

test('liveness is laxer than readiness in every Deployment: checked half as often, twice the failures (a slow dependency must not restart healthy pods)', () => {
  let seen = 0;
  for (const example of examples) {
    for (const profile of profileNames(example.config)) {
      for (const [file, text] of renderExample(example, profile, examples)) {
        if (!file.endsWith('deployment-patch.yaml')) continue;
        const c = parse(text).spec.template.spec.containers[0];
        if (!c.readinessProbe) continue;
        seen++;
        const { livenessProbe: live, readinessProbe: ready } = c;
        assert.notDeepEqual(live, ready, `${example.name}/${profile}`);
        assert.ok(live.periodSeconds > ready.periodSeconds && live.failureThreshold > ready.failureThreshold, `${example.name}/${profile}: ${JSON.stringify({ live, ready })}`);
        // Same check, so a pod that answers readiness is never killed by liveness.
        assert.deepEqual(live.httpGet ?? live.grpc ?? live.tcpSocket ?? live.exec, ready.httpGet ?? ready.grpc ?? ready.tcpSocket ?? ready.exec);
      }
    }
  }
  assert.ok(seen > 5, `only ${seen} Deployments with probes among the examples`);
  const c = doc(render(`${API}[Health]\nPath = "/healthz"\nInterval = "15s"\nFailThreshold = 4\n`), 'deployment-patch.yaml').spec.template.spec.containers[0];
  assert.deepEqual([c.readinessProbe.periodSeconds, c.readinessProbe.failureThreshold], [15, 4]);
  assert.deepEqual([c.livenessProbe.periodSeconds, c.livenessProbe.failureThreshold], [30, 8]);
});

test('two or more replicas (or an autoscaler that may reach two) are spread over zones and nodes; one replica is not', () => {
  const spreadOf = (extra: string) => doc(render(`${API}${extra}`), 'deployment-patch.yaml').spec.template.spec.topologySpreadConstraints;
  assert.equal(spreadOf(''), undefined);
  assert.equal(spreadOf('[Resources.Replicas]\nMin = 1\nMax = 1\n'), undefined);
  for (const extra of ['[Resources.Replicas]\nMin = 2\n', '[Resources.Replicas]\nMin = 1\nMax = 4\n']) {
    const spread = spreadOf(extra);
    assert.deepEqual(spread?.map((s: { topologyKey: string }) => s.topologyKey), ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'], extra);
    for (const s of spread) {
      assert.equal(s.whenUnsatisfiable, 'ScheduleAnyway'); // a single-zone or one-node cluster still runs the pods
      assert.equal(s.maxSkew, 1);
      assert.deepEqual(s.labelSelector, { matchLabels: { 'app.kubernetes.io/name': 'api' } });
    }
  }
});
