// The Argo CD double keeps to the contract: Argo CD's error statuses and quirks, and a
// swagger check that does catch a drifting shape.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createArgoCdClient } from '../../api/argocd/index.ts';
import { optionsFromEnv } from '../../api/options.ts';
import { LocoError } from '../../generator/errors.ts';
import { contractProblems } from '../doubles/argocd/contract.ts';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { appFiles, createWorkspaceRepo, type WorkspaceRepo } from './workspace-repo.ts';

let repo: WorkspaceRepo;
let double: ArgoCdDouble;
before(async () => {
  repo = createWorkspaceRepo('acme-web');
  repo.commit(appFiles('acme-web', 'api', 'dev', 'registry.example.com/api:v1'));
  double = await startArgoCdDouble({ repoPath: repo.repoPath });
});
after(async () => {
  await double.stop();
  repo.cleanup();
});

const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${double.token}` }) => fetch(`${double.url}${path}`, { headers });

test('the contract check rejects a misspelt field and a wrong type (it can fail)', () => {
  assert.deepEqual(contractProblems('v1alpha1Application', { metadata: { name: 'x' }, status: { health: { status: 'Healthy' } } }), []);
  assert.notDeepEqual(contractProblems('v1alpha1Application', { metadata: { name: 'x' }, status: { helth: {} } }), []);
  assert.notDeepEqual(contractProblems('v1alpha1ApplicationTree', { nodes: [{ kind: 'Pod', info: 'Running' }] }), []);
  assert.notDeepEqual(contractProblems('watchLine', { result: { type: 'ADDED', application: {} }, extra: 1 }), []);
});

test('a missing app answers 403 without ?project= and 404 with it', async () => {
  const without = await get('/api/v1/applications/acme-web-nope-dev');
  assert.equal(without.status, 403);
  assert.match(((await without.json()) as { message: string }).message, /^permission denied/);
  const withProject = await get('/api/v1/applications/acme-web-nope-dev?project=acme-web');
  assert.equal(withProject.status, 404);
  assert.deepEqual(Object.keys((await withProject.json()) as object).sort(), ['code', 'error', 'message']);
});

test('no token is 401 "no session information"; a non-GET without JSON content type is 415', async () => {
  const none = await get('/api/v1/applications/acme-web--api--dev', {});
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { message: string }).message, 'no session information');
  const post = await fetch(`${double.url}/api/v1/applications/acme-web--api--dev/sync`, { method: 'POST', headers: { authorization: `Bearer ${double.token}` }, body: '{}' });
  assert.equal(post.status, 415);
  assert.equal(await post.text(), 'Invalid content type');
});

test('the watch stream starts with ADDED for the named app', async () => {
  const controller = new AbortController();
  const res = await fetch(`${double.url}/api/v1/stream/applications?name=acme-web--api--dev`, { headers: { authorization: `Bearer ${double.token}` }, signal: controller.signal });
  const reader = res.body!.getReader();
  const { value } = await reader.read();
  controller.abort();
  const line = JSON.parse(new TextDecoder().decode(value).split('\n')[0]);
  assert.equal(line.result.type, 'ADDED');
  assert.equal(line.result.application.metadata.name, 'acme-web--api--dev');
  assert.equal(line.result.application.spec.project, 'acme-web');
  assert.deepEqual(double.violations, []);
});

test('the client reads the app of the real overlay: resources from kubectl kustomize', async () => {
  const client = createArgoCdClient({ url: double.url, token: double.token });
  const app = await client.refreshApplication('acme-web--api--dev', { project: 'acme-web' });
  assert.deepEqual(app.status?.resources?.map((r) => `${r.kind}/${r.namespace}/${r.name}`).sort(), ['Deployment/acme-web--api--dev/api', 'Service/acme-web--api--dev/api']);
  assert.equal(app.operation?.initiatedBy?.automated, true);
});

test('settings: none means no Argo CD; one without the other names the missing variable', () => {
  assert.equal(optionsFromEnv({}).argocd, undefined);
  assert.throws(() => optionsFromEnv({ LOCO_ARGOCD_URL: 'https://argocd.example.com' }), (e: LocoError) => /LOCO_ARGOCD_TOKEN/.test(e.message) && e.code.startsWith('config.'));
  assert.throws(() => optionsFromEnv({ LOCO_ARGOCD_TOKEN: 't' }), (e: LocoError) => /LOCO_ARGOCD_URL/.test(e.message));
  assert.throws(() => createArgoCdClient({ url: 'argocd', token: 't' }), /LOCO_ARGOCD_URL/);
});

test('settings: the healthy hold and the failure grace are seconds; anything else names the variable and the fix', () => {
  const base = { LOCO_ARGOCD_URL: 'https://argocd.example.com', LOCO_ARGOCD_TOKEN: 't' };
  assert.deepEqual(optionsFromEnv(base).argocd, { url: 'https://argocd.example.com', token: 't' });
  assert.deepEqual(optionsFromEnv({ ...base, LOCO_ARGOCD_HEALTHY_SECONDS: '0.5', LOCO_ARGOCD_FAILURE_GRACE_SECONDS: '10' }).argocd,
    { url: 'https://argocd.example.com', token: 't', healthySeconds: 0.5, failureGraceSeconds: 10 });
  assert.throws(() => optionsFromEnv({ ...base, LOCO_ARGOCD_HEALTHY_SECONDS: '5s' }),
    (e: LocoError) => e.code === 'config.invalid-setting' && /LOCO_ARGOCD_HEALTHY_SECONDS="5s"/.test(e.message) && /non-negative number/.test(e.hint));
  assert.throws(() => optionsFromEnv({ ...base, LOCO_ARGOCD_FAILURE_GRACE_SECONDS: '-1' }), /LOCO_ARGOCD_FAILURE_GRACE_SECONDS/);
});

test('an unreachable Argo CD is an error naming LOCO_ARGOCD_URL', async () => {
  const client = createArgoCdClient({ url: 'http://127.0.0.1:9', token: 't' });
  await assert.rejects(client.getApplication('x', { project: 'p' }), (e: LocoError) => e.code === 'unavailable.argocd' && /LOCO_ARGOCD_URL/.test(e.hint));
});
