// loco secrets: values the app reads as env, sealed on this machine with the cluster's Sealed
// Secrets certificate (fetched from the API) so that only the cluster can read them. The API,
// its database, its logs and git see ciphertext only.

import { readFileSync } from 'node:fs';
import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { Action } from '../action.ts';
import { resolveTarget } from '../app-config.ts';
import { followDeployment, waitOptions } from '../follow.ts';
import { printJson, printTable } from '../output.ts';
import { sealValue } from '../seal.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkName(name: string, example: string): string {
  if (!ENV_NAME.test(name)) throw new LocoError('usage.secrets', `"${name}" is not a variable name`, `names are letters, digits and _, e.g. ${example}`);
  return name;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The values to seal, by name, from NAME=VALUE arguments, --from-file NAME=path, or NAME --from-stdin. */
async function valuesToSeal(args: string[], flags: Record<string, unknown>): Promise<Map<string, Buffer>> {
  const values = new Map<string, Buffer>();
  const files = ([] as unknown[]).concat(flags.fromFile ?? []).map(String);
  if (flags.fromStdin) {
    if (args.length !== 1 || args[0].includes('=')) {
      throw new LocoError('usage.secrets', '--from-stdin seals one value: give its name only', 'for example: printf %s "$TOKEN" | loco secrets set API_TOKEN --from-stdin');
    }
    // One trailing newline is what `echo` adds, not part of the value; --from-file keeps bytes exactly.
    const text = (await readStdin()).toString('utf8').replace(/\r?\n$/, '');
    values.set(checkName(args[0], 'API_TOKEN'), Buffer.from(text, 'utf8'));
  } else {
    for (const arg of args) {
      const eq = arg.indexOf('=');
      if (eq === -1) throw new LocoError('usage.secrets', `"${arg}" is not NAME=value`, `give the value (loco secrets set ${arg}=…), or read it from standard input so it stays out of shell history: loco secrets set ${arg} --from-stdin`);
      values.set(checkName(arg.slice(0, eq), 'DB_PASSWORD=…'), Buffer.from(arg.slice(eq + 1), 'utf8'));
    }
  }
  for (const spec of files) {
    const eq = spec.indexOf('=');
    if (eq === -1) throw new LocoError('usage.secrets', `--from-file ${spec} is not NAME=path`, 'for example: loco secrets set --from-file TLS_KEY=./key.pem');
    const path = spec.slice(eq + 1);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      throw new LocoError('usage.secrets', `--from-file: cannot read ${path}`, 'check the path (relative to the current folder)');
    }
    values.set(checkName(spec.slice(0, eq), 'TLS_KEY=./key.pem'), bytes);
  }
  if (values.size === 0) throw new LocoError('usage.secrets', 'loco secrets set needs values to seal', 'for example: loco secrets set DB_PASSWORD --from-stdin, or loco secrets set API_KEY=… --app api --profile dev');
  return values;
}

export const secrets: Action = async (ctx, [action, vars], flags) => {
  const args = ((vars as string[] | undefined) ?? []).map(String);
  const { app, profile } = await resolveTarget(flags.app, flags, 'secrets');
  const client = await ctx.client();
  const workspace = await ctx.workspace();
  if (action === 'list') {
    const result = await client.getSecrets(workspace, app, profile);
    if (ctx.json) return void printJson({ app: result.app, profile: result.profile, namespace: result.namespace, secretName: result.secretName, secrets: result.secrets });
    printTable(result.secrets, [
      { header: 'name', value: (s) => s.name },
      { header: 'set', value: (s) => s.setAt || kleur.dim('unknown') },
    ], `no sealed secrets for ${app}@${profile}`);
    return;
  }
  if (action === 'set') {
    const values = await valuesToSeal(args, flags);
    // Seal here: the API serves the certificate and the strict-scope label, and never sees a value.
    const target = await client.getSecrets(workspace, app, profile);
    const set: Record<string, string> = {};
    for (const [name, value] of values) {
      set[name] = sealValue(target.certificate, target.label, value);
      value.fill(0);
    }
    const deployment = await client.patchSecrets(workspace, app, profile, { set });
    return followDeployment(ctx, client, deployment, { ...waitOptions(flags), noun: 'secrets change' });
  }
  if (action === 'unset') {
    if (args.length === 0) throw new LocoError('usage.secrets', 'loco secrets unset needs the names to remove', 'for example: loco secrets unset API_KEY');
    const deployment = await client.patchSecrets(workspace, app, profile, { unset: args.map((a) => checkName(a, 'API_KEY')) });
    return followDeployment(ctx, client, deployment, { ...waitOptions(flags), noun: 'secrets change' });
  }
  throw new LocoError('usage.secrets', `loco secrets ${String(action)} is not a command`, 'use loco secrets list, loco secrets set NAME=VALUE…, loco secrets set NAME --from-stdin or loco secrets unset NAME…');
};
