// Golden files: every example rendered for each of its profiles, compared byte for byte with
// test/golden/<example>/<profile>/. `UPDATE_GOLDEN=1 npm test` rewrites them for review.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { profileNames } from '../../generator/index.ts';
import { repoRoot } from '../support/manifests.ts';
import { loadExamples, renderExample } from './examples.ts';

const goldenDir = path.join(repoRoot, 'test', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(path.join(dir, d.name), `${prefix}${d.name}/`) : [`${prefix}${d.name}`],
  );
}

const examples = loadExamples();

test('there are at least ten examples, covering every app type and several profiles', () => {
  assert.ok(examples.length >= 10, `only ${examples.length} examples`);
  const types = new Set(examples.map((e) => e.config.type));
  assert.deepEqual([...types].sort(), ['CRON', 'SERVICE', 'WORKER']);
  assert.ok(examples.filter((e) => profileNames(e.config).length >= 2).length >= 5);
});

for (const example of examples) {
  for (const profile of profileNames(example.config)) {
    test(`${example.name} (${profile}) renders as its golden files`, () => {
      const tree = renderExample(example, profile, examples);
      const dir = path.join(goldenDir, example.name, profile);
      if (update) {
        rmSync(dir, { recursive: true, force: true });
        for (const [file, text] of tree) {
          mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
          writeFileSync(path.join(dir, file), text);
        }
      }
      assert.deepEqual(listFiles(dir).sort(), [...tree.keys()].sort(), `files differ from ${path.relative(repoRoot, dir)}; run UPDATE_GOLDEN=1 npm test and review the diff`);
      for (const [file, text] of tree) {
        assert.equal(text, readFileSync(path.join(dir, file), 'utf8'), `${example.name}/${profile}/${file} differs from its golden file`);
      }
    });
  }
}

test('no golden folder is left over from a removed example or profile', () => {
  const expected = new Set(examples.flatMap((e) => profileNames(e.config).map((p) => `${e.name}/${p}`)));
  const present = readdirSync(goldenDir).flatMap((e) => readdirSync(path.join(goldenDir, e)).map((p) => `${e}/${p}`));
  if (update) for (const stale of present.filter((p) => !expected.has(p))) rmSync(path.join(goldenDir, stale), { recursive: true });
  else assert.deepEqual(present.filter((p) => !expected.has(p)), []);
});
