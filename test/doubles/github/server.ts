// An HTTP double of exactly the GitHub REST endpoints Loco calls, plus GitHub's git endpoint
// served by the real `git http-backend`, on 127.0.0.1. Every request and response is checked
// against GitHub's published OpenAPI description; mismatches are collected in `violations`.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { serveGit } from './git-http-backend.ts';
import { loadGitHubContract } from './openapi-contract.ts';

export const GITHUB_OPERATIONS = ['repos/get', 'repos/create-in-org', 'repos/update-branch-protection', 'pulls/create', 'pulls/merge', 'git/delete-ref'];

export interface PullRecord {
  number: number;
  repo: string;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
}

export interface GitHubDouble {
  apiUrl: string;
  /** Bare repositories as GitHub holds them: <reposDir>/<owner>/<repo>.git */
  reposDir: string;
  calls: { operationId: string; status: number; body?: unknown }[];
  violations: string[];
  protections: Map<string, unknown>;
  pulls: PullRecord[];
  gitRequests: { method: string; path: string; user: string }[];
  close(): Promise<void>;
}

type Reply = { status: number; body?: unknown };

const DOCS = 'https://docs.github.com/rest';

function git(gitdir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: gitdir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: gitdir, GIT_AUTHOR_NAME: 'GitHub', GIT_AUTHOR_EMAIL: 'noreply@github.com', GIT_COMMITTER_NAME: 'GitHub', GIT_COMMITTER_EMAIL: 'noreply@github.com' } }).trim();
}

function tryGit(gitdir: string, ...args: string[]): string | null {
  try {
    return git(gitdir, ...args);
  } catch {
    return null;
  }
}

