// GitHub hosting: one repository per workspace in LOCO_GITHUB_ORG, created and guarded with
// octokit; commits are made in a local bare mirror (<dataDir>/repos/<slug>.git) and pushed
// over HTTPS with the token. GitHub's refusal of a non-fast-forward push is the
// compare-and-swap; nothing is ever force-pushed.

import * as path from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { Octokit } from 'octokit';
import { LocoError } from '../../generator/errors.ts';
import { gitFs } from './git-fs.ts';
import type { GitHost } from './git-host.ts';
import { initBareRepository } from './local-host.ts';
import { pushBranch, type PushOutcome } from './github-push.ts';
import { NOTES_REF } from './outcome-notes.ts';
import { compareAndSwapRef, readRef } from './ref-cas.ts';
import type { TreeStore } from './tree-edit.ts';

export interface GitHubHostOptions {
  token: string;
  org: string;
  apiUrl?: string;
  mirrorsDir: string;
  /** For the REST calls (metrics count them); global fetch by default. */
  fetch?: typeof fetch;
}

// octokit (a hundred modules) loads with the first GitHub call, not at start: without
// LOCO_GITHUB_TOKEN the API never needs it.
type OctokitModule = typeof import('octokit');
let octokitModule: OctokitModule | undefined;
async function loadOctokit(): Promise<OctokitModule> {
  return (octokitModule ??= await import('octokit'));
}

/** Only octokit throws a RequestError, so before it has loaded nothing is one. */
function isRequestError(error: unknown): error is InstanceType<OctokitModule['RequestError']> {
  return octokitModule !== undefined && error instanceof octokitModule.RequestError;
}

function upstream(error: unknown, doing: string): LocoError {
  if (error instanceof LocoError) return error;
  if (isRequestError(error)) {
    if (error.status === 401 || error.status === 403) {
      return new LocoError('upstream.github-auth', `GitHub refused to ${doing} (${error.status}: ${error.message})`, 'check that LOCO_GITHUB_TOKEN is valid and may administer repositories in LOCO_GITHUB_ORG', { cause: error });
    }
    return new LocoError('upstream.github', `GitHub failed to ${doing} (${error.status}: ${error.message})`, 'retry; if it persists, check https://www.githubstatus.com', { cause: error });
  }
  const code = (error as { code?: string }).code;
  if (code === 'HttpError') {
    const status = (error as { data?: { statusCode?: number } }).data?.statusCode;
    return new LocoError('upstream.github', `GitHub's git server failed to ${doing} (HTTP ${status})`, 'check LOCO_GITHUB_TOKEN has contents:write on the repository', { cause: error });
  }
  return new LocoError('unavailable.github', `could not reach GitHub to ${doing}: ${(error as Error).message}`, 'check the network and LOCO_GITHUB_API_URL', { cause: error });
}

