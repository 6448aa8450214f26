// GitHub OAuth device flow for `loco login` (GitHub's REST endpoints, no client secret needed):
// the API starts the flow, the CLI shows the code and polls through the API, and on success
// the API finds or creates the user by GitHub id only (github-identity.ts) and issues a Loco token. GitHub's token is used once and never stored.

import type { EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import { userForGitHubAccount } from './github-identity.ts';
import { issuePersonalToken } from './tokens.ts';

export interface GitHubOAuthSettings {
  clientId: string;
  /** https://github.com (or a GitHub Enterprise server) */
  webUrl?: string;
  /** https://api.github.com */
  apiUrl?: string;
  fetch?: typeof globalThis.fetch;
}

export interface DeviceStart {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  expiresIn: number;
  interval: number;
}

export type DevicePoll =
  | { status: 'pending' | 'slow_down'; interval: number }
  | { status: 'complete'; token: string; user: { id: string; name: string; email?: string } };

const trimSlash = (url: string) => url.replace(/\/+$/, '');

async function githubJson(settings: GitHubOAuthSettings, url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const fetchFn = settings.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await fetchFn(url, { ...init, headers: { accept: 'application/json', 'user-agent': 'loco', ...(init.headers ?? {}) }, signal: AbortSignal.timeout(15000) });
  } catch (error) {
    throw new LocoError('upstream.github', 'GitHub could not be reached for the login', 'check the API host can reach github.com, then try again', { cause: error });
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!body || typeof body !== 'object') throw new LocoError('upstream.github', `GitHub answered ${response.status} without JSON`, 'try again later');
  if (!response.ok && !body.error) throw new LocoError('upstream.github', `GitHub answered ${response.status}`, 'check LOCO_GITHUB_CLIENT_ID and that the OAuth app has device flow enabled');
  return body;
}

export async function startDeviceFlow(settings: GitHubOAuthSettings): Promise<DeviceStart> {
  const web = trimSlash(settings.webUrl ?? 'https://github.com');
  const body = await githubJson(settings, `${web}/login/device/code`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: settings.clientId, scope: 'read:user user:email' }),
  });
  if (typeof body.device_code !== 'string' || typeof body.user_code !== 'string') {
    throw new LocoError('upstream.github', `GitHub refused to start the login: ${String(body.error_description ?? body.error ?? 'no device code')}`, 'check LOCO_GITHUB_CLIENT_ID and that the OAuth app has device flow enabled');
  }
  return {
    deviceCode: body.device_code,
    userCode: body.user_code,
    verificationUri: String(body.verification_uri ?? `${web}/login/device`),
    expiresIn: Number(body.expires_in ?? 900),
    interval: Number(body.interval ?? 5),
  };
}

export async function pollDeviceFlow(settings: GitHubOAuthSettings, em: EntityManager, deviceCode: string): Promise<DevicePoll> {
  const web = trimSlash(settings.webUrl ?? 'https://github.com');
  const body = await githubJson(settings, `${web}/login/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: settings.clientId, device_code: deviceCode, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' }),
  });
  if (body.error === 'authorization_pending') return { status: 'pending', interval: Number(body.interval ?? 5) };
  if (body.error === 'slow_down') return { status: 'slow_down', interval: Number(body.interval ?? 10) };
  if (body.error === 'expired_token') throw new LocoError('auth.device-expired', 'the login code expired before it was entered', 'run `loco login` again');
  if (body.error === 'access_denied') throw new LocoError('auth.device-denied', 'the login was cancelled on GitHub', 'run `loco login` again and authorize Loco');
  if (typeof body.access_token !== 'string') {
    throw new LocoError('auth.device-failed', `GitHub did not complete the login: ${String(body.error_description ?? body.error ?? 'no token')}`, 'run `loco login` again');
  }
  const api = trimSlash(settings.apiUrl ?? 'https://api.github.com');
  const profile = await githubJson(settings, `${api}/user`, { method: 'GET', headers: { authorization: `Bearer ${body.access_token}` } });
  if (typeof profile.login !== 'string' || profile.id === undefined) throw new LocoError('upstream.github', 'GitHub did not say who logged in', 'try again');
  const user = await userForGitHubAccount(em, { id: String(profile.id), login: profile.login, email: typeof profile.email === 'string' ? profile.email : null });
  const token = await issuePersonalToken(em, user.id, 'loco login (GitHub)');
  return { status: 'complete', token, user: { id: user.id, name: user.name, ...(user.email ? { email: user.email } : {}) } };
}
