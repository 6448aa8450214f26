// Commands that change desired state without a rebuild — rollback, scale, env, destroy. Each is
// one commit in the workspace repository, followed to its outcome like a deploy.

import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { Action } from '../action.ts';
import { resolveApp, resolveTarget } from '../app-config.ts';
import { followDeployment, waitOptions } from '../follow.ts';
import { printJson, printTable } from '../output.ts';
import { ask } from '../prompt.ts';
import { showPromotion } from './promote.ts';

export const rollback: Action = async (ctx, [id], flags) => {
  const client = await ctx.client();
  // The API decides: a direct commit, or a pull request when the profile is protected by review
  // (unless --emergency and the workspace allows emergency rollbacks).
  const target = await client.getDeployment(String(id));
  const result = await client.requestRollback({ org: target.org, workspace: target.workspace }, target.app, {
    deployment: target.id,
    ...(flags.emergency ? { emergency: true } : {}),
    ...(flags.force ? { confirmPrune: true } : {}),
  });
  if (result.mode === 'pull-request') {
    if (ctx.json) return void printJson(result);
    showPromotion(result.promotion, false);
    process.stdout.write(`
${target.app}@${target.profile} is protected by review, so the rollback is a pull request.
` +
      (result.promotion.pullRequest?.url ? `Review and merge it: ${result.promotion.pullRequest.url}
` : `Next: approve it (loco promote approve ${result.promotion.id}), then loco promote merge ${result.promotion.id}
`) +
      `In an emergency, if the workspace allows it: loco rollback ${target.id} --emergency
`);
    return;
  }
  if (result.mode === 'emergency') process.stderr.write(kleur.yellow(`Emergency rollback: recorded as such, without review.
`));
  return followDeployment(ctx, client, result.deployment, { ...waitOptions(flags), noun: 'rollback' });
};

export const scale: Action = async (ctx, [appArg], flags) => {
  const { app, profile } = await resolveTarget(appArg, flags, 'scale');
  const body: { profile: string; replicas?: number; cpu?: string; memory?: string } = { profile };
  if (flags.replicas !== undefined) {
    const n = Number(flags.replicas);
    if (!Number.isInteger(n) || n < 0 || String(flags.replicas).trim() === '') {
      const why = Number.isInteger(n) ? 'cannot be negative' : 'is not a whole number';
      throw new LocoError('usage.replicas', `--replicas ${String(flags.replicas)} ${why}`, `give a whole number of replicas, 0 or more: loco scale ${app} --profile ${profile} --replicas 2 (0 stops the app)`);
    }
    body.replicas = n;
  }
  if (flags.cpu !== undefined) body.cpu = String(flags.cpu);
  if (flags.memory !== undefined) body.memory = String(flags.memory);
  if (Object.keys(body).length === 1) {
    throw new LocoError('usage.nothing-to-change', 'loco scale needs --replicas, --cpu or --memory', `for example: loco scale ${app} --profile ${profile} --replicas 2`);
  }
  const client = await ctx.client();
  const deployment = await client.scale(await ctx.workspace(), app, body);
  return followDeployment(ctx, client, deployment, { ...waitOptions(flags), noun: 'scale' });
};

