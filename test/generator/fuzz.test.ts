// Property tests over thousands of generated configs (built from the field table, mostly valid
// values in random key case, some junk) and mutated example texts: validation never throws
// anything but a LocoError, and whatever it accepts renders for every profile to documents
// that pass the schemas — a sample of them built with the real kubectl kustomize.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import type { Field, ProfileField, ScalarField } from '../../generator/config/field-types.ts';
import { profileFields, rootFields } from '../../generator/config/fields.ts';
import { LocoError, parseConfig, profileNames, renderApp, type RenderedTree } from '../../generator/index.ts';
import { kustomizeBuild, validateManifests } from '../support/manifests.ts';
import { loadExamples, PLATFORM, writeTree } from './examples.ts';

const RUNS = Number(process.env.LOCO_FUZZ_RUNS ?? 1000);
const KUSTOMIZE_SAMPLE = 16;

const junk = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.double(), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }));
const envName = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/);

const validStrings: Record<string, fc.Arbitrary<string>> = {
  Name: fc.stringMatching(/^[a-z][a-z0-9-]{0,18}[a-z0-9]$/).filter((n) => !n.includes('--')),
  Subdomain: fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/),
  BaseDomain: fc.constantFrom('example.com', 'dev.acme.io', 'a.b.c.example'),
  PathPrefix: fc.constantFrom('/', '/api', '/a/b-c', '/v1/'),
  Path: fc.constantFrom('/', '/healthz', '/metrics'),
  Gateway: fc.constantFrom('loco-system/loco', 'gw/public'),
  Image: fc.constantFrom('', '', '', 'ghcr.io/acme/x:1.2', 'reg.io:5000/a/b@sha256:' + 'c'.repeat(64)),
  DockerfilePath: fc.constantFrom('Dockerfile', 'docker/app.Dockerfile'),
  Context: fc.constantFrom('.', 'src'),
  Schedule: fc.constantFrom('', '', '@daily', '*/5 * * * *', '0 3 * * 1-5'),
  TimeZone: fc.constantFrom('UTC', 'Europe/Berlin'),
  Endpoint: fc.constantFrom('http://otel:4317', 'https://x.example:4318'),
  File: fc.constantFrom('', '.env'),
  GrpcService: fc.constantFrom('', 'a.v1.B'),
  RetentionPeriod: fc.constantFrom('', '7d', '72h'),
};

function anyCase(key: string): fc.Arbitrary<string> {
  return fc.constantFrom(key, key.toLowerCase(), key.toUpperCase());
}

function validValue(field: ScalarField): fc.Arbitrary<unknown> {
  switch (field.kind) {
    case 'enum':
      return fc.constantFrom(...field.enumValues!).chain((v) => anyCase(v));
    case 'integer':
      return fc.integer({ min: field.min ?? 0, max: Math.min(field.max ?? 1000, 1000) });
    case 'number':
      return fc.double({ min: field.min ?? 0, max: field.max ?? 1, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'cpu':
      return fc.constantFrom('100m', '250m', '0.5', '1', 2);
    case 'memory':
      return fc.constantFrom('64Mi', '128Mi', '1Gi', '1.5Gi');
    case 'duration':
      return fc.oneof(fc.integer({ min: field.min ?? 0, max: Math.min(field.max ?? 300, 300) }), fc.constantFrom('10s', '2m', '1m30s'));
    case 'strings':
      return fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.constantFrom('shop.v1.Orders', 'a.B'), { maxLength: 2 }) });
    case 'env-map':
      return fc.dictionary(envName, fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()), { maxKeys: 3 });
    case 'secret-map':
      return fc.dictionary(envName, fc.constantFrom('db/url', 'creds.v1/api-key'), { maxKeys: 2 });
    case 'string-map':
      return fc.dictionary(fc.constantFrom('team', 'tier', 'service.namespace'), fc.string({ maxLength: 8 }), { maxKeys: 2 });
    case 'string':
      return validStrings[field.key] ?? fc.string({ maxLength: 10 });
  }
}

function valueFor(field: Field): fc.Arbitrary<unknown> {
  if (field.kind === 'table') return table(field.fields);
  return fc.oneof({ weight: 40, arbitrary: validValue(field) }, { weight: 1, arbitrary: junk });
}

