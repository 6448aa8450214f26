// The CLI's saved configuration: $XDG_CONFIG_HOME/loco/config.toml holds the API URL and the
// chosen workspace; tokens live apart in credentials.toml (mode 0600), keyed by API URL so a
// token is never sent to a server it was not issued by. LOCO_API_URL, LOCO_TOKEN and
// LOCO_WORKSPACE override the files (DESIGN.md "Fixed conventions").

import { chmodSync, mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { LocoError } from '../generator/errors.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:7420';

export interface Settings {
  apiUrl?: string;
  workspace?: string;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'loco');
}

export const configFile = (env?: NodeJS.ProcessEnv) => join(configDir(env), 'config.toml');
export const credentialsFile = (env?: NodeJS.ProcessEnv) => join(configDir(env), 'credentials.toml');

function readToml(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  try {
    return parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new LocoError('config.settings', `${file} is not valid TOML: ${(error as Error).message}`, `fix or delete it, then run loco login`, { cause: error });
  }
}

export function readSettings(env?: NodeJS.ProcessEnv): Settings {
  const raw = readToml(configFile(env));
  const settings: Settings = {};
  if (typeof raw.api_url === 'string') settings.apiUrl = raw.api_url;
  if (typeof raw.workspace === 'string') settings.workspace = raw.workspace;
  return settings;
}

export function writeSettings(change: Partial<Settings>, env?: NodeJS.ProcessEnv): void {
  const current = readSettings(env);
  const next = { ...current, ...change };
  const out: Record<string, string> = {};
  if (next.apiUrl) out.api_url = next.apiUrl;
  if (next.workspace) out.workspace = next.workspace;
  mkdirSync(configDir(env), { recursive: true, mode: 0o700 });
  writeFileSync(configFile(env), stringify(out) + '\n');
}

export function readToken(apiUrl: string, env?: NodeJS.ProcessEnv): string | undefined {
  const tokens = readToml(credentialsFile(env)).tokens as Record<string, unknown> | undefined;
  const token = tokens?.[normaliseUrl(apiUrl)];
  return typeof token === 'string' ? token : undefined;
}

/** Saves (or with undefined removes) the token for an API; the file is readable by its owner only. */
export function writeToken(apiUrl: string, token: string | undefined, env?: NodeJS.ProcessEnv): void {
  const file = credentialsFile(env);
  const tokens = { ...((readToml(file).tokens as Record<string, string> | undefined) ?? {}) };
  if (token === undefined) delete tokens[normaliseUrl(apiUrl)];
  else tokens[normaliseUrl(apiUrl)] = token;
  if (Object.keys(tokens).length === 0) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(configDir(env), { recursive: true, mode: 0o700 });
  writeFileSync(file, stringify({ tokens }) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its old mode on write
}

export function normaliseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Parses `<org>/<workspace>`; anything else is a usage error that shows the expected form. */
export function parseWorkspaceRef(value: string, source: string): { org: string; workspace: string } {
  const match = /^([a-z0-9][a-z0-9-]*)\/([a-z0-9][a-z0-9-]*)$/i.exec(value.trim());
  if (!match) {
    throw new LocoError('usage.workspace', `${source} "${value}" is not of the form <org>/<workspace>`, 'for example: loco use default/default');
  }
  return { org: match[1], workspace: match[2] };
}
