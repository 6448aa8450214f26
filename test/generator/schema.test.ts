// The published JSON Schema and reference page come from the field table: they must be up to
// date, and the schema must accept what Loco accepts (every example) and flag unknown keys.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import AjvModule from 'ajv';
import { parse } from 'smol-toml';
import { referencePage } from '../../generator/schema/reference.ts';
import { docsDir, schemaText } from '../../generator/schema/write.ts';
import { rootFields } from '../../generator/config/fields.ts';
import { loadExamples } from './examples.ts';

const Ajv = ((AjvModule as any).default ?? AjvModule) as new (opts: object) => any;
const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(schemaText()));

test('docs/loco.schema.json is up to date with the field table', () => {
  assert.equal(readFileSync(path.join(docsDir, 'loco.schema.json'), 'utf8'), schemaText(), 'run: node generator/schema/write.ts');
});

test('docs/loco-toml.md is up to date with the field table', () => {
  assert.equal(readFileSync(path.join(docsDir, 'loco-toml.md'), 'utf8'), referencePage(), 'run: node generator/schema/write.ts');
});

test('the reference page lists every key of the field table', () => {
  const page = referencePage();
  (function walk(fields: typeof rootFields, prefix: string) {
    for (const f of fields) {
      if (f.kind === 'table') {
        assert.ok(page.includes(`### [${prefix}${f.key}]`), `section ${prefix}${f.key}`);
        walk(f.fields, `${prefix}${f.key}.`);
      } else assert.ok(page.includes(`| \`${f.key}\` |`), `key ${prefix}${f.key}`);
    }
  })(rootFields, '');
});

test('the JSON Schema accepts every example, whatever the key case', () => {
  for (const example of loadExamples()) {
    assert.ok(validate(parse(example.text)), `${example.name}: ${JSON.stringify(validate.errors)}`);
  }
});

test('the JSON Schema flags an unknown key and a wrong type, as validation does', () => {
  assert.equal(validate(parse('[Metadata]\nName = "a"\n[Resources]\nMemroy = "1Gi"\n')), false);
  assert.equal(validate(parse('[Metadata]\nName = "a"\n[Routing]\nPort = "80"\n')), false);
  assert.equal(validate(parse('[Metadata]\nName = "a"\n[Profile.prod]\nCpu = "1"\nReplicas.Max = 3\n')), true);
});
