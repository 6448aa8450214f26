// The pure parts of `loco deploy`'s build: a .gitignore read as a .dockerignore, the tag, and the
// command lines each builder gets (the real buildah run is test/cli/e2e-build.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerignoreFromGitignore } from '../../cli/gitignore.ts';
import { authsFile, buildCommands, imageTag, type BuildPlan } from '../../cli/image-builders.ts';

test('gitignore patterns keep their meaning in dockerignore syntax: unanchored ones match at any depth', () => {
  const text = '# comment\n\nsecret.env\n/dist\nlogs/\nsrc/*.tmp\n!keep.env\n\\#literal\n**/cache\nspaced   \n';
  assert.deepEqual(dockerignoreFromGitignore(text).split('\n').filter((l) => l && !l.startsWith('#')), [
    '.git', '**/secret.env', 'dist', '**/logs', 'src/*.tmp', '!**/keep.env', '**/#literal', '**/cache', '**/spaced',
  ]);
});

test('image tags are the short commit (or nogit) and the random suffix', () => {
  assert.equal(imageTag('3f2a9c1d0e5b6a7', 'k7q2'), '3f2a9c1-k7q2');
  assert.equal(imageTag(null, 'k7q2'), 'nogit-k7q2');
});

const plan: BuildPlan = {
  builder: 'podman', ref: 'reg:5000/acme/web/api:3f2a9c1-k7q2', dockerfile: '/app/Containerfile', contextDir: '/app',
  ignoreFile: '/tmp/b/ignore', authFile: '/tmp/b/config.json', dockerConfigDir: '/tmp/b', digestFile: '/tmp/b/digest', plainHttp: true,
};

test('podman and buildah build with the ignore file and push with the temporary auth file and a digest file', () => {
  for (const builder of ['podman', 'buildah'] as const) {
    const { build, push } = buildCommands({ ...plan, builder });
    assert.deepEqual(build.args, ['build', '-t', plan.ref, '-f', '/app/Containerfile', '--ignorefile', '/tmp/b/ignore', '/app']);
    assert.deepEqual(push.args, ['push', '--authfile', '/tmp/b/config.json', '--digestfile', '/tmp/b/digest', '--tls-verify=false', plan.ref, `docker://${plan.ref}`]);
  }
  assert.ok(!buildCommands({ ...plan, plainHttp: false }).push.args.includes('--tls-verify=false'));
});

test('docker reads its credentials from DOCKER_CONFIG and takes no ignore-file flag', () => {
  const { build, push } = buildCommands({ ...plan, builder: 'docker' });
  assert.deepEqual(build.args, ['build', '-t', plan.ref, '-f', '/app/Containerfile', '/app']);
  assert.deepEqual(push, { command: 'docker', args: ['push', plan.ref], env: { DOCKER_CONFIG: '/tmp/b' } });
});

test('the auth file is the auths format every builder reads', () => {
  const auths = JSON.parse(authsFile('reg:5000', 'loco', 'loco_dpl_x')).auths;
  assert.equal(Buffer.from(auths['reg:5000'].auth, 'base64').toString(), 'loco:loco_dpl_x');
});
