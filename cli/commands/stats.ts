// loco stats: the workspace's DORA figures per app and profile (GET …/dora): how often it
// deploys, how long a change takes to reach the cluster, how often a change fails, and how
// fast a failure is restored.

import kleur from 'kleur';
import type { DoraFigures } from '../../api/dora/compute.ts';
import type { Action } from '../action.ts';
import { formatDuration } from '../duration.ts';
import { printJson } from '../output.ts';

export const stats: Action = async (ctx, _args, options) => {
  const since = typeof options.since === 'string' ? options.since : '30d';
  const client = await ctx.client();
  const workspace = await ctx.workspace();
  const report = await client.getDora(workspace, since);
  if (ctx.json) {
    printJson(report);
    return 0;
  }
  const rows = [...report.apps, report.total];
  const cell = (f: DoraFigures) => [
    f.app === '*' ? kleur.bold('all apps') : `${f.app}@${f.profile}`,
    `${f.deploymentFrequencyPerDay}/day (${f.deployments})`,
    f.leadTimeSeconds === null ? '–' : formatDuration(f.leadTimeSeconds * 1000),
    f.changeFailureRate === null ? '–' : `${Math.round(f.changeFailureRate * 100)}% (${f.changeFailures})`,
    f.timeToRestoreSeconds === null ? '–' : formatDuration(f.timeToRestoreSeconds * 1000),
  ];
  const table = [['APP', 'FREQUENCY', 'LEAD TIME', 'FAILURE RATE', 'RESTORE'], ...rows.map(cell)];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => kleur.reset(r[i]).length)));
  process.stdout.write(`DORA figures of ${workspace.org}/${workspace.workspace} since ${report.since.slice(0, 10)} (${report.days} days)\n`);
  for (const r of table) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`);
  return 0;
};
