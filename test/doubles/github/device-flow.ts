// An HTTP double of GitHub's OAuth device flow, for `loco login`: github.com's
// POST /login/device/code and POST /login/oauth/access_token, and api.github.com's GET /user
// and GET /users/{username} (the public "Get a user": accounts given or approved exist),
// on one 127.0.0.1 port (set it as both LOCO_GITHUB_WEB_URL and LOCO_GITHUB_API_URL). Shapes and
// error codes follow GitHub's device-flow documentation (authorization_pending, slow_down,
// expired_token, access_denied). The test plays the person at the browser: it approves or
// denies the user code the CLI printed, or lets it expire.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubAccount {
  login: string;
  id: number;
  email?: string;
}

export interface DeviceFlowDoubleOptions {
  /** The OAuth app's client id the double accepts (default Iv1.loco-test). */
  clientId?: string;
  /** Seconds a client must wait between polls (GitHub: 5); faster polls get slow_down. */
  interval?: number;
  /** Seconds a code lives (GitHub: 900). */
  expiresIn?: number;
  /** Accounts that exist on this GitHub (GET /users/{username}); approved accounts are added. */
  accounts?: GitHubAccount[];
}

export interface DeviceFlowDouble {
  /** Base URL of both github.com and api.github.com. */
  url: string;
  clientId: string;
  /** `METHOD path` of every request, in order. */
  requests: string[];
  /** Codes handed out, newest last. */
  codes: { userCode: string; deviceCode: string }[];
  /** What each token poll was answered, in order: an OAuth error code, or 'access_token'. */
  polls: string[];
  /** Resolves with what the next token poll was answered: an OAuth error code, or 'access_token'. */
  nextPoll(): Promise<string>;
  /** An account GitHub has from now on (GET /users/{username} finds it). */
  addAccount(account: GitHubAccount): void;
  /** The person enters the code and authorizes the app as this GitHub account. */
  approve(userCode: string, account: GitHubAccount): void;
  /** The person cancels the authorization on GitHub. */
  deny(userCode: string): void;
  /** The code times out on GitHub's side. */
  expire(userCode: string): void;
  close(): Promise<void>;
}

type Grant =
  | { state: 'pending' }
  | { state: 'approved'; account: GitHubAccount }
  | { state: 'denied' }
  | { state: 'expired' }
  | { state: 'used' };

interface Flow {
  userCode: string;
  deviceCode: string;
  grant: Grant;
  expiresAt: number;
  lastPollAt: number;
}

const DOCS = 'https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow';

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  // GitHub takes either form: JSON, or application/x-www-form-urlencoded.
  if (String(req.headers['content-type'] ?? '').includes('json')) return JSON.parse(text) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(text));
}

