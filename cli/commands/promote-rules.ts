// loco promote rules get | set: how many approvals a change to each profile needs before it
// may be merged, and whether emergency rollbacks may skip review (GET/PUT …/promotion-rules).
// The API replaces the rules as a whole, so `set` reads them first and changes one profile.

import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { PromotionRules } from '../../api/client/index.ts';
import type { Context, GlobalFlags } from '../context.ts';
import { printJson, printTable } from '../output.ts';

/** Profiles that need one approval when no rule names them (api/promotions/rules.ts). */
const DEFAULT_PROTECTED = ['prod', 'production'];
const PROFILE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_APPROVALS = 10;

function usage(message: string): LocoError {
  return new LocoError('usage.promote-rules', message, 'for example: loco promote rules set prod --approvals 2, or loco promote rules set --emergency-rollback off');
}

/** Each profile with a rule, plus prod/production at their default, sorted by name. */
function ruleRows(rules: PromotionRules): { profile: string; approvals: number; source: string }[] {
  const rows = Object.entries(rules.profiles).map(([profile, r]) => ({ profile, approvals: r.approvals, source: 'set' }));
  for (const profile of DEFAULT_PROTECTED) {
    if (!(profile in rules.profiles)) rows.push({ profile, approvals: 1, source: 'default' });
  }
  return rows.sort((a, b) => a.profile.localeCompare(b.profile));
}

function printRules(rules: PromotionRules, where: string): void {
  process.stdout.write(`Promotion rules of ${where} (other profiles need no approval):\n`);
  printTable(ruleRows(rules), [
    { header: 'profile', value: (r) => r.profile },
    { header: 'approvals', value: (r) => String(r.approvals) },
    { header: 'rule', value: (r) => r.source, paint: (t) => (t.trim() === 'default' ? kleur.dim(t) : t) },
  ], 'no rules');
  process.stdout.write(`emergency rollback: ${rules.emergencyRollback ? 'allowed (loco rollback --emergency skips review, recorded)' : 'not allowed'}\n`);
}

function parseApprovals(value: unknown): number {
  const text = String(value);
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n > MAX_APPROVALS) {
    throw new LocoError('usage.approvals', `--approvals ${text} is not a number of approvals`, `give a whole number from 0 (no review) to ${MAX_APPROVALS}, e.g. --approvals 1`);
  }
  return n;
}

function parseSwitch(value: unknown): boolean {
  const text = String(value).toLowerCase();
  if (['on', 'true', 'yes'].includes(text)) return true;
  if (['off', 'false', 'no'].includes(text)) return false;
  throw new LocoError('usage.emergency-rollback', `--emergency-rollback ${String(value)} is neither on nor off`, 'write --emergency-rollback on, or --emergency-rollback off');
}

export async function promoteRules(ctx: Context, action: unknown, profile: unknown, flags: GlobalFlags): Promise<number | void> {
  const verb = action ?? 'get';
  if (verb !== 'get' && verb !== 'set') throw usage(`loco promote rules ${String(verb)} is not a thing: use get or set`);
  const client = await ctx.client();
  const workspace = await ctx.workspace();
  const where = `${workspace.org}/${workspace.workspace}`;
  const current = await client.getPromotionRules(workspace);
  if (verb === 'get') {
    if (profile !== undefined) throw usage('loco promote rules get takes no profile: it shows every rule');
    return void (ctx.json ? printJson(current) : printRules(current, where));
  }

  const approvals = flags.approvals;
  const emergency = flags.emergencyRollback;
  if (approvals === undefined && profile !== undefined) throw usage(`say how many approvals ${String(profile)} needs: --approvals N`);
  if (approvals === undefined && emergency === undefined) throw usage('loco promote rules set needs --approvals N (with a profile) or --emergency-rollback on|off');
  if (approvals !== undefined && typeof profile !== 'string') throw usage('loco promote rules set --approvals needs the profile it applies to');
  if (typeof profile === 'string' && !PROFILE.test(profile)) {
    throw new LocoError('usage.profile', `"${profile}" is not a profile name`, 'profile names are lowercase letters, digits and dashes, e.g. prod');
  }
  const next: PromotionRules = {
    profiles: approvals === undefined ? current.profiles : { ...current.profiles, [profile as string]: { approvals: parseApprovals(approvals) } },
    emergencyRollback: emergency === undefined ? current.emergencyRollback : parseSwitch(emergency),
  };
  const saved = await client.setPromotionRules(workspace, next);
  if (ctx.json) return void printJson(saved);
  if (approvals !== undefined) {
    const n = saved.profiles[profile as string]?.approvals ?? 0;
    process.stdout.write(`${profile} of ${where} now needs ${n === 0 ? 'no approval: changes to it are committed directly' : `${n} approval${n === 1 ? '' : 's'} before a merge`}.\n`);
  }
  if (emergency !== undefined) process.stdout.write(`Emergency rollbacks in ${where} are ${saved.emergencyRollback ? 'allowed' : 'not allowed'}.\n`);
}
