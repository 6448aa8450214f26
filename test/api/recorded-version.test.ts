// The format version recorded with a release decides how its loco.toml is read again, and the
// warnings of a 0.1 file reach the deployment's events (the file deploys; the user still hears
// what Loco ignored in it). Without Argo CD, on the embedded PGlite.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { Deployment } from '../../api/db/entities.ts';
import { workspaceSlug } from '../../generator/names.ts';
import { call, followEvents, startTestApi, type TestApi } from './helpers.ts';

const ws = '/orgs/default/workspaces/default';
const SLUG = workspaceSlug('default', 'default');
// 0.1 keys (Structured) that the current format does not have, and a key 0.1 ignored.
const OLD = '[Metadata]\nConfigVersion = "0.1"\nName = "api"\nOwner = "team-a"\n\n[Routing]\nSubdomain = "api"\n\n[Obs.Logging]\nStructured = true\n';

let api: TestApi;
before(async () => (api = await startTestApi('pglite')));
after(async () => api?.close());

const head = async () => (await api.app.loco.store.head(SLUG))!;
const read = async (path: string) => (await api.app.loco.store.readFiles(SLUG, await head(), path)).get(path)!;

test('a 0.1 file deploys, and its warnings are events of the deployment with file:line:col and the hint', async () => {
  const res = await call(api.app, api.adminToken, 'POST', `${ws}/apps/api/deployments`, { config: OLD, profile: 'default', image: 'registry.example.com/acme/api:1' });
  assert.equal(res.statusCode, 202, res.body);
  const events = await followEvents(api.app, api.adminToken, res.json().id);
  const warning = events.find((e) => e.type === 'warning' && e.data?.config === true);
  assert.ok(warning, JSON.stringify(events));
  assert.match(warning.message, /^loco\.toml:4:1 Metadata\.Owner is not a key of loco\.toml 0\.1 and is ignored \(/);
  assert.equal(warning.data?.path, 'Metadata.Owner');
  assert.ok(events.some((e) => e.type === 'committed'));
  assert.equal((parse(await read('apps/api/overlays/default/release.yaml')) as { configVersion: unknown }).configVersion, '0.1');
});

test('an env change re-reads the release\'s file with the version recorded for it, not the current one', async () => {
  // A release whose stored file does not say its version (as a file written before ConfigVersion
  // existed would be once the current version moves on): only release.yaml says "0.1".
  const em = api.app.loco.em();
  const release = await em.findOneOrFail(Deployment, { app: 'api', profile: 'default' }, { orderBy: { createdAt: 'desc' } });
  await em.nativeUpdate(Deployment, { id: release.id }, { configText: OLD.replace('ConfigVersion = "0.1"\n', '') });
  const res = await call(api.app, api.adminToken, 'PATCH', `${ws}/apps/api/env?profile=default`, { set: { FEATURE: 'on' } });
  assert.equal(res.statusCode, 202, res.body);
  const events = await followEvents(api.app, api.adminToken, res.json().id);
  assert.ok(events.some((e) => e.type === 'committed'), JSON.stringify(events));
  const configMap = parse(await read('apps/api/overlays/default/configmap.yaml')) as { data: Record<string, string> };
  assert.equal(configMap.data.FEATURE, 'on');
  assert.equal(configMap.data.LOG_FORMAT, 'json', 'Structured = true read as 0.1 meant it');
  assert.equal(configMap.data.PORT, '8000', 'the 0.1 default port');
});
