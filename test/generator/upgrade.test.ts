// `loco config upgrade` round trip: every ConfigVersion "0.1" example, upgraded, is a current
// file that renders byte-identical manifests for every profile; comments stay with their keys;
// the CLI prints the diff and --write replaces the file.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig, profileNames, upgradeConfig } from '../../generator/index.ts';
import { appDir, loco } from '../cli/harness.ts';
import { loadExamples, renderExample, type Example } from './examples.ts';

const examples = loadExamples();
const old = examples.filter((e) => e.config.version === '0.1');

/** The rendered tree minus what records the config itself (loco.toml, release.yaml's digest and version). */
function manifests(example: Example, profile: string): Array<[string, string]> {
  return [...renderExample(example, profile, examples)].filter(([path]) => !path.endsWith('/loco.toml') && !path.endsWith('/release.yaml'));
}

test('there are 0.1 examples of both dialects to upgrade', () => {
  assert.ok(old.length >= 3, old.map((e) => e.name).join(', '));
  assert.ok(old.some((e) => /RegionConfig/.test(e.text)));
});

for (const example of old) {
  test(`${example.name}: the upgraded file is current and renders byte-identical manifests`, () => {
    const upgrade = upgradeConfig(example.text, `examples/${example.name}/loco.toml`);
    assert.equal(upgrade.changed, true);
    const config = parseConfig(upgrade.text, 'loco.toml');
    assert.equal(config.version, 1);
    assert.deepEqual(config.warnings ?? [], [], 'the upgraded file has nothing left to warn about');
    assert.deepEqual(profileNames(config), profileNames(example.config));
    const upgraded: Example = { ...example, text: upgrade.text, config };
    for (const profile of profileNames(example.config)) {
      assert.deepEqual(manifests(upgraded, profile), manifests(example, profile), `${example.name}/${profile}`);
    }
    assert.equal(upgradeConfig(upgrade.text).changed, false, 'upgrading again changes nothing');
  });
}

test('comments go with the keys they were on; the opening comment stays on top; ignored keys are named', () => {
  const text = '# my app\n\n[Metadata]\nConfigVersion = "0.1"\nName = "api"\nColour = "red" # stale\n\n# where it listens\n[Routing]\nsubdomain = "api" # public name\nPort = 0 # default\n';
  const upgrade = upgradeConfig(text);
  assert.match(upgrade.text, /^# my app\n\n\[Metadata\]\nConfigVersion = 1\nName = "api"\n/);
  assert.match(upgrade.text, /# where it listens\n\[Routing\]\n/);
  assert.match(upgrade.text, /^Subdomain = "api" # public name$/m);
  assert.match(upgrade.text, /^Port = 8000 # default$/m, 'the 0.1 default written out');
  assert.equal(upgrade.droppedComments, 1, 'the comment of the ignored key');
  assert.ok(upgrade.notes.some((n) => /^6:1 Metadata\.Colour is not a key of loco\.toml 0\.1/.test(n)), upgrade.notes.join('\n'));
});

test('loco config upgrade prints the diff, changes nothing without --write, and replaces the file with it', async () => {
  const original = '[Metadata]\nConfigVersion = "0.1"\nName = "api"\n[Routing]\nSubdomain = "api"\n';
  const dir = appDir(original);
  const shown = await loco(['config', 'upgrade'], { cwd: dir });
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^--- a\/loco\.toml\n\+\+\+ b\/loco\.toml\n/m);
  assert.match(shown.stdout, /^-ConfigVersion = "0\.1"\n\+ConfigVersion = 1$/m);
  assert.match(shown.stdout, /^\+Port = 8000$/m);
  assert.equal(readFileSync(join(dir, 'loco.toml'), 'utf8'), original, 'without --write the file is untouched');
  const written = await loco(['config', 'upgrade', '--write'], { cwd: dir });
  assert.equal(written.code, 0, written.stderr);
  assert.equal(readFileSync(join(dir, 'loco.toml'), 'utf8'), upgradeConfig(original).text);
  const validate = await loco(['validate', '-o', 'json'], { cwd: dir });
  assert.equal(JSON.parse(validate.stdout).configVersion, 1);
  const again = await loco(['config', 'upgrade'], { cwd: dir });
  assert.match(again.stdout, /in the current format already/);
});
