// loco audit verify: does the workspace's GitOps history hold up as an audit trail (linear from
// the skeleton commit, every commit made by Loco with valid trailers, git and the records
// agreeing)? Exits 1 when anything is found, so an auditor's script can rely on the code.

import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { Action } from '../action.ts';
import { printJson } from '../output.ts';

export const audit: Action = async (ctx, [action = 'verify']) => {
  if (action !== 'verify') throw new LocoError('usage.audit-action', `loco audit ${String(action)} is not a thing`, 'use: loco audit verify');
  const client = await ctx.client();
  const workspace = await ctx.workspace();
  const report = await client.verifyAudit(workspace);
  if (ctx.json) {
    printJson(report);
    return report.ok ? 0 : 1;
  }
  const where = `${workspace.org}/${workspace.workspace}`;
  const counted = countsLine(report);
  if (report.ok) {
    process.stdout.write(`${kleur.green('✓')} The history of ${where} holds up: ${counted}, no findings.\n`);
    return 0;
  }
  process.stdout.write(`${kleur.red('✗')} ${plural(report.findings.length, 'finding')} in the history of ${where} (${counted}):\n`);
  for (const f of report.findings) {
    process.stdout.write(`\n${kleur.bold(f.code)}${f.commit ? ` ${f.commit.slice(0, 12)}` : ''}${f.deploymentId ? ` ${f.deploymentId}` : ''}\n  ${f.message}\n  ${kleur.yellow('hint:')} ${f.hint}\n`);
  }
  return 1;
};

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * "12 commits; 10 deployments in git, 10 with their outcome; 4 deployment records": git's own
 * count first, so a destroyed app (records gone, history kept) does not read as a loss.
 */
function countsLine(report: { commits: number; deployments: number; inGit?: { deployments: number; outcomes: number } }): string {
  const git = report.inGit;
  const inGit = git ? `; ${plural(git.deployments, 'deployment')} in git, ${git.outcomes === git.deployments ? (git.deployments === 1 ? 'with its outcome' : 'all with their outcome') : `${git.outcomes} with their outcome`}` : '';
  return `${plural(report.commits, 'commit')}${inGit}; ${plural(report.deployments, 'deployment record')} in the database`;
}
