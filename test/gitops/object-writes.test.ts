// The cost of a commit follows the change: only the changed blobs and the trees above them are
// written, however many apps the repository holds.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { createGitopsStore } from '../../api/gitops/index.ts';
import { appFiles, deploy, tempDir } from './helpers.ts';

function looseObjects(gitdir: string): Set<string> {
  const objects = new Set<string>();
  for (const dir of readdirSync(path.join(gitdir, 'objects'))) {
    if (!/^[0-9a-f]{2}$/.test(dir)) continue;
    for (const file of readdirSync(path.join(gitdir, 'objects', dir))) objects.add(dir + file);
  }
  return objects;
}

test('redeploying one app of forty writes one blob, five trees and one commit', async (t) => {
  const store = createGitopsStore({ dataDir: tempDir(t, 'writes') });
  await store.ensureRepository('acme-many');
  const files = new Map<string, string>();
  for (let i = 0; i < 40; i++) {
    for (const [rel, text] of Object.entries(appFiles('dev', `img-${i}:1`))) files.set(`apps/app-${i}/${rel}`, text);
  }
  await store.applyChange({ slug: 'acme-many', scope: ['apps/'], files, subject: 'seed', trailers: {}, author: { name: 'a', email: 'a@b' } });
  const gitdir = store.gitdir('acme-many');
  const before = looseObjects(gitdir);
  const result = await store.applyChange(deploy('acme-many', 'app-17', 'dev', appFiles('dev', 'img-17:2')));
  const written = [...looseObjects(gitdir)].filter((o) => !before.has(o));
  // blob overlays/dev/kustomization.yaml; trees overlays/dev, overlays, app-17, apps, root; commit
  assert.equal(written.length, 7, `wrote ${written.length} objects`);
  assert.ok(written.includes(result.commit));
});
