// Review cannot be bypassed through files the profiles share (issue 14): a deploy to dev that
// changes Metadata.Type leaves what `kubectl kustomize apps/api/overlays/prod` builds byte for
// byte as it was — with the self-contained overlays Loco writes, and in a repository of the
// older layout whose overlays still build from a shared apps/api/base/.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { renderApp, parseConfig, workspaceSlug } from '../../generator/index.ts';
import { kustomizeBuild, validateManifests } from '../support/manifests.ts';
import { writeTree } from '../generator/examples.ts';
import { call, config, followEvents, startTestApi, type TestApi } from '../api/helpers.ts';

const ws = '/orgs/default/workspaces/default';
const SLUG = workspaceSlug('default', 'default');
const SERVICE = config('api');
// The same app as a WORKER: no Service, no route, a worker's health check.
const WORKER = SERVICE.replace('Type = "SERVICE"', 'Type = "WORKER"').replace(/\[Routing\][^[]*/, '').replace(/\[Health\][^[]*/, '');

let api: TestApi;
let work: string;
before(async () => {
  api = await startTestApi('pglite');
  work = await mkdtemp(path.join(tmpdir(), 'loco-shared-base-'));
});
after(async () => {
  await api?.close();
  await rm(work, { recursive: true, force: true });
});

const rules = (body: object) => call(api.app, api.adminToken, 'PUT', `${ws}/promotion-rules`, body);

async function deployed(toml: string, profile: string, image: string): Promise<void> {
  const res = await call(api.app, api.adminToken, 'POST', `${ws}/apps/api/deployments`, { config: toml, profile, image });
  assert.equal(res.statusCode, 202, res.body);
  const events = await followEvents(api.app, api.adminToken, res.json().id);
  assert.ok(events.some((e) => e.type === 'committed'), JSON.stringify(events.map((e) => e.type)));
}

/** Builds apps/api/overlays/prod from main's head as the repository holds it. */
async function buildProd(label: string): Promise<string> {
  const store = api.app.loco.store;
  const files = await store.readFiles(SLUG, (await store.head(SLUG))!, 'apps/');
  const root = path.join(work, label);
  writeTree(root, files as Map<string, string>);
  const built = await kustomizeBuild(path.join(root, 'apps', 'api', 'overlays', 'prod'));
  assert.deepEqual(validateManifests(built).errors, []);
  return built;
}

test('a dev deploy with another Metadata.Type leaves the protected prod build byte-identical', async () => {
  // prod gets its release while unprotected, then is protected again (the default)
  assert.equal((await rules({ profiles: { prod: { approvals: 0 } } })).statusCode, 200);
  await deployed(SERVICE, 'prod', 'registry.example.com/acme/api:1');
  assert.equal((await rules({ profiles: {} })).statusCode, 200);
  const beforeDev = await buildProd('before');
  assert.match(beforeDev, /kind: Service\n/);

  await deployed(WORKER, 'dev', 'registry.example.com/acme/api:2');
  const afterDev = await buildProd('after');
  assert.equal(afterDev, beforeDev, 'prod builds the same objects after the dev deploy');
  const files = await api.app.loco.store.readFiles(SLUG, (await api.app.loco.store.head(SLUG))!, 'apps/api/');
  assert.ok(![...files.keys()].some((p) => p.startsWith('apps/api/base/')), 'no folder shared by the profiles');
  assert.ok(!files.has('apps/api/overlays/dev/service.yaml') && files.has('apps/api/overlays/prod/service.yaml'), 'dev is a worker, prod still a service');
});

/** The tree an older Loco wrote: base objects in apps/<app>/base/, overlays listing ../../base. */
function olderLayout(tree: Map<string, string>, app: string, profile: string): Map<string, string> {
  const overlay = `apps/${app}/overlays/${profile}/`;
  const kustomization = parse(tree.get(`${overlay}kustomization.yaml`)!) as { resources: string[] };
  const shared = ['serviceaccount.yaml', 'deployment.yaml', 'cronjob.yaml', 'service.yaml', 'networkpolicy.yaml'].filter((f) => tree.has(overlay + f));
  const out = new Map<string, string>();
  for (const [file, text] of tree) {
    const name = file.slice(overlay.length);
    if (file.startsWith(overlay) && shared.includes(name)) out.set(`apps/${app}/base/${name}`, text);
    else out.set(file, text);
  }
  out.set(`apps/${app}/base/kustomization.yaml`, stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: shared }));
  out.set(`${overlay}kustomization.yaml`, stringify({ ...kustomization, resources: ['../../base', ...kustomization.resources.filter((r) => !shared.includes(r))] }));
  return out;
}

test('in a repository of the older shared-base layout, a dev deploy with another Type does not touch the base prod builds from', async () => {
  const store = api.app.loco.store;
  const legacy = olderLayout(renderApp({ config: parseConfig(SERVICE, 'loco.toml'), configText: SERVICE, profile: 'prod', image: 'registry.example.com/acme/api:1', workspace: SLUG }), 'api', 'prod');
  await store.applyChange({
    slug: SLUG, scope: ['apps/api/'], files: legacy, subject: 'deploy(api@prod): as an older Loco wrote it',
    trailers: {}, author: { name: 'old-loco', email: 'old@example.com' },
  });
  const beforeDev = await buildProd('legacy-before');
  assert.match(beforeDev, /kind: Deployment\n/);

  await deployed(WORKER, 'dev', 'registry.example.com/acme/api:3');
  assert.equal(await buildProd('legacy-after'), beforeDev, 'prod builds the same objects after the dev deploy');
  const files = await store.readFiles(SLUG, (await store.head(SLUG))!, 'apps/api/');
  assert.equal(files.get('apps/api/base/deployment.yaml'), legacy.get('apps/api/base/deployment.yaml'), 'the base prod reads is kept as it was');
  assert.ok(files.has('apps/api/overlays/dev/kustomization.yaml') && !/\.\.\/\.\.\/base/.test(files.get('apps/api/overlays/dev/kustomization.yaml')!), 'dev is self-contained');
});
