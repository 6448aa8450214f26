// loco.toml format versions: ConfigVersion "0.1" files (loco's existing users) read with the
// old keys, defaults and "0 means unset"; the current version keeps its own; unknown versions
// are refused naming the ones Loco reads.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocoError, parseConfig, renderApp, resolveProfile, profileNames } from '../../generator/index.ts';

const WS = 'acme--default';
const old = (body: string) => `[Metadata]\nConfigVersion = "0.1"\nName = "api"\n${body}`;
const current = (body: string) => `[Metadata]\nConfigVersion = 1\nName = "api"\n${body}`;
const errorOf = (fn: () => unknown): LocoError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof LocoError) return error;
    throw error;
  }
  assert.fail('expected a LocoError');
};

test('a 0.1 file gets the old defaults; a current file the current ones', () => {
  const o = resolveProfile(parseConfig(old('[Routing]\nSubdomain = "api"\n')), 'default', WS);
  assert.equal(o.routing.port, 8000);
  assert.equal(o.resources.cpu, '100m');
  assert.equal(o.health.path, '/health');
  assert.equal(o.health.interval, 30);
  assert.equal(o.health.timeout, 5);
  assert.equal(o.health.startupGracePeriod, 0);
  assert.equal(o.obs.logging.retentionPeriod, '7d');
  assert.equal(o.obs.logging.format, 'text'); // Structured = false
  const c = resolveProfile(parseConfig(current('')), 'default', WS);
  assert.equal(c.routing.port, 8080);
  assert.equal(c.resources.cpu, '250m');
  assert.equal(c.health.path, '/');
  assert.equal(c.obs.logging.retentionPeriod, '');
});

test('a file without ConfigVersion is the current version, or the version recorded with its release', () => {
  const text = '[Metadata]\nName = "api"\n';
  assert.equal(parseConfig(text).version, 1);
  assert.equal(resolveProfile(parseConfig(text), 'default', WS).routing.port, 8080);
  const recorded = parseConfig(text, 'loco.toml', { version: '0.1' });
  assert.equal(recorded.version, '0.1');
  assert.equal(resolveProfile(recorded, 'default', WS).routing.port, 8000);
});

test('0 means unset in a 0.1 file: CPUTarget, IdleTimeout, FailThreshold, Metrics.Port, SampleRate', () => {
  const config = parseConfig(old(`[Resources.Replicas]\nMin = 1\nMax = 3\n[Resources.Scalers]\nEnabled = true\nCPUTarget = 0\nMemoryTarget = 80\n[Routing]\nSubdomain = "api"\nIdleTimeout = 0\n[Health]\nFailThreshold = 0\n[Obs.Metrics]\nEnabled = true\nPort = 0\n[Obs.Tracing]\nEnabled = true\nSampleRate = 0\n`));
  const spec = resolveProfile(config, 'default', WS);
  assert.equal(spec.routing.idleTimeout, 60);
  assert.equal(spec.health.failThreshold, 3);
  assert.equal(spec.obs.metrics.port, 9090);
  assert.equal(spec.obs.tracing.sampleRate, 0.1);
  const tree = renderApp({ config, configText: '', profile: 'default', image: 'reg.example/api:1', workspace: WS });
  const hpa = tree.get('apps/api/overlays/default/hpa.yaml')!;
  assert.match(hpa, /name: memory/);
  assert.doesNotMatch(hpa, /name: cpu/, 'CPUTarget = 0 is "not set", not a CPU target');
  // The same 0 in a current file is a real value, checked as such.
  const e = errorOf(() => parseConfig(current('[Health]\nFailThreshold = 0\n')));
  assert.match(e.problems![0].message, /FailThreshold: 0 is out of range/);
});

test('an unknown key is a warning with line and "did you mean" in 0.1, an error in the current version', () => {
  const config = parseConfig(old('[Routing]\nSubdomain = "api"\nPrt = 9000\n'), 'svc/loco.toml');
  assert.equal(config.warnings.length, 1);
  const w = config.warnings[0];
  assert.equal(w.code, 'config.unknown-key');
  assert.deepEqual(w.at, { file: 'svc/loco.toml', line: 6, column: 1 });
  assert.equal(w.hint, 'did you mean Routing.Port?');
  const e = errorOf(() => parseConfig(current('[Routing]\nPrt = 9000\n')));
  assert.equal(e.problems![0].code, 'config.unknown-key');
});

test('old keys read case-insensitively; Obs.Logging, Obs.Tracing.Tags and Structured are accepted', () => {
  const config = parseConfig(old('[routing]\nsubdomain = "api"\n[obs.logging]\nenabled = true\nretentionperiod = "3d"\nstructured = true\n[Obs.Tracing]\nEnabled = true\n[Obs.Tracing.Tags]\nteam = "core"\n'));
  assert.deepEqual(config.warnings, []);
  const spec = resolveProfile(config, 'default', WS);
  assert.equal(spec.obs.logging.retentionPeriod, '3d');
  assert.equal(spec.obs.logging.format, 'json');
  assert.deepEqual(spec.obs.tracing.tags, { team: 'core' });
});

