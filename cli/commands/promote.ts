// loco promote: a release that succeeded in one profile goes to another by pull request
// (issue 7). `promote <app> --from dev --to prod` opens it; `list`, `approve <id>` and
// `merge <id>` handle it when the workspace's repositories are local (on GitHub, review and
// merge happen there and the API tracks the merge through its webhook).

import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { Promotion } from '../../api/client/index.ts';
import type { Action } from '../main.ts';
import { resolveApp } from '../app-config.ts';
import { followDeployment, waitOptions } from '../follow.ts';
import { paintStatus, printFields, printJson, printTable } from '../output.ts';

const ACTIONS = new Set(['list', 'approve', 'merge', 'show']);

export const promote: Action = async (ctx, [first, second], flags) => {
  const action = typeof first === 'string' && ACTIONS.has(first) ? first : 'open';
  const client = await ctx.client();
  const workspace = await ctx.workspace();

  if (action === 'list') {
    const list = await client.listPromotions(workspace, { app: typeof second === 'string' ? second : undefined, status: typeof flags.status === 'string' ? flags.status : undefined });
    if (ctx.json) return void printJson(list);
    printTable(list, [
      { header: 'id', value: (p) => p.id },
      { header: 'app', value: (p) => p.app },
      { header: 'from → to', value: (p) => `${p.from} → ${p.to}` },
      { header: 'status', value: (p) => p.status, paint: paintStatus },
      { header: 'author', value: (p) => String(p.author ?? p.actor ?? '') },
      { header: 'pr', value: (p) => String(p.pullRequestUrl ?? p.url ?? '') },
    ], 'no promotions');
    return;
  }

  if (action !== 'open') {
    if (typeof second !== 'string') throw new LocoError('usage.promotion-id', `loco promote ${action} needs a promotion id`, 'list them: loco promote list');
    if (action === 'show') {
      const p = await client.getPromotion(workspace, second);
      return void (ctx.json ? printJson(p) : showPromotion(p));
    }
    if (action === 'approve') {
      const p = await client.approvePromotion(workspace, second);
      if (ctx.json) return void printJson(p);
      process.stdout.write(`Approved ${p.id} (${p.app}: ${p.from} → ${p.to}); merge it: loco promote merge ${p.id}\n`);
      return;
    }
    const merged = await client.mergePromotion(workspace, second);
    const deployment = merged.deployment as Promotion['deployment'];
    if (!deployment || typeof deployment !== 'object') {
      if (ctx.json) return void printJson(merged);
      process.stdout.write(`Merged ${merged.id}.\n`);
      return;
    }
    if (!ctx.json) process.stdout.write(`Merged ${merged.id}; following the ${merged.to} deployment.\n`);
    return followDeployment(ctx, client, deployment as any, { ...waitOptions(flags), noun: 'promotion' });
  }

  const app = await resolveApp(first, flags, 'promote');
  if (typeof flags.from !== 'string' || typeof flags.to !== 'string') {
    throw new LocoError('usage.promote', 'loco promote needs --from and --to', `for example: loco promote ${app} --from dev --to prod`);
  }
  const p = await client.createPromotion(workspace, app, { from: flags.from, to: flags.to });
  if (ctx.json) return void printJson(p);
  showPromotion(p);
  const pr = p.pullRequestUrl ?? p.url;
  process.stdout.write(pr ? `\nReview and merge the pull request: ${pr}\n` : `\nNext: someone else approves it (loco promote approve ${p.id}), then loco promote merge ${p.id}\n`);
};

function showPromotion(p: Promotion): void {
  printFields([
    ['promotion', `${p.id} ${paintStatus(p.status)}`],
    ['app', `${p.app}: ${p.from} → ${p.to}`],
    ['title', str(p.title)],
    ['image', str(p.image)],
    ['config', str(p.configDigest)],
    ['branch', str(p.branch)],
    ['pull request', str(p.pullRequestUrl ?? p.url)],
    ['author', str(p.author ?? p.actor)],
    ['approved by', Array.isArray(p.approvals) ? p.approvals.map((a: any) => (typeof a === 'string' ? a : a.actor ?? a.user)).join(', ') : str(p.approvedBy)],
  ]);
  if (typeof p.summary === 'string') process.stdout.write(`\n${kleur.dim(p.summary)}\n`);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}