export const env: Action = async (ctx, [action, vars], flags) => {
  const args = (vars as string[] | undefined) ?? [];
  const { app, profile } = await resolveTarget(flags.app, flags, 'env');
  const client = await ctx.client();
  const workspace = await ctx.workspace();
  if (action === 'list') {
    const result = await client.getEnv(workspace, app, profile);
    if (ctx.json) return void printJson(result);
    const environment = Array.isArray(result.environment) ? (result.environment as EnvRow[]) : [];
    printTable(environment, [
      { header: 'name', value: (e) => e.name },
      { header: 'value', value: (e) => (e.secret ? kleur.dim(`secret ${e.secret.name}, key ${e.secret.key}`) : (e.value ?? '')) },
      { header: 'source', value: (e) => sourceLabel(e.source, profile) },
    ], `no variables for ${app}@${profile} (it has no committed release yet)`);
    return;
  }
  if (action === 'set') {
    const set = parseAssignments(args);
    const deployment = await client.patchEnv(workspace, app, profile, { set });
    return followDeployment(ctx, client, deployment, { ...waitOptions(flags), noun: 'env change' });
  }
  if (action === 'unset') {
    if (args.length === 0) throw new LocoError('usage.env', 'loco env unset needs the names to remove', 'for example: loco env unset FEATURE_X');
    // Only `loco env set` variables can be unset; anything else would be an empty deployment.
    const current = await client.getEnv(workspace, app, profile);
    const overrides = (current.variables ?? {}) as Record<string, string>;
    const missing = args.filter((name) => !Object.hasOwn(overrides, name));
    if (missing.length === args.length) {
      const from = Array.isArray(current.environment) ? (current.environment as EnvRow[]) : [];
      for (const name of missing) {
        const elsewhere = from.find((e) => e.name === name);
        process.stdout.write(elsewhere
          ? `${name} is not set by loco env in ${app}@${profile}; it comes from ${sourceLabel(elsewhere.source, profile)}, so change it there.\n`
          : `${name} is not set in ${app}@${profile}; nothing to unset.\n`);
      }
      process.stdout.write('Nothing changed: no deployment, no commit.\n');
      return 0;
    }
    for (const name of missing) process.stdout.write(`${name} is not set by loco env in ${app}@${profile}; skipped.\n`);
    const deployment = await client.patchEnv(workspace, app, profile, { unset: args.filter((name) => !missing.includes(name)) });
    return followDeployment(ctx, client, deployment, { ...waitOptions(flags), noun: 'env change' });
  }
  throw new LocoError('usage.env', `loco env ${String(action)} is not a command`, 'use loco env list, loco env set K=V… or loco env unset K…');
};

interface EnvRow { name: string; source: string; value?: string; secret?: { name: string; key: string } }

function sourceLabel(source: string, profile: string): string {
  const labels: Record<string, string> = {
    'loco.toml': 'loco.toml [Env]', profile: `loco.toml [Profile.${profile}.Env]`, overrides: 'loco env set', 'Env.File': 'Env.File', loco: 'injected by Loco',
  };
  return labels[source] ?? source;
}

/** `K=V` arguments as a map; names follow the usual environment variable rules. */
export function parseAssignments(args: string[]): Record<string, string> {
  if (args.length === 0) throw new LocoError('usage.env', 'loco env set needs NAME=value pairs', 'for example: loco env set LOG_LEVEL=debug');
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (eq === -1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new LocoError('usage.env', `"${arg}" is not NAME=value`, 'names are letters, digits and _, e.g. loco env set LOG_LEVEL=debug');
    }
    out[name] = arg.slice(eq + 1);
  }
  return out;
}

export const destroy: Action = async (ctx, [appArg], flags) => {
  const app = await resolveApp(appArg, flags, 'destroy');
  // Refuse before touching the API: a script without --yes must never half-destroy.
  if (!flags.yes && !ctx.interactive) {
    throw new LocoError('usage.confirmation-required', `destroying ${app} needs confirmation and this session cannot ask`, `confirm it in the command: loco destroy ${app} --yes`);
  }
  const client = await ctx.client();
  const workspace = await ctx.workspace();
  const where = `${workspace.org}/${workspace.workspace}`;
  if (!flags.yes) {
    const answer = await ask(`This removes ${kleur.bold(app)} from every profile of ${where}. Type the app name to confirm: `);
    if (answer !== app) {
      process.stderr.write('Not confirmed; nothing was changed.\n');
      return 1;
    }
  }
  const result = await client.deleteApp(workspace, app);
  if (ctx.json) return void printJson(result ?? { app, destroyed: true });
  process.stdout.write(`Removed ${kleur.bold(app)} from ${where}.\n`);
};
