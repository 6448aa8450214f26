// The per-workspace Argo CD manifests: valid against the Argo CD 3.5 CRD schemas, and granting
// exactly what argocd/README.md says.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { renderPlatformManifests } from '../../argocd/render.ts';
import { LocoError } from '../../generator/errors.ts';
import { argoProjectName, namespaceFor } from '../../generator/names.ts';
import { validateManifests } from '../support/manifests.ts';

const input = { slug: 'acme--web', repoUrl: 'https://github.com/acme/loco-acme-web.git', viewerGroups: ['acme:web-devs'] };

test('every rendered document is valid against its CRD or Kubernetes schema', () => {
  const { files } = renderPlatformManifests(input);
  assert.deepEqual([...files.keys()], ['appproject.yaml', 'applicationset.yaml', 'argocd-rbac-cm.patch.yaml']);
  for (const [name, text] of files) assert.deepEqual(validateManifests(text).errors, [], name);
});

test('the schemas used here do reject a broken document (the check can fail)', () => {
  const { applicationSet } = renderPlatformManifests(input);
  const broken = structuredClone(applicationSet) as unknown as { spec: { generators: { git: Record<string, unknown> }[] } };
  broken.spec.generators[0].git.directorys = [{ path: 'x' }];
  assert.equal(validateManifests(stringify(broken)).ok, false);
});

test('the AppProject allows only the workspace repository, its namespaces and the Namespace kind', () => {
  const { appProject } = renderPlatformManifests(input);
  assert.equal(appProject.metadata.name, argoProjectName('acme--web'));
  assert.deepEqual(appProject.spec.sourceRepos, [input.repoUrl]);
  assert.deepEqual(appProject.spec.destinations, [{ server: 'https://kubernetes.default.svc', namespace: 'acme--web--*' }]);
  assert.ok(namespaceFor('acme--web', 'api', 'dev').startsWith('acme--web--'));
  assert.ok(namespaceFor('acme--web', 'a'.repeat(50), 'production').startsWith('acme--web--'), 'hashed long namespaces still match');
  assert.deepEqual(appProject.spec.clusterResourceWhitelist, [{ group: '', kind: 'Namespace' }]);
});

test('the ApplicationSet makes <slug>--<app>--<profile> per overlay, syncing automatically with prune and self-heal', () => {
  const { applicationSet } = renderPlatformManifests(input);
  const { spec } = applicationSet;
  assert.deepEqual(spec.generators, [{ git: { repoURL: input.repoUrl, revision: 'main', directories: [{ path: 'apps/*/overlays/*' }] } }]);
  // What Argo CD's goTemplate makes of it for apps/api/overlays/dev (segments[1]=api, basename=dev):
  const name = spec.template.metadata.name.replace('{{ index .path.segments 1 }}', 'api').replace('{{ .path.basename }}', 'dev');
  assert.equal(name, 'acme--web--api--dev');
  assert.equal(spec.template.spec.project, 'acme--web');
  assert.equal(spec.template.spec.source.path, '{{ .path.path }}');
  assert.deepEqual(spec.template.spec.syncPolicy.automated, { prune: true, selfHeal: true });
  assert.ok(spec.template.spec.syncPolicy.syncOptions.includes('CreateNamespace=true'));
  assert.match(spec.template.spec.destination.namespace, /le \(len \$full\) 63.*trunc 54.*trunc 8 \(sha256sum \$full\)/);
});

test('RBAC lets the workspace read only its own applications and logs', () => {
  const { rbac, appProject } = renderPlatformManifests(input);
  const lines = rbac.data['policy.loco-acme--web.csv'].split('\n').filter((l) => l && !l.startsWith('#'));
  for (const line of lines.filter((l) => l.startsWith('p,'))) {
    const [, , resource, action, object, effect] = line.split(',').map((s) => s.trim());
    assert.equal(action, 'get', line);
    assert.equal(effect, 'allow', line);
    assert.ok(resource === 'projects' ? object === 'acme--web' : object === 'acme--web/*', line);
  }
  assert.ok(lines.includes('g, acme:web-devs, role:loco-acme--web-viewer'));
  assert.ok(lines.includes('g, loco, role:loco-acme--web-viewer'));
  assert.ok(appProject.spec.roles[0].policies.every((p) => p.startsWith('p, proj:acme--web:loco-reader, ') && p.includes('acme--web')));
});

test('rendering is deterministic', () => {
  const a = renderPlatformManifests(input).files;
  const b = renderPlatformManifests(input).files;
  assert.deepEqual([...a], [...b]);
});

test('a slug or subject that could inject into templates or policy lines is refused, listing every problem', () => {
  assert.throws(
    () => renderPlatformManifests({ slug: 'Acme_Web', repoUrl: 'not a url', viewerGroups: ['a, b'] }),
    (e: LocoError) => e.code === 'validation.argocd-manifests' && e.problems?.length === 3,
  );
});
