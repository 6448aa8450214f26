// The Argo CD double keeps to the contract: Argo CD's error statuses and quirks, and a
// swagger check that does catch a drifting shape.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createArgoCdClient } from '../../api/argocd/index.ts';
import { optionsFromEnv } from '../../api/options.ts';
import { LocoError } from '../../generator/errors.ts';
import { contractProblems, type ContractShape } from '../doubles/argocd/contract.ts';
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

/** A second double over the same repository whose bodies are rewritten before its contract check. */
async function driftingDouble(tamper: (shape: ContractShape, body: any) => unknown): Promise<ArgoCdDouble> {
  return startArgoCdDouble({ repoPath: repo.repoPath, tamper });
}
const getFrom = (d: ArgoCdDouble, path: string) => fetch(`${d.url}${path}`, { headers: { authorization: `Bearer ${d.token}` } });

test('a body that breaks the contract answers 500 with the violation instead of being sent', async (t) => {
  const drifting = await driftingDouble((shape, body) => {
    if (shape === 'v1alpha1Application') {
      const { health, ...status } = body.status;
      return { ...body, status: { ...status, helth: health } };
    }
    if (shape === 'logLine') return { result: { ...body.result, podNmae: body.result.podName } };
    return body;
  });
  t.after(() => drifting.stop());

  const app = await getFrom(drifting, '/api/v1/applications/acme-web--api--dev?project=acme-web');
  assert.equal(app.status, 500);
  const problem = (await app.json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(problem).sort(), ['code', 'error', 'message'], 'an Argo CD error body, not the drifted Application');
  assert.match(String(problem.message), /additional properties \(helth\)/);

  // Logs are a stream: not one line may go out before every line has passed the check.
  const logs = await getFrom(drifting, '/api/v1/applications/acme-web--api--dev/logs?project=acme-web');
  assert.equal(logs.status, 500);
  const text = await logs.text();
  assert.doesNotMatch(text, /"result"/);
  assert.match(text, /podNmae/);

  assert.ok(drifting.violations.some((v) => /helth/.test(v)), drifting.violations.join('\n'));
  assert.ok(drifting.violations.some((v) => /podNmae/.test(v)), drifting.violations.join('\n'));
});

test('a watch line that breaks the contract ends the stream with an error line and does not break the refresh', { timeout: 10_000 }, async (t) => {
  const drifting = await driftingDouble((shape, body) => (shape === 'watchLine' && body.result?.type === 'MODIFIED' ? { ...body, extra: 1 } : body));
  t.after(() => drifting.stop());

  const stream = await getFrom(drifting, '/api/v1/stream/applications?name=acme-web--api--dev&projects=acme-web');
  assert.equal(stream.status, 200);
  // The refresh publishes a MODIFIED line to the open stream; its violation belongs to the stream, not to this request.
  const refresh = await getFrom(drifting, '/api/v1/applications/acme-web--api--dev?project=acme-web&refresh=normal');
  assert.equal(refresh.status, 200);
  await refresh.body?.cancel();

  const lines = (await stream.text()).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => Object.keys(l)), [['result'], ['error']], 'ADDED, then the error line, then the end of the stream');
  assert.equal(lines[0].result.type, 'ADDED');
  assert.equal(lines[1].error.http_code, 500);
  assert.match(lines[1].error.message, /additional properties \(extra\)/);
  assert.ok(drifting.violations.some((v) => /\(extra\)/.test(v)), drifting.violations.join('\n'));

  // A stream whose very first line breaks the contract answers 500 before any head is written.
  const strict = await driftingDouble((shape, body) => (shape === 'watchLine' ? { ...body, extra: 1 } : body));
  t.after(() => strict.stop());
  const refused = await getFrom(strict, '/api/v1/stream/applications?name=acme-web--api--dev&projects=acme-web');
  assert.equal(refused.status, 500);
  assert.match(((await refused.json()) as { message: string }).message, /\(extra\)/);
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
