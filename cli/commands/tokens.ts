// loco tokens: personal API tokens (90 days unless --expires) and deploy tokens for CI (one app
// in one profile, five minutes unless --expires). `create` prints the secret once, alone on
// stdout so that `LOCO_TOKEN=$(loco tokens create --deploy …)` works; what it is goes to stderr.

import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { IssuedToken } from '../../api/client/index.ts';
import type { Action } from '../action.ts';
import { resolveApp } from '../app-config.ts';
import { formatTimeLeft, parseDuration } from '../duration.ts';
import { printJson, printTable } from '../output.ts';

export const tokens: Action = async (ctx, [action = 'list', target], flags) => {
  const client = await ctx.client();
  if (action === 'list') {
    const list = await client.listTokens();
    if (ctx.json) return void printJson(list);
    printTable(list, [
      { header: 'id', value: (t) => t.id },
      { header: 'name', value: (t) => t.name },
      { header: 'kind', value: (t) => t.kind },
      { header: 'scope', value: (t) => t.scope },
      { header: 'created', value: (t) => day(t.createdAt) },
      { header: 'expires', value: (t) => (t.expiresAt ? `${day(t.expiresAt)}${t.status === 'expired' ? ' (expired)' : ''}` : 'never') },
      { header: 'last used', value: (t) => (t.lastUsedAt ? day(t.lastUsedAt) : 'never') },
    ], 'no tokens (loco tokens create makes one)');
    return;
  }
  if (action === 'revoke') {
    if (typeof target !== 'string' || target === '') {
      throw new LocoError('usage.tokens-target', 'loco tokens revoke needs the token\'s id or name', 'see them with loco tokens list, then: loco tokens revoke <id>');
    }
    const revoked = await client.revokeToken(target);
    if (ctx.json) return void printJson(revoked);
    process.stdout.write(`Revoked token "${revoked.name}" (${revoked.revoked}); it no longer works.\n`);
    return;
  }
  if (action !== 'create') {
    throw new LocoError('usage.tokens-action', `loco tokens ${String(action)} is not a thing`, 'use: loco tokens list | loco tokens create [name] [--expires 30d] | loco tokens create --deploy --app <app> --profile <profile> | loco tokens revoke <id|name>');
  }
  const expiresInSeconds = flags.expires === undefined ? undefined : Math.round(parseDuration(flags.expires, '--expires') / 1000);
  let issued: IssuedToken;
  let what: string;
  if (flags.deploy) {
    const app = await resolveApp(flags.app, flags, 'tokens create --deploy --app');
    if (typeof flags.profile !== 'string' || flags.profile === '') {
      throw new LocoError('usage.profile-required', 'a deploy token is for one profile: which one?', `pass it: loco tokens create --deploy --app ${app} --profile dev`);
    }
    const workspace = await ctx.workspace();
    issued = await client.createDeployToken(workspace, { app, profile: flags.profile, ...(expiresInSeconds ? { expiresInSeconds } : {}) });
    what = `deploy token for ${app}@${flags.profile} in ${workspace.org}/${workspace.workspace}`;
  } else {
    const name = typeof target === 'string' && target ? target : `token ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    issued = await client.createToken(name, expiresInSeconds);
    what = `personal token "${issued.name}"`;
  }
  if (ctx.json) return void printJson(issued);
  const left = formatTimeLeft(Date.parse(issued.expiresAt) - Date.now());
  process.stderr.write(`Created ${what} (${issued.id}), valid until ${issued.expiresAt} (${left}).\n`);
  process.stderr.write(`${kleur.bold('Copy it now: it is not shown again.')}\n`);
  process.stdout.write(`${issued.token}\n`);
};

function day(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}
