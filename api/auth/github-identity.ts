// Which Loco user a GitHub account is. Identities are linked by GitHub's numeric user id only,
// never by login: logins can be renamed and re-registered, and the first-start user is named
// `admin`, so a GitHub account whose login is `admin` must not become it. A member an admin adds
// by GitHub login is resolved to that account's id when added (GitHub's "Get a user"), so the
// person's later sign-in lands on that user by id.

import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from '../ids.ts';
import { LocoError } from '../../generator/errors.ts';
import { User } from '../db/entities.ts';

/** Where GitHub's REST API is (https://api.github.com, or GitHub Enterprise's). */
export interface GitHubApi {
  apiUrl?: string;
  fetch?: typeof globalThis.fetch;
}

export interface GitHubAccount {
  id: string;
  login: string;
  email: string | null;
}

/** Finds the user linked to this GitHub id, or creates one (named by the login when that name is free). */
export async function userForGitHubAccount(em: EntityManager, account: GitHubAccount): Promise<User> {
  const linked = await em.findOne(User, { githubId: account.id });
  if (linked) {
    if (account.email && !linked.email) linked.email = account.email;
    await em.flush();
    return linked;
  }
  // A taken name (the first-start `admin`, a local user, a renamed account's old login) is
  // someone else: this account gets its own user, its name made unique by the GitHub id.
  const taken = await em.findOne(User, { name: account.login });
  const name = taken ? `${account.login}-${account.id}` : account.login;
  const user = em.create(User, { id: `usr_${ulid()}`, name, email: account.email, githubId: account.id });
  await em.flush();
  return user;
}

/** GitHub's public "Get a user" (GET /users/{username}): the account's id, or null when GitHub has no such login. */
export async function gitHubAccountByLogin(settings: GitHubApi, login: string): Promise<GitHubAccount | null> {
  const api = (settings.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  let response: Response;
  try {
    response = await (settings.fetch ?? globalThis.fetch)(`${api}/users/${encodeURIComponent(login)}`, {
      headers: { accept: 'application/vnd.github+json', 'user-agent': 'loco' }, signal: AbortSignal.timeout(15000),
    });
  } catch (error) {
    throw new LocoError('upstream.github', `GitHub could not be reached to look up ${login}`, 'check the API host can reach GitHub, then add the member again', { cause: error });
  }
  if (response.status === 404) return null;
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok || !body || body.id === undefined || typeof body.login !== 'string') {
    throw new LocoError('upstream.github', `GitHub answered ${response.status} when asked about ${login}`, 'try again later (GitHub limits unauthenticated look-ups to 60 an hour)');
  }
  return { id: String(body.id), login: body.login, email: typeof body.email === 'string' ? body.email : null };
}