export async function startGitHubDouble(options: { root: string; token: string; org: string }): Promise<GitHubDouble> {
  const contracts = loadGitHubContract(GITHUB_OPERATIONS);
  const reposDir = path.join(options.root, 'github');
  mkdirSync(reposDir, { recursive: true });
  const double: Omit<GitHubDouble, 'apiUrl' | 'close'> = { reposDir, calls: [], violations: [], protections: new Map(), pulls: [], gitRequests: [] };
  let base = '';
  const gitdirOf = (owner: string, repo: string) => path.join(reposDir, owner, `${repo}.git`);
  const notFound: Reply = { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };

  function repository(owner: string, name: string): unknown {
    const body = contracts.get('repos/get')!.example(200);
    const repoPath = `${owner}/${name}`;
    Object.assign(body, {
      name,
      full_name: repoPath,
      private: true,
      default_branch: 'main',
      html_url: `${base}/${repoPath}`,
      url: `${base}/repos/${repoPath}`,
      clone_url: `${base}/git/${repoPath}.git`,
      // Fields GitHub's example omits although its schema requires them.
      has_discussions: false,
      language: null,
    });
    body.owner.login = owner;
    delete body.source;
    delete body.parent;
    delete body.template_repository;
    return body;
  }

  const handlers: Record<string, (p: Record<string, string>, body: any) => Reply> = {
    'repos/get': (p) => (existsSync(gitdirOf(p.owner, p.repo)) ? { status: 200, body: repository(p.owner, p.repo) } : notFound),
    'repos/create-in-org': (p, body) => {
      const dir = gitdirOf(p.org, body.name);
      if (existsSync(dir)) {
        return { status: 422, body: { message: 'Repository creation failed.', errors: [{ resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' }], documentation_url: DOCS } };
      }
      mkdirSync(dir, { recursive: true });
      git(dir, 'init', '-q', '--bare', '--initial-branch=main');
      // Like a protected branch: a forced (non-fast-forward) push or a deletion fails.
      git(dir, 'config', 'receive.denyNonFastForwards', 'true');
      git(dir, 'config', 'receive.denyDeletes', 'false');
      return { status: 201, body: repository(p.org, body.name) };
    },
    'repos/update-branch-protection': (p, body) => {
      const dir = gitdirOf(p.owner, p.repo);
      if (!existsSync(dir) || !tryGit(dir, 'rev-parse', '--verify', '-q', `refs/heads/${p.branch}`)) return notFound;
      double.protections.set(`${p.owner}/${p.repo}:${p.branch}`, body);
      const reply = contracts.get('repos/update-branch-protection')!.example(200);
      reply.url = `${base}/repos/${p.owner}/${p.repo}/branches/${p.branch}/protection`;
      return { status: 200, body: reply };
    },
    'pulls/create': (p, body) => {
      const dir = gitdirOf(p.owner, p.repo);
      if (!existsSync(dir)) return notFound;
      const headSha = tryGit(dir, 'rev-parse', '--verify', '-q', `refs/heads/${body.head}`);
      if (!headSha) {
        return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'invalid', field: 'head' }], documentation_url: DOCS } };
      }
      const pr: PullRecord = { number: double.pulls.length + 1, repo: `${p.owner}/${p.repo}`, head: body.head, base: body.base, title: body.title, body: body.body ?? '', state: 'open', merged: false };
      double.pulls.push(pr);
      const reply = contracts.get('pulls/create')!.example(201);
      Object.assign(reply, { number: pr.number, title: pr.title, body: pr.body, state: 'open', html_url: `${base}/${pr.repo}/pull/${pr.number}`, requested_teams: [] });
      Object.assign(reply.head, { ref: body.head, sha: headSha });
      Object.assign(reply.base, { ref: body.base, sha: git(dir, 'rev-parse', `refs/heads/${body.base}`) });
      return { status: 201, body: reply };
    },
    'pulls/merge': (p, body) => {
      const dir = gitdirOf(p.owner, p.repo);
      const pr = double.pulls.find((x) => x.repo === `${p.owner}/${p.repo}` && x.number === Number(p.pull_number));
      if (!pr) return notFound;
      if (pr.merged) return { status: 405, body: { message: 'Pull Request is not mergeable', documentation_url: DOCS } };
      const head = git(dir, 'rev-parse', `refs/heads/${pr.head}`);
      if (body?.sha && body.sha !== head) return { status: 409, body: { message: 'Head branch was modified. Review and try the merge again.', documentation_url: DOCS } };
      const baseHead = git(dir, 'rev-parse', `refs/heads/${pr.base}`);
      const tree = tryGit(dir, 'merge-tree', '--write-tree', baseHead, head);
      if (!tree) return { status: 405, body: { message: 'Pull Request is not mergeable', documentation_url: DOCS } };
      const message = `${body?.commit_title ?? `Merge pull request #${pr.number}`}\n\n${body?.commit_message ?? ''}`;
      const commit = git(dir, 'commit-tree', tree.split('\n')[0], '-p', baseHead, '-p', head, '-m', message);
      git(dir, 'update-ref', `refs/heads/${pr.base}`, commit, baseHead);
      pr.merged = true;
      pr.state = 'closed';
      return { status: 200, body: { sha: commit, merged: true, message: 'Pull Request successfully merged' } };
    },
    'git/delete-ref': (p) => {
      const dir = gitdirOf(p.owner, p.repo);
      if (!existsSync(dir) || !tryGit(dir, 'rev-parse', '--verify', '-q', `refs/${p.ref}`)) {
        return { status: 422, body: undefined };
      }
      git(dir, 'update-ref', '-d', `refs/${p.ref}`);
      return { status: 204 };
    },
  };

  async function handleRest(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const method = req.method ?? 'GET';
    const auth = req.headers.authorization ?? '';
    const send = (reply: Reply) => {
      if (reply.body === undefined) res.writeHead(reply.status).end();
      else res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(reply.body));
    };
    for (const contract of contracts.values()) {
      const params = contract.match(method, pathname);
      if (!params) continue;
      if (auth !== `token ${options.token}` && auth !== `Bearer ${options.token}` && auth !== `bearer ${options.token}`) {
        return send({ status: 401, body: { message: 'Bad credentials', documentation_url: DOCS } });
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) : undefined;
      for (const problem of contract.checkRequest(body)) double.violations.push(`${contract.operationId} request: ${problem}`);
      const reply = handlers[contract.operationId](params, body);
      for (const problem of contract.checkResponse(reply.status, reply.body)) double.violations.push(`${contract.operationId} ${reply.status} response: ${problem}`);
      double.calls.push({ operationId: contract.operationId, status: reply.status, body });
      return send(reply);
    }
    double.violations.push(`unexpected request ${method} ${pathname}`);
    send(notFound);
  }

  function handleGit(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): Promise<void> | void {
    const header = req.headers.authorization ?? '';
    const [user, password] = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8').split(':') : [];
    double.gitRequests.push({ method: req.method ?? 'GET', path: pathname, user: user ?? '' });
    if (password !== options.token) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' }).end();
      return;
    }
    return serveGit(req, res, { projectRoot: reposDir, pathInfo: pathname.slice('/git'.length), query, user });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const work = url.pathname.startsWith('/git/') ? handleGit(req, res, url.pathname, url.search.slice(1)) : handleRest(req, res, url.pathname);
    Promise.resolve(work).catch((error: Error) => {
      double.violations.push(`double failed on ${req.method} ${url.pathname}: ${error.stack}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...double,
    apiUrl: base,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
