// loco promote: a release that succeeded in one profile goes to another by pull request
// (issue 7). `promote <app> --from dev --to prod` opens it; `list`, `show <id>`,
// `approve <id>`, `merge <id>` and `close <id>` handle it when the workspace's repositories are
// local (on GitHub, review and merge happen there and the API tracks the merge by webhook);
// `rules get|set` shows and changes the approvals each profile needs (promote-rules.ts).

import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { Promotion } from '../../api/client/index.ts';
import type { Action } from '../action.ts';
import { resolveApp } from '../app-config.ts';
import { followDeployment, waitOptions } from '../follow.ts';
import { paintStatus, printFields, printJson, printTable } from '../output.ts';
import { promoteRules } from './promote-rules.ts';

const ACTIONS = new Set(['list', 'show', 'approve', 'merge', 'close']);

export const promote: Action = async (ctx, [first, second, third], flags) => {
  if (first === 'rules') return promoteRules(ctx, second, third, flags);
  const action = typeof first === 'string' && ACTIONS.has(first) ? first : 'open';
  const client = await ctx.client();

  if (action === 'list') {
    const list = await client.listPromotions(await ctx.workspace(), {
      app: typeof second === 'string' ? second : undefined,
      status: typeof flags.status === 'string' ? flags.status : undefined,
    });
    if (ctx.json) return void printJson(list);
    printTable(list, [
      { header: 'id', value: (p) => p.id },
      { header: 'app', value: (p) => p.app },
      { header: 'change', value: (p) => `${p.kind} ${p.from} → ${p.to}` },
      { header: 'status', value: (p) => p.status, paint: paintStatus },
      { header: 'approvals', value: (p) => `${p.approvals.length}/${p.approvalsRequired}` },
      { header: 'author', value: (p) => p.author },
      { header: 'pull request', value: (p) => p.pullRequest?.url ?? '' },
    ], 'no promotions');
    return;
  }

  if (action !== 'open') {
    if (typeof second !== 'string') throw new LocoError('usage.promotion-id', `loco promote ${action} needs a promotion id`, 'list them: loco promote list');
    if (action === 'show') {
      const p = await client.getPromotion(second);
      return void (ctx.json ? printJson(p) : showPromotion(p, true));
    }
    if (action === 'approve' || action === 'close') {
      const p = action === 'approve' ? await client.approvePromotion(second) : await client.closePromotion(second);
      if (ctx.json) return void printJson(p);
      if (action === 'close') process.stdout.write(`Closed ${p.id} without merging.\n`);
      else {
        const left = p.approvalsRequired - p.approvals.length;
        process.stdout.write(`Approved ${p.id} (${p.app}: ${p.from} → ${p.to}). ${left > 0 ? `${left} more approval(s) needed.` : `Merge it: loco promote merge ${p.id}`}\n`);
      }
      return;
    }
    const merged = await client.mergePromotion(second);
    if (!ctx.json) process.stdout.write(`Merged ${merged.promotion.id} (${shortOf(merged.promotion.mergeCommit)}); following the ${merged.promotion.to} deployment.\n`);
    return followDeployment(ctx, client, merged.deployment, { ...waitOptions(flags), noun: 'deployment' });
  }

  const app = await resolveApp(first, flags, 'promote');
  if (typeof flags.from !== 'string' || typeof flags.to !== 'string') {
    throw new LocoError('usage.promote', 'loco promote needs --from and --to', `for example: loco promote ${app} --from dev --to prod`);
  }
  const p = await client.createPromotion(await ctx.workspace(), app, {
    from: flags.from,
    to: flags.to,
    ...(typeof flags.deployment === 'string' ? { deployment: flags.deployment } : {}),
  });
  if (ctx.json) return void printJson(p);
  showPromotion(p, true);
  process.stdout.write(p.pullRequest?.url
    ? `\nReview and merge the pull request: ${p.pullRequest.url}\n`
    : `\nNext: ${p.approvalsRequired > 0 ? `someone other than you approves it (loco promote approve ${p.id}), then ` : ''}loco promote merge ${p.id}\n`);
};

export function showPromotion(p: Promotion, withBody: boolean): void {
  printFields([
    ['promotion', `${p.id} ${paintStatus(p.status)}`],
    ['title', p.title],
    ['app', `${p.app}: ${p.from} → ${p.to}`],
    ['source', p.kind === 'promote' ? sourceLine(p) : p.sourceDeploymentId],
    ['branch', p.branch],
    ['pull request', p.pullRequest?.url ?? (p.pullRequest?.number ? `#${p.pullRequest.number}` : undefined)],
    ['author', p.author],
    ['approvals', `${p.approvals.map((a) => a.user).join(', ') || 'none'} (${p.approvals.length}/${p.approvalsRequired} needed)`],
    ['deployment', p.deploymentId],
    ['superseded by', p.supersededBy],
  ]);
  if (withBody && p.body) process.stdout.write(`\n${kleur.dim(p.body.trim())}\n`);
}

/** The release promoted and how it ended; an unverified one says so in plain words. */
function sourceLine(p: Promotion): string {
  if (p.sourceVerified === false) {
    return `${p.sourceDeploymentId} ${kleur.yellow(`${p.sourceStatus}: not verified`)} (no Argo CD saw it run in ${p.from}; check it there before approving)`;
  }
  return `${p.sourceDeploymentId}${p.sourceStatus ? ` ${paintStatus(p.sourceStatus)}` : ''}`;
}

function shortOf(commit?: string): string {
  return commit ? commit.slice(0, 7) : 'no commit';
}
