// login, logout, whoami, use: who the CLI acts as, against which API and workspace.

import kleur from 'kleur';
import { LocoError, isLocoError } from '../../generator/errors.ts';
import { createLocoClient, type Me } from '../../api/client/index.ts';
import type { Action } from '../action.ts';
import { printFields, printJson, printTable } from '../output.ts';
import { askSecret } from '../prompt.ts';
import { formatTimeLeft } from '../duration.ts';
import { parseWorkspaceRef, readSettings, readToken, writeSettings, writeToken } from '../settings.ts';

export const login: Action = async (ctx, _args, flags) => {
  const url = ctx.apiUrl();
  let token = flags.token || process.env.LOCO_TOKEN;
  const anonymous = createLocoClient({ url, log: ctx.debug });
  if (typeof flags.invite === 'string' && flags.invite) {
    const redeemed = await anonymous.redeemInvitation(flags.invite);
    token = redeemed.token;
  } else if (flags.invite !== undefined) {
    throw new LocoError('usage.invite-code', '--invite needs the invitation code', 'loco login --api <url> --invite <code from your workspace admin>');
  }
  if (!token) {
    token = await deviceFlow(anonymous, ctx.json);
    if (!token && ctx.interactive) token = await askSecret(`API token for ${url}: `);
    if (!token) {
      throw new LocoError('auth.token-required', `${url} offers no browser login; a token is needed`,
        'loco login --token <token> (on a fresh API the admin token is in $LOCO_DATA_DIR/admin-token)');
    }
  }
  const me = await createLocoClient({ url, token, log: ctx.debug }).me().catch((error: unknown) => {
    if (isLocoError(error) && error.family === 'auth') {
      throw new LocoError('auth.invalid-token', `${url} does not accept this token`, 'check it, or create a new one and run loco login --token <token>');
    }
    throw error;
  });
  writeToken(url, token);
  const settings = readSettings();
  const change: { apiUrl: string; workspace?: string } = { apiUrl: url };
  if (!settings.workspace && me.memberships.length === 1) change.workspace = `${me.memberships[0].org}/${me.memberships[0].workspace}`;
  writeSettings(change);
  const workspace = change.workspace ?? settings.workspace;
  if (ctx.json) printJson({ apiUrl: url, user: me.user, workspace: workspace ?? null, memberships: me.memberships });
  else {
    process.stdout.write(`Logged in to ${url} as ${kleur.bold(me.user.name)}.\n`);
    process.stdout.write(workspace ? `Workspace: ${workspace}\n` : `Pick a workspace: loco use <org>/<workspace> (loco whoami lists yours)\n`);
  }
};

/** GitHub device-flow login when the API offers it; undefined when it has no GitHub login. */
async function deviceFlow(client: ReturnType<typeof createLocoClient>, json: boolean): Promise<string | undefined> {
  let start;
  try {
    start = await client.startDeviceFlow();
  } catch (error) {
    if (isLocoError(error) && (error.code === 'unavailable.github-login' || error.family === 'not-found')) return undefined;
    throw error;
  }
  const say = (line: string) => process.stderr.write(line + '\n');
  say(`Open ${kleur.bold(start.verificationUri)} and enter the code ${kleur.bold(start.userCode)}`);
  if (!json) say('Waiting for you to approve Loco on GitHub…');
  let interval = (start.interval ?? 5) * 1000;
  const deadline = Date.now() + (start.expiresIn ?? 900) * 1000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, interval));
    const answer = await client.pollDeviceFlow(start.deviceCode);
    if (answer.status === 'complete' && answer.token) return answer.token;
    // GitHub asks clients to back off by five seconds on slow_down
    if (answer.status === 'slow_down') interval = answer.interval ? answer.interval * 1000 : interval + 5000;
  }
  throw new LocoError('auth.device-flow-expired', 'the GitHub login code expired before it was approved', 'run loco login again');
}

export const logout: Action = async (ctx) => {
  const url = ctx.apiUrl();
  const had = readToken(url) !== undefined;
  writeToken(url, undefined);
  if (ctx.json) printJson({ apiUrl: url, loggedOut: had });
  else process.stdout.write(had ? `Logged out of ${url}.\n` : `No saved token for ${url}.\n`);
  if (process.env.LOCO_TOKEN) process.stderr.write('note: LOCO_TOKEN is still set in your environment\n');
};

export const whoami: Action = async (ctx) => {
  const client = await ctx.client();
  const me: Me = await client.me();
  const current = await ctx.workspace().then((w) => `${w.org}/${w.workspace}`, () => null);
  if (ctx.json) {
    printJson({ apiUrl: client.url, user: me.user, workspace: current, memberships: me.memberships, token: me.token ?? null });
    return;
  }
  printFields([
    ['user', `${me.user.name}${me.user.email ? ` <${me.user.email}>` : ''}`],
    ['api', client.url],
    ['workspace', current ?? kleur.yellow('none picked: loco use <org>/<workspace>')],
    ['token', me.token ? tokenLine(me.token) : undefined],
    ['expires', me.token ? expiryLine(me.token) : undefined],
  ]);
  process.stdout.write('\n');
  printTable(me.memberships, [
    { header: 'workspace', value: (m) => `${m.org}/${m.workspace}` },
    { header: 'role', value: (m) => m.role },
    { header: '', value: (m) => (`${m.org}/${m.workspace}` === current ? '*' : '') },
  ], 'member of no workspace');
};

function tokenLine(token: NonNullable<Me['token']>): string {
  const name = token.name ? `"${token.name}" ` : '';
  return token.kind === 'deploy' ? `${name}(deploy token: may only deploy ${token.scope})` : `${name}(personal)`;
}

/** When the token stops working, and for a personal token that ends soon, what to do before then. */
function expiryLine(token: NonNullable<Me['token']>): string {
  if (!token.expiresAt) return 'never';
  const left = Date.parse(token.expiresAt) - Date.now();
  const soon = token.kind === 'personal' && left < 7 * 86_400_000;
  return `${token.expiresAt} (in ${formatTimeLeft(left)})${soon ? kleur.yellow(' — renew: loco tokens create, then loco login --token <new>') : ''}`;
}

export const use: Action = async (ctx, [value]) => {
  const ref = parseWorkspaceRef(String(value), 'workspace');
  const me = await (await ctx.client()).me();
  const membership = me.memberships.find((m) => m.org === ref.org && m.workspace === ref.workspace);
  if (!membership) {
    const yours = me.memberships.map((m) => `${m.org}/${m.workspace}`).join(', ') || 'none';
    throw new LocoError('not-found.workspace', `you are not a member of ${ref.org}/${ref.workspace}`, `pick one of yours (${yours}), or ask its owner to add you`);
  }
  writeSettings({ workspace: `${ref.org}/${ref.workspace}` });
  if (ctx.json) printJson({ workspace: `${ref.org}/${ref.workspace}`, role: membership.role });
  else process.stdout.write(`Using workspace ${kleur.bold(`${ref.org}/${ref.workspace}`)} (${membership.role}).\n`);
  if (process.env.LOCO_WORKSPACE) process.stderr.write(`note: LOCO_WORKSPACE=${process.env.LOCO_WORKSPACE} still overrides this\n`);
};
