// The prune guard (DESIGN.md): a deploy that would make Argo CD prune far more resources than it
// adds is refused unless confirmed. The request answers 202 before anything renders, so the
// refusal arrives as the deployment's `failed` event (reason prune, what would go and come, the
// hint to confirm); the dry run `loco deploy` asks before a build still answers 409 at once.
// Render-time config problems end the same way, as reason invalid-config.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { workspaceSlug } from '../../generator/names.ts';
import { call, followEvents, startTestApi, within, type TestApi } from './helpers.ts';

const deploys = '/orgs/default/workspaces/default/apps/shrink/deployments';
const image = 'registry.example.com/acme/shrink:1';
const SERVICE = '[Metadata]\nName = "shrink"\n\n[Profile.dev]\n';
// a worker has no Service, HTTPRoute or BackendTrafficPolicy, and a new env ConfigMap: 4 go, 1 comes
const WORKER = '[Metadata]\nName = "shrink"\nType = "WORKER"\n\n[Profile.dev]\n';

let api: TestApi;
before(async () => {
  api = await startTestApi('pglite');
});
after(() => api.close());

const head = () => execFileSync('git', [`--git-dir=${join(api.dataDir, 'repos', `${workspaceSlug('default', 'default')}.git`)}`, 'rev-parse', 'main'], { encoding: 'utf8' }).trim();

async function deployToEnd(body: Record<string, unknown>) {
  const res = await call(api.app, api.adminToken, 'POST', deploys, { profile: 'dev', image, ...body });
  assert.equal(res.statusCode, 202, res.body);
  const events = await within(60_000, 'the deployment ends', followEvents(api.app, api.adminToken, res.json().id));
  const deployment = (await call(api.app, api.adminToken, 'GET', `/deployments/${res.json().id}`)).json();
  return { events, deployment };
}

test('a deploy that would prune widely is accepted, then fails with reason prune, the resources and the hint to confirm; nothing is committed', { timeout: 120_000 }, async () => {
  const first = await deployToEnd({ config: SERVICE });
  assert.equal(first.deployment.status, 'committed', first.deployment.message);
  const before = head();

  const refused = await deployToEnd({ config: WORKER });
  assert.equal(refused.deployment.status, 'failed');
  assert.equal(refused.deployment.reason, 'prune');
  assert.match(refused.deployment.message, /deploying shrink@dev would remove 4 Kubernetes resources and add 1; Argo CD would prune them/);
  assert.match(refused.deployment.nextStep, /repeat with --confirm-prune/);
  const failed = refused.events.at(-1)!;
  assert.equal(failed.type, 'failed');
  assert.equal(failed.data?.reason, 'prune');
  assert.equal(failed.data?.code, 'conflict.prune');
  const removed = failed.data?.removed as string[];
  assert.deepEqual(removed.filter((k) => !k.startsWith('ConfigMap/')), ['BackendTrafficPolicy/shrink', 'HTTPRoute/shrink', 'Service/shrink']);
  assert.equal(removed.length, 4, 'and the old env ConfigMap');
  assert.equal((failed.data?.added as string[]).length, 1);
  assert.match(String(failed.data?.nextStep), /--confirm-prune/);
  assert.equal(refused.events.filter((e) => e.type === 'committed').length, 0);
  assert.equal(head(), before, 'main did not move');

  const confirmed = await deployToEnd({ config: WORKER, confirmPrune: true });
  assert.equal(confirmed.deployment.status, 'committed', confirmed.deployment.message);
  assert.notEqual(head(), before);
});

test('the dry run still renders and prune-checks at once: 409 conflict.prune with the resources, 200 when confirmed', async () => {
  await deployToEnd({ config: SERVICE, confirmPrune: true });
  const dry = await call(api.app, api.adminToken, 'POST', deploys, { config: WORKER, profile: 'dev', image, dryRun: true });
  assert.equal(dry.statusCode, 409, dry.body);
  assert.equal(dry.json().code, 'conflict.prune');
  assert.match(dry.json().hint, /--confirm-prune/);
  assert.ok(dry.json().data.removed.includes('HTTPRoute/shrink'), dry.body);
  const confirmed = await call(api.app, api.adminToken, 'POST', deploys, { config: WORKER, profile: 'dev', image, dryRun: true, confirmPrune: true });
  assert.equal(confirmed.statusCode, 200, confirmed.body);
});

test('a config problem only the render finds ends the deployment failed with reason invalid-config, its message and hint', { timeout: 60_000 }, async () => {
  // which secret stores exist is the platform's fact (LOCO_SECRET_STORES, none here): the render checks it
  const storeSecret = '[Metadata]\nName = "shrink"\n\n[Env.Secrets]\nDB_PASSWORD = { Store = "aws-ssm", Key = "/prod/db/password" }\n\n[Profile.dev]\n';
  const { deployment, events } = await deployToEnd({ config: storeSecret, confirmPrune: true });
  assert.equal(deployment.status, 'failed');
  assert.equal(deployment.reason, 'invalid-config');
  assert.match(deployment.message, /Env\.Secrets\.DB_PASSWORD names the secret store "aws-ssm", but this platform has no secret stores/);
  assert.match(deployment.nextStep, /LOCO_SECRET_STORES/);
  const failed = events.at(-1)!;
  assert.equal(failed.type, 'failed');
  assert.equal(failed.data?.code, 'config.no-secret-stores');
});
