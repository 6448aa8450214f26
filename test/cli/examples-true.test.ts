// Examples a new user copies must work: a `--help` example that changes a profile must not
// target one that is protected by review by default (the API refuses it), and the generated
// GitOps README names Applications as the ApplicationSet names them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promotionRules } from '../../api/promotions/rules.ts';
import { argoApplicationName } from '../../generator/names.ts';
import { loco, root } from './harness.ts';

for (const command of ['deploy', 'scale', 'env']) {
  test(`loco ${command} --help examples target profiles a default workspace accepts`, async () => {
    const help = await loco([command, '--help']);
    assert.equal(help.code, 0, help.stderr);
    const examples = help.stdout.split('\n').filter((l) => l.trim().startsWith(`$ `) && l.includes(`loco ${command}`));
    assert.ok(examples.length > 0, help.stdout);
    const rules = promotionRules({});
    for (const line of examples) {
      const profile = /--profile (\S+)/.exec(line)?.[1];
      if (profile) assert.equal(rules.isProtected(profile), false, `${line.trim()} is refused: ${profile} is protected by review`);
    }
  });
}

test('the GitOps README names Applications as Loco names them and promises no digest a tag deploy lacks', () => {
  const readme = readFileSync(join(root, 'gitops-repo-skeleton/README.md'), 'utf8');
  const named = /creates one Application, `([^`]+)`/.exec(readme)?.[1];
  assert.equal(named, argoApplicationName('{{workspace}}', '<app>', '<profile>'));
  assert.doesNotMatch(readme, /digest-pinned image/);
});
