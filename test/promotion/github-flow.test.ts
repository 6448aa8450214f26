// Promotion with GitHub hosting, against the GitHub double (REST shapes checked against GitHub's
// OpenAPI description, real git http-backend) and the Argo CD double: the promotion opens a
// real pull request, a person merges it on GitHub, and the signed pull_request webhook makes
// Loco track the prod deployment of the merge commit.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceSlug } from '../../generator/names.ts';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/server.ts';
import { call, createTestDatabase, followEvents, startTestApi, type TestApi, type TestDatabase } from '../api/helpers.ts';

const ORG = 'acme';
const TOKEN = 'ghs_promotiontoken';
const SECRET = 'webhook-secret-for-tests';
const SLUG = workspaceSlug('default', 'default');
const ws = '/orgs/default/workspaces/default';
const config = `[Metadata]\nName = "shop"\n\n[Build]\nImage = "ghcr.io/acme/shop:1.0.0"\n\n[Profile.dev]\n\n[Profile.prod]\nReplicas.Min = 2\nReplicas.Max = 2\n`;

let root: string;
let github: GitHubDouble;
let argocd: ArgoCdDouble;
let database: TestDatabase;
let api: TestApi;

before(async () => {
  process.env.LOCO_GITHUB_WEBHOOK_SECRET = SECRET;
  root = await mkdtemp(join(tmpdir(), 'loco-gh-promotion-'));
  github = await startGitHubDouble({ root, token: TOKEN, org: ORG });
  argocd = await startArgoCdDouble({ repoPath: (slug) => join(github.reposDir, ORG, `${slug}.git`) });
  database = await createTestDatabase('postgresql');
  api = await startTestApi('postgresql', {
    github: { token: TOKEN, org: ORG, apiUrl: github.apiUrl }, argocd: { url: argocd.url, token: argocd.token }, progressDeadlineSeconds: 20,
  }, { dataDir: join(root, 'loco'), database });
});

after(async () => {
  await api?.close();
  await argocd?.stop();
  await github?.close();
  await database?.drop();
  await rm(root, { recursive: true, force: true });
});

function webhook(event: string, payload: unknown, secret = SECRET) {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return api.app.inject({
    method: 'POST', url: '/api/v1/webhooks/github', payload: body,
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-hub-signature-256': signature, 'x-github-delivery': 'd-1' },
  });
}

test('on GitHub a promotion is a real pull request, and its merge (webhook) starts tracking prod', async () => {
  const token = api.adminToken;
  const res = await call(api.app, token, 'POST', `${ws}/apps/shop/deployments`, { config, profile: 'dev', image: 'ghcr.io/acme/shop:1.2.0' });
  assert.equal(res.statusCode, 202, res.body);
  assert.equal((await followEvents(api.app, token, res.json().id)).at(-1)!.type, 'succeeded');

  const opened = await call(api.app, token, 'POST', `${ws}/apps/shop/promotions`, { from: 'dev', to: 'prod' });
  assert.equal(opened.statusCode, 201, opened.body);
  const promotion = opened.json();
  const pull = github.pulls.find((p) => p.number === promotion.pullRequest.number)!;
  assert.ok(pull, 'the pull request exists on GitHub');
  assert.equal(pull.title, 'promote(shop): dev → prod');
  assert.equal(pull.head, promotion.branch);
  assert.match(pull.body, /\| Image \| `ghcr\.io\/acme\/shop:1\.2\.0` \|/);

  // A reviewer merges it on GitHub.
  const merge = await fetch(`${github.apiUrl}/repos/${ORG}/${SLUG}/pulls/${pull.number}/merge`, {
    method: 'PUT', headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json', accept: 'application/vnd.github+json' }, body: JSON.stringify({ merge_method: 'merge' }),
  });
  assert.equal(merge.status, 200);
  const { sha } = (await merge.json()) as { sha: string };
  const event = { action: 'closed', repository: { name: SLUG, owner: { login: ORG } }, pull_request: { number: pull.number, merged: true, merge_commit_sha: sha, merged_by: { login: 'carol' } } };

  const forged = await webhook('pull_request', event, 'wrong-secret');
  assert.equal(forged.statusCode, 401);
  assert.equal(forged.json().code, 'auth.webhook-signature');

  const delivered = await webhook('pull_request', event);
  assert.equal(delivered.statusCode, 200, delivered.body);
  assert.equal(delivered.json().status, 'merged');
  const deploymentId = delivered.json().deploymentId as string;
  const events = await followEvents(api.app, token, deploymentId);
  assert.equal(events.at(-1)!.type, 'succeeded', JSON.stringify(events.at(-1)));
  const prod = (await call(api.app, token, 'GET', `/deployments/${deploymentId}`)).json();
  assert.equal(prod.commit, sha);
  assert.equal(prod.profile, 'prod');
  const after = (await call(api.app, token, 'GET', `/promotions/${promotion.id}`)).json();
  assert.equal(after.status, 'merged');
  assert.equal(after.deploymentId, deploymentId);

  // A redelivery changes nothing; the merge commit made on GitHub passes the audit.
  assert.equal((await webhook('pull_request', event)).json().handled, false);
  const verify = (await call(api.app, token, 'GET', `${ws}/audit/verify`)).json();
  assert.deepEqual(verify.findings, []);
  assert.deepEqual(github.violations, []);
  assert.deepEqual(argocd.violations, []);
});