export async function startDeviceFlowDouble(options: DeviceFlowDoubleOptions = {}): Promise<DeviceFlowDouble> {
  const clientId = options.clientId ?? 'Iv1.loco-test';
  const interval = options.interval ?? 5;
  const expiresIn = options.expiresIn ?? 900;
  const flows = new Map<string, Flow>(); // by device code
  const accounts = new Map((options.accounts ?? []).map((a) => [a.login.toLowerCase(), a])); // by lower-cased login
  const accessTokens = new Map<string, GitHubAccount>();
  const requests: string[] = [];
  const codes: { userCode: string; deviceCode: string }[] = [];
  /** Answers to token polls, in order; nextPoll() waits for the next one. */
  const polls: string[] = [];
  let pollWaiters: ((answer: string) => void)[] = [];
  const answered = (answer: string) => {
    polls.push(answer);
    const wake = pollWaiters;
    pollWaiters = [];
    for (const resolve of wake) resolve(answer);
  };

  const flowOf = (userCode: string): Flow => {
    const flow = [...flows.values()].find((f) => f.userCode === userCode);
    if (!flow) throw new Error(`the device-flow double never handed out the user code ${userCode}`);
    return flow;
  };

  const server = createServer((req, res) => {
    const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
    const oauthError = (error: string, description: string, extra: Record<string, unknown> = {}) => {
      if (path === '/login/oauth/access_token') answered(error);
      return json(200, { error, error_description: description, error_uri: DOCS, ...extra }); // GitHub answers these with 200
    };
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push(`${req.method} ${path}`);
    readBody(req).then((body) => {
      if (req.method === 'POST' && path === '/login/device/code') {
        if (body.client_id !== clientId) return json(404, { error: 'Not Found' });
        const userCode = `${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}`.toUpperCase();
        const deviceCode = randomBytes(20).toString('hex');
        flows.set(deviceCode, { userCode, deviceCode, grant: { state: 'pending' }, expiresAt: Date.now() + expiresIn * 1000, lastPollAt: 0 });
        codes.push({ userCode, deviceCode });
        return json(200, { device_code: deviceCode, user_code: userCode, verification_uri: 'https://github.com/login/device', expires_in: expiresIn, interval });
      }
      if (req.method === 'POST' && path === '/login/oauth/access_token') {
        if (body.client_id !== clientId) return oauthError('incorrect_client_credentials', 'The client_id is not valid.');
        if (body.grant_type !== 'urn:ietf:params:oauth:grant-type:device_code') return oauthError('unsupported_grant_type', 'The grant type is not supported.');
        const flow = flows.get(body.device_code ?? '');
        if (!flow) return oauthError('incorrect_device_code', 'The device_code provided is not valid.');
        if (flow.grant.state === 'pending' && Date.now() > flow.expiresAt) flow.grant = { state: 'expired' };
        const now = Date.now();
        const tooSoon = now - flow.lastPollAt < interval * 1000;
        flow.lastPollAt = now;
        switch (flow.grant.state) {
          case 'expired': return oauthError('expired_token', 'The device code has expired.');
          case 'denied': return oauthError('access_denied', 'The authorization request was denied.');
          case 'used': return oauthError('incorrect_device_code', 'The device_code provided is not valid.');
          case 'pending':
            return tooSoon ? oauthError('slow_down', 'Too many requests have been made in the same timeframe.', { interval: interval + 5 }) : oauthError('authorization_pending', 'The authorization request is still pending.');
          case 'approved': {
            const accessToken = `gho_${randomBytes(18).toString('hex')}`;
            accessTokens.set(accessToken, flow.grant.account);
            flow.grant = { state: 'used' };
            answered('access_token');
            return json(200, { access_token: accessToken, token_type: 'bearer', scope: 'read:user,user:email' });
          }
        }
      }
      if (req.method === 'GET' && path === '/user') {
        const auth = String(req.headers.authorization ?? '');
        const account = accessTokens.get(auth.replace(/^(bearer|token) /i, ''));
        if (!account) return json(401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user' });
        return json(200, { login: account.login, id: account.id, type: 'User', email: account.email ?? null });
      }
      const named = /^\/users\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && named) {
        // GitHub logins are case-insensitive
        const account = accounts.get(decodeURIComponent(named[1]).toLowerCase());
        if (!account) return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/users/users#get-a-user', status: '404' });
        return json(200, { login: account.login, id: account.id, type: 'User', site_admin: false, email: account.email ?? null });
      }
      json(404, { message: 'Not Found' });
    }).catch((error: Error) => {
      if (!res.headersSent) json(500, { message: error.message });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    clientId,
    requests,
    codes,
    polls,
    nextPoll: () => new Promise((resolve) => pollWaiters.push(resolve)),
    addAccount: (account) => void accounts.set(account.login.toLowerCase(), account),
    approve: (userCode, account) => {
      accounts.set(account.login.toLowerCase(), account);
      flowOf(userCode).grant = { state: 'approved', account };
    },
    deny: (userCode) => void (flowOf(userCode).grant = { state: 'denied' }),
    expire: (userCode) => void (flowOf(userCode).grant = { state: 'expired' }),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
