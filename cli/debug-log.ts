// `loco --debug`: a log of what the command did, for a bug report. It is created 0600 in the
// user's state directory ($XDG_STATE_HOME/loco, or ~/.local/state/loco), never in a shared /tmp,
// and no line carries a credential: tokens are redacted from the command line, from headers and
// from anything else logged, by their value and by the shape of Loco and GitHub tokens.

import { chmodSync, closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'loco');
}

const REDACTED = '[redacted]';
/** Loco's personal and deploy tokens (api/auth/tokens.ts) and GitHub's token prefixes. */
const TOKEN_SHAPES = /\b(loco_(?:pat|dpl)|gh[opsur]|github_pat)_[A-Za-z0-9_-]{6,}/g;
/** Flags whose value is a credential, as `--token X` or `--token=X`. */
const SECRET_FLAGS = new Set(['--token', '--password', '--github-token']);

/** The command line with credential values replaced; NAME=value arguments of `loco secrets set` too. */
export function redactArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  // global flags may come first (`loco --debug secrets set …`)
  const sealing = args.includes('secrets');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag] = arg.split('=', 1);
    if (SECRET_FLAGS.has(flag) && arg.includes('=')) out.push(`${flag}=${REDACTED}`);
    else if (SECRET_FLAGS.has(arg)) {
      out.push(arg);
      if (i + 1 < args.length) out.push(REDACTED), i++;
    } else if (sealing && /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg)) out.push(`${arg.split('=', 1)[0]}=${REDACTED}`);
    else out.push(arg);
  }
  return out;
}

/** One log line without credentials: known secret values, token shapes, Authorization headers. */
export function redactLine(line: string, secrets: readonly string[]): string {
  let text = line;
  for (const secret of secrets) if (secret.length >= 6) text = text.split(secret).join(REDACTED);
  return text
    .replace(/(authorization["']?\s*[:=]\s*["']?)(bearer|token|basic)?\s*[^\s"',}]+/gi, (_m, head: string, scheme?: string) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`)
    .replace(TOKEN_SHAPES, (_m, prefix: string) => `${prefix}_${REDACTED}`);
}

export interface DebugLog {
  file: string;
  write(line: string): void;
  /** A credential learnt later (a token read from the credentials file): redacted from then on. */
  addSecret(value: string | undefined): void;
}

/** Creates the log file (directory 0700, file 0600, never an existing file) and writes the first line. */
export function openDebugLog(args: readonly string[], env: NodeJS.ProcessEnv = process.env, now = new Date()): DebugLog {
  const dir = stateDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `debug-${now.toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
  // 'wx': refuse to follow or reuse a file someone placed there; the mode is set again in case of a umask
  closeSync(openSync(file, 'wx', 0o600));
  chmodSync(file, 0o600);
  const secrets = [env.LOCO_TOKEN, env.LOCO_GITHUB_TOKEN].filter((s): s is string => Boolean(s));
  const log: DebugLog = {
    file,
    write(line) {
      const fd = openSync(file, 'a', 0o600);
      try {
        writeSync(fd, `${new Date().toISOString()} ${redactLine(line, secrets)}\n`);
      } finally {
        closeSync(fd);
      }
    },
    addSecret(value) {
      if (value && !secrets.includes(value)) secrets.push(value);
    },
  };
  log.write(`loco ${redactArgs(args).join(' ')} (node ${process.version})`);
  return log;
}
