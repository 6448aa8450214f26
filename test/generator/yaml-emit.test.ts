// The generator's YAML emitter (generator/render/yaml.ts) writes what the `yaml` package's
// stringify writes with the options renderers used (lineWidth 0, no sorting, no aliases), byte
// for byte, for generated values full of the characters that change a scalar's style: indicators,
// ": " and " #", quotes, line breaks, leading and trailing spaces, document markers, control
// characters, and strings that read as numbers, booleans or null.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { toYaml, toYamlDocuments } from '../../generator/render/yaml.ts';

const RUNS = Number(process.env.LOCO_FUZZ_RUNS ?? 3000);
const reference = (doc: unknown) => stringify(doc, { lineWidth: 0, sortMapEntries: false, aliasDuplicateObjects: false });

const pieces = ['a', 'Z', '0', '7', '-', '?', ':', ': ', ' #', '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`',
  ' ', '  ', '\t', '\n', '\n\n', ' \n', '\n ', '---', '...', 'true', 'True', 'FALSE', 'null', 'NULL', '~', '.', '/', '_', 'NaN', '.inf', '0x1F', '0o7', '1e3', '1.5', '+', '\\',
  '\x01', '\x7f', '\u0085', '\u00a0', '\u2028', 'é', '日本', '\ud800', 'x'.repeat(50)];
const text = fc.array(fc.constantFrom(...pieces), { maxLength: 8 }).map((p) => p.join(''));
const scalar = fc.oneof(text, text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom(-0, 0.1, 1e21, 5e-7));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('map'), tie('list')),
  map: fc.dictionary(text, fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 4 }),
  list: fc.array(tie('value'), { maxLength: 4 }),
}));
const root = fc.oneof(fc.dictionary(text, value, { maxKeys: 5 }), fc.array(value, { maxLength: 4 }));

test('the emitter writes what yaml stringify writes, for generated documents', () => {
  fc.assert(fc.property(root, (doc) => assert.equal(toYaml(doc), reference(doc))), { numRuns: RUNS });
});

test('the emitter writes what yaml stringify writes, for long keys and long multi-line strings', () => {
  const long = 'k'.repeat(1100);
  const docs = [
    { [long]: 'v', [`${long}:`]: { a: 1 }, list: [long, { [long]: [1] }] },
    { text: 'a line that is long enough to be folded\nthen more\n\n  indented\n', 'say "hi"': "it's", 'both \'"': 'x\n y' },
    { nested: { deeper: [['a', 'b'], [], {}, { c: null }, [{ d: [{}] }]] } },
  ];
  for (const doc of docs) assert.equal(toYaml(doc), reference(doc));
  assert.equal(toYamlDocuments(docs), docs.map(reference).join('---\n'));
});
