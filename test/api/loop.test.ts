// The loop as a new user meets it, through the API on real git: other apps' URLs reach an app
// at its deploy, the status and deployments carry the app's URL, a rollback takes the profile's
// runtime overrides back too, and the env listing shows every variable with its source.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { workspaceSlug } from '../../generator/names.ts';
import { call, config, followEvents, startTestApi, type TestApi } from './helpers.ts';

const git = (gitdir: string, ...args: string[]) => execFileSync('git', [`--git-dir=${gitdir}`, ...args], { encoding: 'utf8' });
const ws = '/orgs/default/workspaces/default';
const slug = workspaceSlug('default', 'default');
const routed = (app: string, extra = '') =>
  config(app).replace('PathPrefix = "/"', `PathPrefix = "/"\nSubdomain = "${app}"\nBaseDomain = "apps.example.com"`).replace('[Env.Variables]', `[Env.Variables]\n${extra}`);

describe('the loop through the API', () => {
  let api: TestApi;
  let token: string;
  before(async () => {
    api = await startTestApi('pglite');
    token = api.adminToken;
  });
  after(async () => api?.close());

  const deploy = async (app: string, body: Record<string, unknown>) => {
    const res = await call(api.app, token, 'POST', `${ws}/apps/${app}/deployments`, body);
    assert.equal(res.statusCode, 202, res.body);
    await followEvents(api.app, token, res.json().id);
    return (await call(api.app, token, 'GET', `/deployments/${res.json().id}`)).json();
  };
  const change = async (res: { statusCode: number; body: string; json(): { id: string } }) => {
    assert.equal(res.statusCode, 202, res.body);
    await followEvents(api.app, token, res.json().id);
    return (await call(api.app, token, 'GET', `/deployments/${res.json().id}`)).json();
  };
  const show = (commit: string, path: string) => git(api.app.loco.store.gitdir(slug), 'show', `${commit}:${path}`);

  test('deploying web next to shop gives web LOCO_SHOP_URL; shop learns of web at its next deploy', async () => {
    const shop = await deploy('shop', { config: routed('shop'), profile: 'dev', image: 'registry.example.com/acme/shop:1' });
    const web = await deploy('web', { config: routed('web'), profile: 'dev', image: 'registry.example.com/acme/web:1' });
    const shopNs = `${slug}--shop--dev`;
    assert.match(show(web.commit, 'apps/web/overlays/dev/configmap.yaml'), new RegExp(`LOCO_SHOP_URL: http://shop\\.${shopNs}\\.svc\\.cluster\\.local\\b`));
    assert.doesNotMatch(show(shop.commit, 'apps/shop/overlays/dev/configmap.yaml'), /LOCO_WEB_URL/);
    const again = await deploy('shop', { config: routed('shop'), profile: 'dev', image: 'registry.example.com/acme/shop:2' });
    assert.match(show(again.commit, 'apps/shop/overlays/dev/configmap.yaml'), /LOCO_WEB_URL: http:\/\/web\./);
    // an app not deployed in the profile gives no URL there
    assert.doesNotMatch(show(again.commit, 'apps/shop/overlays/dev/configmap.yaml'), /LOCO_SHOP_URL/);
  });

  test('status, the app list and the deployment carry the URL the app answers on', async () => {
    const status = (await call(api.app, token, 'GET', `${ws}/apps/web/status?profile=dev`)).json();
    assert.equal(status.url, 'https://web.apps.example.com');
    assert.equal(status.deployment.url, 'https://web.apps.example.com');
    assert.equal(status.dashboardUrl, undefined, 'no Argo CD configured, so no dashboard to link');
    const apps = (await call(api.app, token, 'GET', `${ws}/apps`)).json() as { name: string; profiles: { deployment: { url?: string } }[] }[];
    assert.equal(apps.find((a) => a.name === 'web')!.profiles[0]!.deployment.url, 'https://web.apps.example.com');
  });

  test('a rollback restores the profile\'s overrides, so the next deploy does not bring back undone env and replicas', async () => {
    const body = { config: `${routed('knob')}\n[Profile.staging]\nCPU = "100m"\n# its own host: two profiles on one host and path would collide on the Gateway (a 409)\nBaseDomain = "staging.example.com"\n`, profile: 'dev', image: 'registry.example.com/acme/knob:1' };
    const first = await deploy('knob', body);
    await change(await call(api.app, token, 'PATCH', `${ws}/apps/knob/env?profile=dev`, { set: { FEATURE_X: 'on' } }));
    await change(await call(api.app, token, 'POST', `${ws}/apps/knob/scale`, { profile: 'dev', replicas: 3 }));
    // another profile's overrides are not the rollback's business
    await deploy('knob', { ...body, profile: 'staging' });
    await change(await call(api.app, token, 'PATCH', `${ws}/apps/knob/env?profile=staging`, { set: { KEEP: 'me' } }));
    const back = await change(await call(api.app, token, 'POST', `/deployments/${first.id}/rollback`, {}));
    const overrides = show(back.commit, 'apps/knob/overrides.toml');
    assert.doesNotMatch(overrides, /FEATURE_X|Replicas/);
    assert.match(overrides, /KEEP = "me"/);
    const count = git(api.app.loco.store.gitdir(slug), 'rev-list', '--count', `${back.commit}^..${back.commit}`);
    assert.equal(count.trim(), '1', 'one commit');
    const next = await deploy('knob', { ...body, image: 'registry.example.com/acme/knob:2' });
    assert.doesNotMatch(show(next.commit, 'apps/knob/overlays/dev/configmap.yaml'), /FEATURE_X/);
    assert.doesNotMatch(show(next.commit, 'apps/knob/overlays/dev/deployment-patch.yaml'), /replicas: 3/);
  });

  test('the env listing shows the effective environment with each source, secrets by reference', async () => {
    const text = routed('envy', 'GREETING = "hello"').replace('[Env.Secrets]', '[Env.Secrets]\nDATABASE_URL = "db-credentials/url"').replace('[Profile.dev]', '[Profile.dev]\nEnv.Variables.MODE = "dev"');
    await deploy('envy', { config: text, profile: 'dev', image: 'registry.example.com/acme/envy:1' });
    await change(await call(api.app, token, 'PATCH', `${ws}/apps/envy/env?profile=dev`, { set: { FEATURE_X: 'on' } }));
    const res = (await call(api.app, token, 'GET', `${ws}/apps/envy/env?profile=dev`)).json();
    const by = Object.fromEntries((res.environment as { name: string; source: string }[]).map((e) => [e.name, e]));
    assert.deepEqual(by.GREETING, { name: 'GREETING', value: 'hello', source: 'loco.toml' });
    assert.deepEqual(by.MODE, { name: 'MODE', value: 'dev', source: 'profile' });
    assert.deepEqual(by.FEATURE_X, { name: 'FEATURE_X', value: 'on', source: 'overrides' });
    assert.deepEqual(by.LOCO_APP_NAME, { name: 'LOCO_APP_NAME', value: 'envy', source: 'loco' });
    assert.equal(by.LOCO_WEB_URL.source, 'loco');
    assert.deepEqual(by.DATABASE_URL, { name: 'DATABASE_URL', source: 'loco.toml', secret: { name: 'db-credentials', key: 'url' } });
    assert.deepEqual(res.variables, { FEATURE_X: 'on' });
  });
});