function table(fields: readonly ProfileField[]): fc.Arbitrary<Record<string, unknown>> {
  const entries = fields.map((f) => {
    if (f.kind === 'alias') return fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(anyCase(f.key), valueFor(resolveAlias(f.target))) });
    return fc.option(fc.tuple(anyCase(f.key), valueFor(f)), { freq: 2 });
  });
  const unknown = fc.oneof({ weight: 40, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Memroy', 'Prot', 'Extra'), junk) });
  return fc.tuple(fc.tuple(...entries), unknown).map(([list, extra]) => {
    const out: Record<string, unknown> = {};
    for (const e of [...list, extra]) if (e && !(e[0] in out)) out[e[0]] = e[1];
    return out;
  });
}

function resolveAlias(target: readonly string[]): Field {
  let fields: readonly Field[] = rootFields;
  let found: Field = rootFields[0];
  for (const key of target) {
    found = fields.find((f) => f.key === key)!;
    if (found.kind === 'table') fields = found.fields;
  }
  return found;
}

const sections = rootFields.filter((f) => f.key !== 'Metadata');
const configArb = fc
  .tuple(
    fc.record({ Name: fc.oneof({ weight: 15, arbitrary: validStrings.Name }, { weight: 1, arbitrary: junk }), Type: fc.constantFrom('SERVICE', 'worker', 'Cron', 'SERVICE') }),
    table(sections),
    fc.dictionary(fc.oneof({ weight: 8, arbitrary: fc.constantFrom('dev', 'uat', 'prod', 'p2') }, { weight: 1, arbitrary: fc.string({ maxLength: 5 }) }), table(profileFields), { maxKeys: 3 }),
  )
  .map(([metadata, rest, profiles]) => {
    const doc: Record<string, unknown> = { Metadata: metadata, ...rest };
    if (Object.keys(profiles).length) doc.Profile = profiles;
    return stringify(doc);
  });

const exampleTexts = loadExamples().map((e) => e.text);
const mutatedArb = fc
  .tuple(fc.constantFrom(...exampleTexts), fc.array(fc.tuple(fc.nat(), fc.nat(4), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 3 }))
  .map(([text, edits]) => edits.reduce((t, [at, del, ins]) => t.slice(0, at % (t.length + 1)) + ins + t.slice((at % (t.length + 1)) + del), text));

const work = mkdtempSync(path.join(tmpdir(), 'loco-fuzz-'));
after(() => rmSync(work, { recursive: true, force: true }));
const accepted: RenderedTree[] = [];
let acceptedCount = 0;

/** Full objects (not patches) of a tree, plus its kustomizations: valid on their own. */
function standaloneDocs(tree: RenderedTree): string {
  return [...tree]
    .filter(([file]) => file.endsWith('.yaml') && !file.endsWith('-patch.yaml') && !file.endsWith('release.yaml'))
    .map(([, text]) => text)
    .join('---\n');
}

function checkText(text: string): void {
  let config;
  try {
    config = parseConfig(text);
  } catch (error) {
    if (!(error instanceof LocoError)) throw error;
    assert.ok(error.problems && error.problems.length > 0, 'a refused config lists its problems');
    for (const p of error.problems) assert.ok(p.at && p.at.line >= 1 && p.message && p.hint);
    return;
  }
  acceptedCount++;
  for (const profile of profileNames(config)) {
    const tree = renderApp({ config, configText: text, profile, image: 'reg.example/acme/app:1.0', workspace: 'acme--fuzz', envFile: 'FROM_FILE=1\n', otherApps: [{ name: 'other', url: 'http://other' }], platform: PLATFORM });
    const result = validateManifests(standaloneDocs(tree));
    assert.deepEqual(result.errors, [], text);
    // Keep a spread of accepted trees for the (slower) Kustomize check.
    if (acceptedCount % 7 === 1 && accepted.length < KUSTOMIZE_SAMPLE) accepted.push(tree);
  }
}

test('generated configs: validation throws only LocoError, accepted ones render schema-valid documents', (t) => {
  fc.assert(fc.property(configArb, (text) => checkText(text)), { numRuns: RUNS, seed: Number(process.env.LOCO_FUZZ_SEED ?? 42) });
  t.diagnostic(`${acceptedCount} of ${RUNS} generated configs accepted and rendered`);
  assert.ok(acceptedCount > RUNS / 10, `only ${acceptedCount} of ${RUNS} generated configs were accepted; the generator is too noisy`);
});

test('mutated example texts: validation throws only LocoError, never anything else', () => {
  fc.assert(fc.property(mutatedArb, (text) => checkText(text)), { numRuns: RUNS, seed: Number(process.env.LOCO_FUZZ_SEED ?? 7) });
});

test('a sample of accepted fuzz configs builds with kustomize into schema-valid documents', async () => {
  assert.ok(accepted.length >= 8, `only ${accepted.length} trees sampled`);
  await Promise.all(
    accepted.map(async (tree, i) => {
      const root = path.join(work, String(i));
      writeTree(root, tree);
      const overlay = [...tree.keys()].find((k) => k.endsWith('/kustomization.yaml') && k.includes('/overlays/'))!;
      const built = await kustomizeBuild(path.join(root, path.dirname(overlay)));
      assert.deepEqual(validateManifests(built).errors, [], overlay);
    }),
  );
});
