// Every rendered overlay of every example is built with the real `kubectl kustomize`, and every
// built document plus every kustomization.yaml is validated against ../shared/schemas.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { profileNames } from '../../generator/index.ts';
import { kustomizeBuild, validateManifests } from '../support/manifests.ts';
import { loadExamples, renderExample, writeTree } from './examples.ts';

const work = mkdtempSync(path.join(tmpdir(), 'loco-kustomize-'));
after(() => rmSync(work, { recursive: true, force: true }));

const examples = loadExamples();

for (const example of examples) {
  test(`${example.name}: every overlay builds with kustomize and passes the schemas`, async () => {
    const profiles = profileNames(example.config);
    await Promise.all(
      profiles.map(async (profile) => {
        const root = path.join(work, example.name, profile);
        const tree = renderExample(example, profile, examples);
        writeTree(root, tree);
        const app = example.config.name;
        const kustomizations = [...tree].filter(([file]) => file.endsWith('kustomization.yaml')).map(([, text]) => text);
        const own = validateManifests(kustomizations.join('---\n'));
        assert.deepEqual(own.errors, [], `${example.name}/${profile} kustomization files`);
        const built = await kustomizeBuild(path.join(root, 'apps', app, 'overlays', profile));
        const result = validateManifests(built);
        assert.deepEqual(result.errors, [], `${example.name}/${profile} built manifests`);
        const kinds = parseAllDocuments(built).map((d) => (d.toJS() as { kind: string }).kind);
        assert.ok(kinds.includes('Namespace') && kinds.includes('NetworkPolicy'), `${example.name}/${profile}: ${kinds.join(', ')}`);
      }),
    );
  });
}