test('an unsupported ConfigVersion is refused, naming the versions this Loco reads', () => {
  for (const v of ['"0.2"', '2']) {
    const e = errorOf(() => parseConfig(`[Metadata]\nConfigVersion = ${v}\nName = "api"\n`));
    assert.equal(e.code, 'config.unsupported-version');
    assert.match(e.message, /it reads "0\.1" and 1/);
    assert.equal(e.at!.line, 2);
  }
});

test('Metadata.Type DATABASE, CACHE, QUEUE, BLOB, FUNCTION are "not supported yet", with the supported types', () => {
  for (const type of ['DATABASE', 'CACHE', 'QUEUE', 'BLOB', 'FUNCTION']) {
    for (const wrap of [old, current]) {
      const e = errorOf(() => parseConfig(wrap(`Type = "${type}"\n`)));
      const p = e.problems!.find((x) => x.path === 'Metadata.Type')!;
      assert.equal(p.code, 'config.unsupported-type');
      assert.match(p.message, /is not supported yet/);
      assert.match(p.hint, /SERVICE, WORKER, CRON/);
    }
  }
});

test('the regions dialect: each RegionConfig entry is a profile, Metadata.Region the default, Hostname the full host', () => {
  const config = parseConfig(old(`Region = "eu-west-1"\n[DomainConfig]\nType = "custom"\nHostname = "app.acme.io"\n[RegionConfig.us-east-1]\nCPU = "300m"\nMemory = "1Gi"\nReplicasMin = 2\nReplicasMax = 2\n[RegionConfig.eu-west-1]\nCPU = "100m"\nMemory = "128Mi"\nReplicasMin = 1\nReplicasMax = 1\n`));
  assert.deepEqual(profileNames(config), ['useast1', 'euwest1']);
  assert.equal(config.defaultProfile, 'euwest1');
  const us = resolveProfile(config, 'useast1', WS);
  assert.equal(us.resources.cpu, '300m');
  assert.equal(us.resources.replicas.min, 2);
  const tree = renderApp({ config, configText: '', profile: 'useast1', image: 'reg.example/api:1', workspace: WS });
  assert.match(tree.get('apps/api/overlays/useast1/route.yaml')!, /- app\.acme\.io/);
  const e = errorOf(() => parseConfig(old('Region = "ap-south-1"\n[RegionConfig.us-east-1]\nCPU = "1"\nMemory = "1Gi"\n')));
  assert.match(e.problems![0].message, /Metadata.Region "ap-south-1" is not one of/);
});

test('Obs.Tracing becomes OTEL_* env: platform endpoint, sampler from SampleRate, resource attributes from Tags, workspace, app and profile', () => {
  const config = parseConfig(old('[Routing]\nSubdomain = "api"\n[Obs.Tracing]\nEnabled = true\nSampleRate = 0.5\n[Obs.Tracing.Tags]\nteam = "core team"\n'));
  const tree = renderApp({ config, configText: '', profile: 'default', image: 'reg.example/api:1', workspace: WS, otlpEndpoint: 'http://collector.obs:4318' });
  const cm = tree.get('apps/api/overlays/default/configmap.yaml')!;
  assert.match(cm, /OTEL_EXPORTER_OTLP_ENDPOINT: http:\/\/collector\.obs:4318/);
  assert.match(cm, /OTEL_TRACES_SAMPLER: parentbased_traceidratio/);
  assert.match(cm, /OTEL_TRACES_SAMPLER_ARG: "0.5"/);
  assert.match(cm, /OTEL_RESOURCE_ATTRIBUTES: deployment\.environment=default,loco\.app=api,loco\.workspace=acme--default,team=core%20team/);
});

test('Obs.Logging becomes what a log pipeline reads: retention label and Fluent Bit annotations', () => {
  const on = renderApp({ config: parseConfig(old('[Routing]\nSubdomain = "api"\n[Obs.Logging]\nRetentionPeriod = "14d"\nStructured = true\n')), configText: '', profile: 'default', image: 'r.example/a:1', workspace: WS });
  const patch = on.get('apps/api/overlays/default/deployment-patch.yaml')!;
  assert.match(patch, /loco\.dev\/log-retention: 14d/);
  assert.match(patch, /fluentbit\.io\/parser: json/);
  const off = renderApp({ config: parseConfig(old('[Routing]\nSubdomain = "api"\n[Obs.Logging]\nEnabled = false\n')), configText: '', profile: 'default', image: 'r.example/a:1', workspace: WS });
  assert.match(off.get('apps/api/overlays/default/deployment-patch.yaml')!, /fluentbit\.io\/exclude: "true"/);
});

test('an unterminated string says the closing quote is missing, with line and column', () => {
  const e = errorOf(() => parseConfig('[Metadata]\nName = "api\n'));
  assert.equal(e.problems![0].code, 'config.syntax');
  assert.match(e.message, /loco\.toml:2:8: the string that starts at line 2, column 8 has no closing quote/);
  assert.match(e.hint, /add the closing "/);
});
