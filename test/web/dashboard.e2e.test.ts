// The dashboard in a real browser (Playwright driving Debian's Chromium) against a real API on
// port 0 that follows the Argo CD double: sign in with a token, watch a deploy go to succeeded
// live, read a failed deploy's cause and next step, a second user approves and merges a
// promotion and the board shows prod updated, a viewer has no approve button and a forged
// approve is refused, and a user of another workspace sees nothing. Screenshots of each page
// go to a temp folder whose path is printed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/server.ts';
import { startDeviceFlowDouble } from '../doubles/github/device-flow.ts';
import { argoApplicationName, workspaceSlug } from '../../generator/names.ts';
import { call, config, followEvents, startTestApi, userWithToken, type TestApi } from '../api/helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const shots = mkdtempSync(join(tmpdir(), 'loco-web-shots-'));
const ws = '/orgs/default/workspaces/default';

describe('web dashboard', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium): browser tests skipped` }, () => {
  let api: TestApi;
  let argocd: ArgoCdDouble;
  let browser: Browser;
  let url: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    argocd = await startArgoCdDouble({ repoPath: (slug) => join(api.dataDir, 'repos', `${slug}.git`) });
    api = await startTestApi('pglite', { argocd: { url: argocd.url, token: argocd.token, healthySeconds: 0.2, failureGraceSeconds: 0.5 } });
    url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    tokens.admin = api.adminToken;
    for (const [user, role] of [['bob', 'deploy'], ['carol', 'read']]) {
      tokens[user] = await userWithToken(api.app, user);
      assert.equal((await call(api.app, api.adminToken, 'POST', `${ws}/members`, { user, role })).statusCode < 300, true);
    }
    assert.equal((await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces', { name: 'other' })).statusCode, 201);
    tokens.mallory = await userWithToken(api.app, 'mallory');
    await call(api.app, api.adminToken, 'POST', '/orgs/default/workspaces/other/members', { user: 'mallory', role: 'admin' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    console.log(`# screenshots: ${shots}`);
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    await argocd?.stop();
  });

  async function signIn(user: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await page.goto(`${url}/`);
    await page.locator('input[type=password]').fill(tokens[user]);
    await page.locator('input[type=password]').press('Enter');
    await page.waitForURL(/\/w\/default\/(default|other)$/);
    return page;
  }

  const deploy = async (app: string, image = `registry.example.com/acme/${app}:1`) => {
    const r = await call(api.app, api.adminToken, 'POST', `${ws}/apps/${app}/deployments`, { config: config(app), profile: 'dev', image });
    assert.equal(r.statusCode, 202, r.body);
    return r.json().id as string;
  };

  test('sign in with a token; the board shows a deploy reaching succeeded live', async () => {
    const page = await signIn('admin');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'loco_session');
    assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', 'the session cookie is HttpOnly and SameSite=Strict');
    await page.screenshot({ path: join(shots, 'board-empty.png') });
    // deploy once the board's live stream is open (its listener is registered before the head is sent)
    const live = page.waitForResponse((r) => r.url().endsWith('/live'));
    await page.reload();
    await live;
    await deploy('web');
    await page.locator('td[data-app="web"][data-profile="dev"]').getByText('succeeded').waitFor();
    await page.screenshot({ path: join(shots, 'board-succeeded.png'), fullPage: true });
    assert.match(await page.locator('#board').innerText(), /web/);
  });

  test('a failed deploy shows its cause and next step on its page, which shows its id', async () => {
    argocd.setScenario(argoApplicationName(workspaceSlug('default', 'default'), 'crashy', 'dev'), { outcome: 'crash-loop' });
    const id = await deploy('crashy');
    await followEvents(api.app, api.adminToken, id);
    const page = await signIn('admin');
    await page.goto(`${url}/deployments/${id}`);
    const text = await page.locator('main').innerText();
    assert.match(text, new RegExp(id));
    assert.match(text, /failed/);
    assert.match(text, /CrashLoopBackOff/);
    assert.match(text, /Next step: .*loco logs/);
    assert.match(text, /Rendered change[\s\S]*\+\+\+ b\/apps\/crashy\/overlays\/dev\/kustomization\.yaml/, 'the commit\'s diff of the rendered files');
    await page.screenshot({ path: join(shots, 'deployment-failed.png'), fullPage: true });
    await page.goto(`${url}/w/default/default`);
    await page.locator('td[data-app="crashy"][data-profile="dev"]').getByText('failed').waitFor();
  });

  test('a second user approves and merges a promotion in the browser, and the board shows prod updated', async () => {
    const opened = await call(api.app, api.adminToken, 'POST', `${ws}/apps/web/promotions`, { from: 'dev', to: 'prod' });
    assert.equal(opened.statusCode, 201, opened.body);
    const promotion = opened.json().id as string;
    const page = await signIn('bob');
    await page.goto(`${url}/w/default/default/promotions`);
    await page.screenshot({ path: join(shots, 'promotions.png'), fullPage: true });
    await page.locator(`section[id="${promotion}"] button`, { hasText: 'Approve' }).click();
    await page.locator(`section[id="${promotion}"] button`, { hasText: 'Merge' }).click();
    await page.waitForURL(/promotions#/);
    await page.goto(`${url}/w/default/default`);
    await page.locator('td[data-app="web"][data-profile="prod"]').getByText('succeeded').waitFor();
    await page.screenshot({ path: join(shots, 'board-prod.png'), fullPage: true });
  });

  test('a viewer sees no approve button, and a forged approve is refused by the API', async () => {
    await followEvents(api.app, api.adminToken, await deploy('web', 'registry.example.com/acme/web:2'));
    const opened = await call(api.app, api.adminToken, 'POST', `${ws}/apps/web/promotions`, { from: 'dev', to: 'prod' });
    assert.equal(opened.statusCode, 201, opened.body);
    const promotion = opened.json().id as string;
    const page = await signIn('carol');
    await page.goto(`${url}/w/default/default/promotions`);
    assert.equal(await page.locator('button', { hasText: 'Approve' }).count(), 0);
    const csrf = await page.locator('header input[name=csrf]').inputValue();
    const forged = await page.request.post(`${url}/w/default/default/promotions/${promotion}/approve`, { form: { csrf } });
    assert.equal(forged.status(), 409);
    assert.match(await forged.text(), /approve refused/);
    const noCsrf = await page.request.post(`${url}/w/default/default/promotions/${promotion}/approve`, { form: {} });
    assert.equal(noCsrf.status(), 403);
    const viaApi = await page.request.post(`${url}/api/v1/promotions/${promotion}/approve`);
    assert.equal(viaApi.status(), 401, 'the session cookie never authorizes a state change on /api/v1');
  });

  test('with GitHub login configured, a user signs in through the device flow: code shown, not yet, approved, signed in', async (t) => {
    const github = await startDeviceFlowDouble({ interval: 0, accounts: [{ login: 'octocat', id: 583231 }] });
    const withGitHub = await startTestApi('pglite', { githubOAuth: { clientId: github.clientId, webUrl: github.url, apiUrl: github.url } });
    let context: BrowserContext | undefined;
    // the browser first: the board's live stream would otherwise keep the server's close waiting
    t.after(async () => { await context?.close(); await withGitHub.close(); await github.close(); });
    await call(withGitHub.app, withGitHub.adminToken, 'POST', `${ws}/members`, { user: 'octocat', role: 'deploy' });
    const base = await withGitHub.app.listen({ port: 0, host: '127.0.0.1' });
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Sign in with GitHub' }).click();
    const code = await page.locator('#user-code').innerText();
    assert.equal(code, github.codes.at(-1)!.userCode, 'the page shows the code GitHub handed out');
    await page.screenshot({ path: join(shots, 'github-code.png') });
    await page.getByRole('button', { name: 'I have approved Loco on GitHub' }).click();
    assert.match(await page.locator('main').innerText(), /has not seen your approval yet/);
    github.approve(code, { login: 'octocat', id: 583231, email: 'octocat@github.com' });
    await page.getByRole('button', { name: 'I have approved Loco on GitHub' }).click();
    await page.waitForURL(/\/w\/default\/default$/);
    assert.match(await page.locator('header').innerText(), /octocat/);
  });

  test('a user of another workspace sees nothing of this one', async () => {
    const page = await signIn('mallory');
    assert.doesNotMatch(await page.locator('main').innerText(), /web|crashy/);
    const board = await page.goto(`${url}/w/default/default`);
    assert.equal(board?.status(), 404);
    const history = await page.goto(`${url}/w/default/default/history`);
    assert.equal(history?.status(), 404);
    await page.screenshot({ path: join(shots, 'other-workspace.png') });
  });
});
