// Test harness for the CLI end-to-end tests: a real API process, started as `npm start` starts
// it (`node --import ./api/telemetry.ts api/main.ts`), on a free port with its own data
// directory (embedded database, local repositories), and the real `loco` binary run as a
// subprocess with its own config folder.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { DeviceFlowDouble, GitHubAccount } from '../doubles/github/device-flow.ts';

export const root = new URL('../..', import.meta.url).pathname;
export const bin = join(root, 'cli/bin.js');
/** node's arguments for the API, as `npm start` and the image run it: the tracing preload first. */
export const apiArgs = ['--import', new URL('../../api/telemetry.ts', import.meta.url).href, join(root, 'api/main.ts')];

/**
 * A loopback port that refuses connections and that nothing else can start listening on while
 * the test runs: the local end of a connection this process holds open (no listener, so a
 * connect gets ECONNREFUSED; bound, so no server can take it). Picking a free port and
 * releasing it would leave it to whoever binds next.
 */
export async function refusingPort(): Promise<{ port: number; release: () => void }> {
  const server = createServer((peer) => peer.on('error', () => {}));
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const { port: serverPort } = server.address() as { port: number };
  const socket = connect(serverPort, '127.0.0.1');
  await new Promise<void>((ok, fail) => socket.once('error', fail).once('connect', ok));
  return {
    port: socket.localPort!,
    release: () => {
      socket.destroy();
      server.close();
    },
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `loco-cli-${prefix}-`));
}

export interface RunningApi {
  url: string;
  dataDir: string;
  adminToken: string;
  output: () => string;
  /** Sends `signal` (as Kubernetes does on a rollout) and resolves with the exit code; the data dir stays. */
  terminate: (signal?: NodeJS.Signals) => Promise<number | null>;
  stop: () => Promise<void>;
}

/**
 * Starts the API (with the preload) on port 0 and resolves with the URL it says it listens on (a port
 * picked beforehand and released could be taken by anything in between).
 */
export async function startApi(env: Record<string, string> = {}, dataDir = tempDir('data')): Promise<RunningApi> {
  const child: ChildProcess = spawn(process.execPath, apiArgs, {
    cwd: dataDir,
    env: { ...process.env, LOCO_DATA_DIR: dataDir, LOCO_PORT: '0', LOCO_HOST: '127.0.0.1', DATABASE_URL: '', LOCO_ARGOCD_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test process that dies early must not leave an API behind.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /Loco API listening on (http:\/\/[^\s"]+)/.exec(output);
      if (listening) resolve(listening[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the API exited (${code}) before listening:\n${output}`)));
  });
  return {
    url,
    dataDir,
    adminToken: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim(),
    output: () => output,
    terminate: (signal = 'SIGTERM') => {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      if (child.exitCode !== null) return Promise.resolve(child.exitCode);
      child.kill(signal);
      return exited;
    },
    stop: async () => {
      process.off('exit', orphan);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface LocoResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `loco` binary; HOME and XDG_CONFIG_HOME point at `home` so nothing leaks. */
export function loco(args: string[], opts: LocoOptions = {}): Promise<LocoResult> {
  return startLoco(args, opts).result;
}

export interface LocoOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  home?: string;
  input?: string;
}

export interface RunningLoco {
  /** Resolves with the first match of `pattern` in what the command has written to stderr (or stdout) so far or later. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>;
  result: Promise<LocoResult>;
  /** Ctrl-C: sends SIGINT, as a user stopping `loco logs -f`. */
  interrupt(): void;
}

/** Starts the real `loco` binary and lets the test read its output while it runs (e.g. a login code to approve). */
export function startLoco(args: string[], opts: LocoOptions = {}): RunningLoco {
  const home = opts.home ?? tempDir('home');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    ...process.env,
    PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: undefined,
    NO_COLOR: '1',
    LOCO_API_URL: undefined,
    LOCO_TOKEN: undefined,
    LOCO_WORKSPACE: undefined,
    ...opts.env,
  })) if (v !== undefined) env[k] = v;
  const output = { stdout: '', stderr: '' };
  const watchers: { pattern: RegExp; stream: 'stdout' | 'stderr'; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = () => {
    for (const w of [...watchers]) {
      const match = output[w.stream].match(w.pattern);
      if (match) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(match);
      }
    }
  };
  let child: ReturnType<typeof spawn>;
  const result = new Promise<LocoResult>((resolve, reject) => {
    child = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd ?? home, env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c) => { output.stdout += c; check(); });
    child.stderr!.on('data', (c) => { output.stderr += c; check(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: output.stdout, stderr: output.stderr }));
    child.stdin!.end(opts.input ?? '');
  });
  return {
    result,
    interrupt: () => void child.kill('SIGINT'),
    waitFor: (pattern, stream = 'stderr') => new Promise((resolve, reject) => {
      watchers.push({ pattern, stream, resolve });
      check();
      // A command that ends without printing it fails the wait instead of hanging the test.
      result.then((r) => reject(new Error(`loco exited (${r.code}) without printing ${pattern} on ${stream}:\n${r.stdout}${r.stderr}`)), reject);
    }),
  };
}

/** A request to the API over HTTP, as the admin by default: set-up the CLI has no command for (adding a member). */
export async function apiRequest(api: RunningApi, method: string, path: string, body?: unknown, token = api.adminToken): Promise<Response> {
  const response = await fetch(`${api.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response;
}

/**
 * `loco login` through GitHub's device flow (the API started with the double's LOCO_GITHUB_*):
 * waits for the code the CLI prints and for its first poll (still pending), then approves the
 * code as `account`, as the person at the browser would.
 */
export async function loginWithGitHub(api: RunningApi, github: DeviceFlowDouble, account: GitHubAccount, home: string): Promise<LocoResult & { userCode: string; verificationUri: string }> {
  const firstPoll = github.nextPoll(); // before the CLI starts, so its first poll cannot be missed
  const run = startLoco(['login', '--api', api.url, '--non-interactive'], { home });
  const [, verificationUri, userCode] = await run.waitFor(/Open (\S+) and enter the code (\S+)/);
  const ended = run.result.then((r): never => { throw new Error(`loco login exited (${r.code}) before polling:\n${r.stdout}${r.stderr}`); });
  assert.equal(await Promise.race([firstPoll, ended]), 'authorization_pending', 'the CLI polls before anyone approved');
  github.approve(userCode, account);
  return { ...(await run.result), userCode, verificationUri };
}

/** A folder holding one loco.toml (and optionally more files). */
export function appDir(configText: string, files: Record<string, string> = {}): string {
  const dir = tempDir('app');
  writeFileSync(join(dir, 'loco.toml'), configText);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

export const WEB_CONFIG = `[Metadata]
Name = "web"

[Build]
Image = "ghcr.io/acme/web:1.0.0"

[Profile.dev]

[Profile.prod]
CPU = "500m"
`;
