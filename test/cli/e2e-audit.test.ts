// `loco audit verify` and `loco workspace` with the real binary against a real API. Audit: a
// history made by Loco holds up (exit 0); a commit pushed by hand with the git CLI is a finding
// with a hint (exit 1), and -o json gives the report for scripts. Workspace: create and list.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceSlug } from '../../generator/names.ts';
import { appDir, loco, startApi, tempDir, WEB_CONFIG, type RunningApi } from './harness.ts';

let api: RunningApi;
let env: Record<string, string>;
before(async () => {
  api = await startApi();
  env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
});
after(async () => api?.stop());

const git = (args: string[], cwd?: string) => execFileSync('git', args, {
  encoding: 'utf8', ...(cwd ? { cwd } : {}),
  env: { ...process.env, GIT_AUTHOR_NAME: 'mallory', GIT_AUTHOR_EMAIL: 'mallory@example.com', GIT_COMMITTER_NAME: 'mallory', GIT_COMMITTER_EMAIL: 'mallory@example.com' },
}).trim();

test('audit verify: Loco\'s own history holds up; a hand-pushed commit is a finding and exit 1', async () => {
  const deployed = await loco(['deploy', '--profile', 'dev', '--non-interactive'], { cwd: appDir(WEB_CONFIG), env });
  assert.equal(deployed.code, 0, deployed.stderr);

  const clean = await loco(['audit', 'verify'], { env });
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /^✓ The history of default\/default holds up: 2 commits; 1 deployment in git, with its outcome; 1 deployment record in the database, no findings\.$/m);

  const clone = join(tempDir('hand'), 'repo');
  git(['clone', '-q', join(api.dataDir, 'repos', `${workspaceSlug('default', 'default')}.git`), clone]);
  writeFileSync(join(clone, 'apps/web/overlays/dev/release.yaml'), 'image: evil\n');
  git(['commit', '-q', '-am', 'quick fix'], clone);
  git(['push', '-q', 'origin', 'HEAD:main'], clone);
  const sha = git(['rev-parse', 'HEAD'], clone);

  const found = await loco(['audit', 'verify'], { env });
  assert.equal(found.code, 1, found.stdout + found.stderr);
  assert.match(found.stdout, /✗ 1 finding in the history of default\/default/);
  assert.match(found.stdout, new RegExp(`commit\\.no-trailers ${sha.slice(0, 12)}\\n  .*quick fix.*mallory.*not made by Loco\\n  hint: `));

  const json = await loco(['audit', 'verify', '-o', 'json'], { env });
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.ok, false);
  assert.deepEqual(report.findings.map((f: { code: string; commit: string }) => [f.code, f.commit]), [['commit.no-trailers', sha]]);
});

test('workspace create makes a workspace with its repository; workspace list shows it with the role', async () => {
  const created = await loco(['workspace', 'create', 'default/shop'], { env });
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^✓ Created workspace default\/shop \(GitOps repository default--shop\); you are its admin\.$/m);
  assert.equal(git(['--git-dir', join(api.dataDir, 'repos', 'default--shop.git'), 'log', '--format=%s', 'main']), 'Create GitOps repository for workspace default--shop');

  const list = JSON.parse((await loco(['workspace', 'list', '-o', 'json'], { env })).stdout) as { org: string; name: string; role: string; slug: string }[];
  assert.deepEqual(list.map((w) => `${w.org}/${w.name}:${w.role}:${w.slug}`), ['default/default:admin:default--default', 'default/shop:admin:default--shop']);
  const table = await loco(['workspace', 'list', '-w', 'default/shop'], { env });
  assert.match(table.stdout, /^default\/shop\s+admin\s+default--shop\s+\*$/m, 'the current workspace is marked');

  const again = await loco(['workspace', 'create', 'default/shop'], { env });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /workspace default\/shop already exists/);
  const bad = await loco(['workspace', 'create', 'shop'], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /is not of the form <org>\/<workspace>/);
});
