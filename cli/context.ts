// What every command shares: the global flags, the output format, the debug log, and — for
// commands that talk to the API — the client, the token and the workspace, resolved from flags,
// environment and saved settings in that order.

import { LocoError } from '../generator/errors.ts';
import { openDebugLog } from './debug-log.ts';
import { parseOutputFormat, type OutputFormat } from './output.ts';
import { DEFAULT_API_URL, normaliseUrl, parseWorkspaceRef, readSettings, readToken } from './settings.ts';
import type { LocoClient, WorkspaceRef } from '../api/client/index.ts';

export interface GlobalFlags {
  output?: string;
  o?: string;
  debug?: boolean;
  nonInteractive?: boolean;
  interactive?: boolean;
  token?: string;
  api?: string;
  workspace?: string;
  [other: string]: unknown;
}

export interface Context {
  format: OutputFormat;
  json: boolean;
  /** True when prompts and live progress are allowed: a TTY and no --non-interactive. */
  interactive: boolean;
  debug: (line: string) => void;
  debugFile?: string;
  apiUrl: () => string;
  client: () => Promise<LocoClient>;
  workspace: () => Promise<WorkspaceRef>;
}

export function createContext(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Context {
  const format = parseOutputFormat(flags.output);
  const log = flags.debug ? openDebugLog(process.argv.slice(2), env) : undefined;
  log?.addSecret(flags.token);
  const debugFile = log?.file;
  const debug = log ? (line: string) => log.write(line) : () => {};

  const nonInteractive = flags.nonInteractive === true || flags.interactive === false || env.CI === 'true';
  const interactive = !nonInteractive && Boolean(process.stdin.isTTY && process.stdout.isTTY);

  const apiUrl = () => normaliseUrl(flags.api || env.LOCO_API_URL || readSettings(env).apiUrl || DEFAULT_API_URL);

  let client: Promise<LocoClient> | undefined;
  const getClient = () =>
    (client ??= import('../api/client/index.ts').then(({ createLocoClient }) => {
      const url = apiUrl();
      const token = flags.token || env.LOCO_TOKEN || readToken(url, env);
      log?.addSecret(token);
      debug(`api ${url}, token from ${flags.token ? '--token' : env.LOCO_TOKEN ? 'LOCO_TOKEN' : token ? 'credentials file' : 'nowhere'}`);
      if (!token) {
        throw new LocoError('auth.no-token', `not logged in to ${url}`, `run loco login --api ${url} (or set LOCO_TOKEN)`);
      }
      return createLocoClient({ url, token, log: debug });
    }));

  let workspace: Promise<WorkspaceRef> | undefined;
  const getWorkspace = () =>
    (workspace ??= (async () => {
      if (flags.workspace) return parseWorkspaceRef(flags.workspace, '--workspace');
      if (env.LOCO_WORKSPACE) return parseWorkspaceRef(env.LOCO_WORKSPACE, 'LOCO_WORKSPACE');
      const saved = readSettings(env).workspace;
      if (saved) return parseWorkspaceRef(saved, 'the saved workspace');
      // A user in exactly one workspace needs no `loco use`.
      const me = await (await getClient()).me();
      if (me.memberships.length === 1) return { org: me.memberships[0].org, workspace: me.memberships[0].workspace };
      if (me.memberships.length === 0) {
        throw new LocoError('auth.no-workspace', `${me.user.name} is not a member of any workspace`, 'ask a workspace owner to add you');
      }
      const choices = me.memberships.map((m) => `${m.org}/${m.workspace}`).join(', ');
      throw new LocoError('usage.workspace-required', `you are in several workspaces (${choices})`, `pick one: loco use ${choices.split(', ')[0]} (or set LOCO_WORKSPACE / --workspace)`);
    })());

  return { format, json: format === 'json', interactive, debug, ...(debugFile ? { debugFile } : {}), apiUrl, client: getClient, workspace: getWorkspace };
}
