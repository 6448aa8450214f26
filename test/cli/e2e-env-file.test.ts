// Through the real `loco` binary and a real API process: Env.File next to loco.toml is read by
// the CLI, sent with the deploy and committed into the app's ConfigMap (Node's dotenv rules:
// quoted and multi-line values), and the platform's observability endpoints (LOCO_OTLP_,
// LOCO_TRACING_, LOCO_METRICS_ENDPOINT of the API) are injected into every app it renders.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { optionsFromEnv } from '../../api/options.ts';
import { LocoError } from '../../generator/errors.ts';
import { appDir, loco, startApi, type RunningApi } from './harness.ts';

const ENDPOINTS = {
  LOCO_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
  LOCO_TRACING_ENDPOINT: 'http://tempo.observability:4318',
  LOCO_METRICS_ENDPOINT: 'http://mimir.observability:8080/otlp',
};

let api: RunningApi;
let env: Record<string, string>;
before(async () => {
  api = await startApi(ENDPOINTS);
  env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
});
after(async () => api?.stop());

/** A file of main as the API's local repository holds it, read with the git CLI. */
const committed = (path: string) => execFileSync('git', ['--git-dir', join(api.dataDir, 'repos', 'default--default.git'), 'show', `main:${path}`], { encoding: 'utf8' });

test('loco deploy sends Env.File and its variables land in the committed ConfigMap, with the platform endpoints', async () => {
  const toml = '[Metadata]\nName = "notes"\n[Routing]\nPort = 8080\n[Env]\nFile = "app.env"\n[Env.Variables]\nGREETING = "from loco.toml"\n[Obs.Tracing]\nEnabled = true\n[Profile.dev]\n';
  const dotenv = 'GREETING=from the file\nexport MODE=\'single quoted\'\nMOTD="line one\nline two"\n# a comment\nEMPTY=\n';
  const dir = appDir(toml, { 'app.env': dotenv });
  const result = await loco(['deploy', '--profile', 'dev', '--image', 'registry.example.com/acme/notes:1', '-o', 'json'], { cwd: dir, env });
  assert.equal(result.code, 0, result.stderr);
  const kustomization = parse(committed('apps/notes/overlays/dev/kustomization.yaml')) as { resources: string[] };
  assert.ok(kustomization.resources.includes('configmap.yaml'));
  const data = (parse(committed('apps/notes/overlays/dev/configmap.yaml')) as { data: Record<string, string> }).data;
  assert.equal(data.GREETING, 'from loco.toml', 'Env.Variables wins over the file');
  assert.equal(data.MODE, 'single quoted');
  assert.equal(data.MOTD, 'line one\nline two');
  assert.equal(data.EMPTY, '');
  assert.equal(data.LOCO_TRACING_ENDPOINT, ENDPOINTS.LOCO_TRACING_ENDPOINT);
  assert.equal(data.LOCO_METRICS_ENDPOINT, ENDPOINTS.LOCO_METRICS_ENDPOINT);
  assert.equal(data.OTEL_EXPORTER_OTLP_ENDPOINT, ENDPOINTS.LOCO_OTLP_ENDPOINT, 'the platform collector, not the built-in default');
});

test('a missing Env.File is a config error naming the path, and nothing is deployed', async () => {
  const dir = appDir('[Metadata]\nName = "lost"\n[Routing]\nPort = 8080\n[Env]\nFile = "missing.env"\n');
  const result = await loco(['deploy', '--image', 'registry.example.com/acme/lost:1'], { cwd: dir, env });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /Env\.File names missing\.env, which does not exist/);
  assert.throws(() => committed('apps/lost/loco.toml'));
});

test('an endpoint setting that is not an http(s) URL stops the API at start-up, naming the variable', () => {
  assert.throws(() => optionsFromEnv({ LOCO_METRICS_ENDPOINT: 'mimir:8080' }), (e: unknown) => e instanceof LocoError && e.code === 'config.invalid-setting' && /LOCO_METRICS_ENDPOINT="mimir:8080" is not an http\(s\) URL/.test(e.message));
  assert.deepEqual(optionsFromEnv({ LOCO_TRACING_ENDPOINT: 'https://tempo.example.com' }).endpoints, { tracingEndpoint: 'https://tempo.example.com' });
  assert.equal(optionsFromEnv({}).endpoints, undefined);
});