export function createGitHubHost(options: GitHubHostOptions): GitHost {
  const { org } = options;
  let client: Promise<Octokit> | undefined;
  const octokit = () => (client ??= loadOctokit().then(({ Octokit }) => new Octokit({
    auth: options.token,
    ...(options.apiUrl ? { baseUrl: options.apiUrl } : {}),
    ...(options.fetch ? { request: { fetch: options.fetch } } : {}),
    // Fail fast instead of sleeping out a rate limit inside a deploy request.
    throttle: { onRateLimit: () => false, onSecondaryRateLimit: () => false },
  })));
  const cloneUrls = new Map<string, string>();
  const mirrors = new Set<string>();
  const onAuth = () => ({ username: 'x-access-token', password: options.token });
  // Sent up front: saves the 401 round trip before every fetch and push.
  const headers = { authorization: `Basic ${Buffer.from(`x-access-token:${options.token}`).toString('base64')}` };
  const gitdir = (slug: string) => path.join(options.mirrorsDir, `${slug}.git`);
  const tracking = (branch: string) => `refs/remotes/origin/${branch}`;

  /** The local bare mirror, with `origin` pointing at GitHub (once per process). */
  async function ensureMirror(slug: string, url: string): Promise<void> {
    if (mirrors.has(slug)) return;
    await initBareRepository(gitdir(slug));
    await git.addRemote({ fs: gitFs, gitdir: gitdir(slug), remote: 'origin', url, force: true });
    // isomorphic-git's push leaves out what origin/HEAD already holds; without it, pushing a
    // new promotion branch would upload every object of the repository again.
    await git.writeRef({ fs: gitFs, gitdir: gitdir(slug), ref: 'refs/remotes/origin/HEAD', value: 'refs/remotes/origin/main', symbolic: true, force: true });
    mirrors.add(slug);
  }

  /** The repository's clone URL, or null when it does not exist on GitHub (yet). */
  async function findCloneUrl(slug: string): Promise<string | null> {
    let url = cloneUrls.get(slug);
    if (!url) {
      try {
        url = (await (await octokit()).rest.repos.get({ owner: org, repo: slug })).data.clone_url;
      } catch (error) {
        if (isRequestError(error) && error.status === 404) return null;
        throw upstream(error, `read repository ${org}/${slug}`);
      }
      cloneUrls.set(slug, url);
    }
    await ensureMirror(slug, url);
    return url;
  }

  async function cloneUrl(slug: string): Promise<string> {
    const url = await findCloneUrl(slug);
    if (!url) throw new LocoError('not-found.repository', `GitHub repository ${org}/${slug} does not exist`, 'create the workspace again, or check LOCO_GITHUB_ORG');
    return url;
  }

  const treeStores = new Map<string, TreeStore>();
  const treeStore = (slug: string): TreeStore => {
    let ts = treeStores.get(slug);
    if (!ts) treeStores.set(slug, (ts = { gitdir: gitdir(slug), cache: {} }));
    return ts;
  };

  /** For long runs of new commits: isomorphic-git's push works out the objects itself. */
  async function pushWithIsomorphicGit(slug: string, url: string, branch: string, next: string): Promise<PushOutcome> {
    const outgoing = `refs/loco/outgoing/${branch}`;
    await git.writeRef({ fs: gitFs, gitdir: gitdir(slug), ref: outgoing, value: next, force: true });
    try {
      const result = await git.push({ fs: gitFs, http, gitdir: gitdir(slug), url, ref: outgoing, remoteRef: `refs/heads/${branch}`, onAuth, headers });
      return result.ok && result.refs[`refs/heads/${branch}`]?.ok !== false ? { status: 'ok' } : { status: 'moved' };
    } catch (error) {
      // PushRejectedError: not a fast-forward of what we saw; GitPushError: the server's ref
      // update lost a race (its own compare-and-swap). Both mean "the branch moved".
      const code = (error as { code?: string }).code;
      if (code === 'PushRejectedError' || code === 'GitPushError') return { status: 'moved' };
      throw error;
    }
  }

  return {
    kind: 'github',
    gitdir,
    refName: tracking,

    async prepare(slug) {
      let url: string;
      try {
        url = (await (await octokit()).rest.repos.get({ owner: org, repo: slug })).data.clone_url;
      } catch (error) {
        if (!(isRequestError(error) && error.status === 404)) throw upstream(error, `read repository ${org}/${slug}`);
        try {
          const created = await (await octokit()).rest.repos.createInOrg({
            org,
            name: slug,
            private: true,
            auto_init: false,
            has_wiki: false,
            description: `Loco GitOps repository of workspace ${slug}`,
          });
          url = created.data.clone_url;
        } catch (createError) {
          throw upstream(createError, `create repository ${org}/${slug}`);
        }
      }
      cloneUrls.set(slug, url);
      await ensureMirror(slug, url);
    },

    async refresh(slug, branch) {
      // No repository yet: nothing to fetch, and the branch reads as missing, as locally.
      const url = await findCloneUrl(slug);
      if (!url) return;
      try {
        await git.fetch({ fs: gitFs, http, gitdir: gitdir(slug), url, remote: 'origin', ref: tracking(branch), remoteRef: branch, singleBranch: true, tags: false, onAuth, headers });
      } catch (error) {
        if ((error as { code?: string }).code === 'NotFoundError') {
          // The branch is gone on GitHub (merged and deleted): forget our copy of it.
          await git.deleteRef({ fs: gitFs, gitdir: gitdir(slug), ref: tracking(branch) }).catch(() => undefined);
          return;
        }
        throw upstream(error, `fetch ${branch} of ${org}/${slug}`);
      }
    },

    notesRef: NOTES_REF,

    async refreshNotes(slug) {
      const url = await findCloneUrl(slug);
      if (!url) return;
      let fetched: string | null;
      try {
        // Not under refs/heads/, so no refspec maps it: the fetched head is set below.
        fetched = (await git.fetch({ fs: gitFs, http, gitdir: gitdir(slug), url, remote: 'origin', ref: NOTES_REF, remoteRef: NOTES_REF, singleBranch: true, tags: false, onAuth, headers })).fetchHead;
      } catch (error) {
        if ((error as { code?: string }).code !== 'NotFoundError') throw upstream(error, `fetch the outcome notes of ${org}/${slug}`);
        fetched = null; // no deployment outcome recorded on GitHub yet
      }
      if (fetched) await git.writeRef({ fs: gitFs, gitdir: gitdir(slug), ref: NOTES_REF, value: fetched, force: true });
      else await git.deleteRef({ fs: gitFs, gitdir: gitdir(slug), ref: NOTES_REF }).catch(() => undefined);
    },

    async publishNotes(slug, expected, next) {
      const dir = gitdir(slug);
      if ((await readRef(dir, NOTES_REF)) !== expected) return false;
      const url = await cloneUrl(slug);
      let outcome: PushOutcome;
      try {
        // A notes commit has one new commit over the advertised one, so the fallback never applies.
        outcome = await pushBranch({ ts: treeStore(slug), url, headers, branch: 'notes', ref: NOTES_REF, expected, next });
      } catch (error) {
        throw upstream(error, `push the outcome notes to ${org}/${slug}`);
      }
      if (outcome.status === 'refused') {
        throw new LocoError('upstream.github-rejected', `GitHub refused the push of ${NOTES_REF} to ${org}/${slug}: ${outcome.reason}`, `let Loco's token push ${NOTES_REF} (a ruleset may restrict refs other than branches)`);
      }
      if (outcome.status !== 'ok') return false;
      await compareAndSwapRef(dir, NOTES_REF, expected, next);
      return true;
    },

    async publish(slug, branch, expected, next) {
      const dir = gitdir(slug);
      if ((await readRef(dir, tracking(branch))) !== expected) return false;
      const url = await cloneUrl(slug);
      let outcome: PushOutcome;
      try {
        outcome = await pushBranch({ ts: treeStore(slug), url, headers, branch, expected, next });
        if (outcome.status === 'fallback') outcome = await pushWithIsomorphicGit(slug, url, branch, next);
      } catch (error) {
        throw upstream(error, `push ${branch} to ${org}/${slug}`);
      }
      if (outcome.status === 'refused') {
        throw new LocoError(
          'upstream.github-rejected',
          `GitHub refused the push to ${branch} of ${org}/${slug}: ${outcome.reason}`,
          "let Loco's token push to the branch (branch protection: do not enforce for admins, or add the token's app to the bypass list)",
        );
      }
      if (outcome.status !== 'ok') return false;
      await compareAndSwapRef(dir, tracking(branch), expected, next);
      return true;
    },

    async protect(slug, branch) {
      try {
        await (await octokit()).rest.repos.updateBranchProtection({
          owner: org,
          repo: slug,
          branch,
          // The kustomize build of every overlay must pass before a merge.
          required_status_checks: { strict: false, contexts: ['validate'] },
          // Loco's own token (an admin) commits dev deploys directly; people go through PRs.
          enforce_admins: false,
          required_pull_request_reviews: { require_code_owner_reviews: true, required_approving_review_count: 1, dismiss_stale_reviews: true },
          restrictions: null,
          allow_force_pushes: false,
          allow_deletions: false,
          required_linear_history: false,
        });
      } catch (error) {
        throw upstream(error, `protect ${branch} of ${org}/${slug}`);
      }
    },

    async deleteBranch(slug, branch) {
      try {
        await (await octokit()).rest.git.deleteRef({ owner: org, repo: slug, ref: `heads/${branch}` });
      } catch (error) {
        if (!(isRequestError(error) && (error.status === 404 || error.status === 422))) throw upstream(error, `delete branch ${branch} of ${org}/${slug}`);
      }
      await git.deleteRef({ fs: gitFs, gitdir: gitdir(slug), ref: tracking(branch) }).catch(() => undefined);
    },

    async openPullRequest(slug, request) {
      try {
        const { data } = await (await octokit()).rest.pulls.create({ owner: org, repo: slug, head: request.branch, base: request.base, title: request.title, body: request.body });
        return { number: data.number, url: data.html_url, branch: request.branch, base: request.base };
      } catch (error) {
        throw upstream(error, `open a pull request from ${request.branch} in ${org}/${slug}`);
      }
    },

    async mergePullRequest(slug, request) {
      try {
        const { data } = await (await octokit()).rest.pulls.merge({
          owner: org,
          repo: slug,
          pull_number: request.number,
          // GitHub refuses (409) when the branch moved since the promotion was reviewed.
          sha: request.sha,
          merge_method: 'merge',
          commit_title: request.title,
          commit_message: request.message,
        });
        return data.sha;
      } catch (error) {
        if (isRequestError(error) && (error.status === 405 || error.status === 409)) {
          throw new LocoError('conflict.merge', `GitHub cannot merge pull request #${request.number}: ${error.message}`, 'check the pull request on GitHub (reviews, checks, conflicts) and merge it there, or promote again', { cause: error });
        }
        throw upstream(error, `merge pull request #${request.number} of ${org}/${slug}`);
      }
    },
  };
}
