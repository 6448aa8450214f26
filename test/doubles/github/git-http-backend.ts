// Serves bare repositories over git's smart HTTP protocol with the real `git http-backend`
// (a CGI program from the git package), the way GitHub's git endpoint behaves for clients.

import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const GIT_HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Runs one request through git http-backend. `pathInfo` is '/<owner>/<repo>.git/info/refs' etc. */
export async function serveGit(req: IncomingMessage, res: ServerResponse, options: { projectRoot: string; pathInfo: string; query: string; user: string }): Promise<void> {
  const body = await readBody(req);
  const child = spawn(GIT_HTTP_BACKEND, [], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: options.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: options.projectRoot,
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: options.pathInfo,
      QUERY_STRING: options.query,
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: String(body.length),
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      // http-backend allows receive-pack (push) only for an authenticated user.
      REMOTE_USER: options.user,
      REMOTE_ADDR: '127.0.0.1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // http-backend does not read the body of GET requests and may close stdin first.
  child.stdin.on('error', () => undefined);
  child.stdin.end(body);
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => (err += c));
  const code: number = await new Promise((resolve) => child.on('close', resolve));
  const raw = Buffer.concat(out);
  let split = raw.indexOf('\r\n\r\n');
  let sepLength = 4;
  if (split < 0) { split = raw.indexOf('\n\n'); sepLength = 2; }
  if (code !== 0 && split < 0) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`git http-backend failed: ${err}`);
    return;
  }
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of raw.subarray(0, split).toString('latin1').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
    else headers[name] = value;
  }
  res.writeHead(status, headers).end(raw.subarray(split + sepLength));
}
