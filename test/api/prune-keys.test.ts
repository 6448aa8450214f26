// The prune guard's resource keys (kind/name) are read by a line scan of the YAML Loco writes,
// falling back to a full YAML parse for anything else. Checked against the full parse on every
// rendered file of the golden tree and on YAML the scan must hand over to the parser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { pruneVerdict, resourceKeys } from '../../api/deployments/prune-guard.ts';

const GOLDEN = join(import.meta.dirname, '..', 'golden');

/** What a full YAML parse says the file's resources are: the reference. */
function parsed(text: string): string[] {
  return parseAllDocuments(text).flatMap((doc) => {
    const v = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null;
    return v && typeof v.kind === 'string' && !['Kustomization', 'Component'].includes(v.kind) && typeof v.metadata?.name === 'string' ? [`${v.kind}/${v.metadata.name}`] : [];
  });
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

test('every rendered file of the golden tree yields the keys a full YAML parse finds', () => {
  const files = yamlFiles(GOLDEN);
  assert.ok(files.length > 100, `golden files found: ${files.length}`);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    assert.deepEqual([...resourceKeys(new Map([[file, text]]))].sort(), [...new Set(parsed(text))].sort(), file);
  }
});

test('YAML written another way (quoted, flow style, numbers, several documents) gives the same keys as a parse', () => {
  const cases = [
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: "quoted"\n',
    "apiVersion: v1\nkind: 'ConfigMap'\nmetadata:\n  labels:\n    name: not-this\n  name: cm\n",
    'apiVersion: v1\nkind: Secret\nmetadata: { name: flow }\n',
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: 123\n',
    'apiVersion: v1\nkind: Service\nmetadata:\n    name: four-spaces\n',
    'kind: Service\nmetadata:\n  name: a\n---\nkind: Kustomization\nmetadata:\n  name: k\n---\nkind: Deployment\nmetadata:\n  name: b # a comment\n',
    '--- !tagged\nkind: Service\nmetadata:\n  name: t\n',
    'kind: Service\nspec:\n  name: not-metadata\n',
  ];
  for (const text of cases) assert.deepEqual([...resourceKeys(new Map([['x.yaml', text]]))].sort(), [...new Set(parsed(text))].sort(), text);
});

test('removing many resources for few new ones needs confirmation; a small change does not', () => {
  const doc = (kind: string, name: string) => `apiVersion: v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n`;
  const before = new Map([['a.yaml', [doc('Service', 'web'), doc('HTTPRoute', 'web'), doc('BackendTrafficPolicy', 'web'), doc('Deployment', 'web')].join('---\n')]]);
  const wide = pruneVerdict(before, new Map([['a.yaml', doc('Deployment', 'web')]]));
  assert.deepEqual(wide, { removed: ['BackendTrafficPolicy/web', 'HTTPRoute/web', 'Service/web'], added: [], needsConfirmation: true });
  assert.equal(pruneVerdict(before, new Map([['a.yaml', [doc('Service', 'web'), doc('Deployment', 'web'), doc('HTTPRoute', 'web')].join('---\n')]])).needsConfirmation, false);
});
