// loco workspace: the workspaces you can see (`workspace list`, across your organizations),
// `workspace create <org>/<name>` (org admins), which also creates its GitOps repository, and
// `workspace delete <org>/<name>` (workspace admins), which removes every app in one commit and
// prints what the platform operator removes from Argo CD.

import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { Action } from '../action.ts';
import type { Context } from '../context.ts';
import { printJson, printTable } from '../output.ts';
import { ask } from '../prompt.ts';
import { parseWorkspaceRef } from '../settings.ts';

export const workspace: Action = async (ctx, [action = 'list', target], flags) => {
  const client = await ctx.client();
  if (action === 'list') {
    const orgs = await client.listOrgs();
    const all = (await Promise.all(orgs.map((o) => client.listWorkspaces(o.name)))).flat();
    if (ctx.json) return void printJson(all);
    const current = await ctx.workspace().then((w) => `${w.org}/${w.workspace}`, () => null);
    printTable(all, [
      { header: 'workspace', value: (w) => `${w.org}/${w.name}` },
      { header: 'role', value: (w) => w.role },
      { header: 'repository', value: (w) => w.slug },
      { header: '', value: (w) => (`${w.org}/${w.name}` === current ? '*' : '') },
    ], 'no workspaces you can see');
    return;
  }
  if (action !== 'create' && action !== 'delete') {
    throw new LocoError('usage.workspace-action', `loco workspace ${String(action)} is not a thing`, 'use: loco workspace list | loco workspace create <org>/<name> | loco workspace delete <org>/<name> --yes');
  }
  if (typeof target !== 'string') throw new LocoError('usage.workspace-name', `loco workspace ${action} needs <org>/<name>`, `e.g. loco workspace ${action} acme/shop`);
  const ref = parseWorkspaceRef(target, 'workspace');
  if (action === 'delete') return deleteWorkspace(ctx, ref, Boolean(flags.yes));
  const created = await client.createWorkspace(ref.org, ref.workspace);
  if (ctx.json) return void printJson(created);
  process.stdout.write(`${kleur.green('✓')} Created workspace ${created.org}/${created.name} (GitOps repository ${created.slug}); you are its admin.\n`);
  process.stdout.write(`Next: loco use ${created.org}/${created.name}, and ask your platform operator to install its Argo CD manifests (argocd/README.md).\n`);
};

async function deleteWorkspace(ctx: Context, ref: { org: string; workspace: string }, yes: boolean): Promise<number | void> {
  const where = `${ref.org}/${ref.workspace}`;
  // Refuse before touching the API: a script without --yes must never delete a workspace.
  if (!yes && !ctx.interactive) {
    throw new LocoError('usage.confirmation-required', `deleting ${where} needs confirmation and this session cannot ask`, `confirm it in the command: loco workspace delete ${where} --yes`);
  }
  if (!yes) {
    const answer = await ask(`This removes every app of ${kleur.bold(where)} from its repository and deletes its deployments and members. Type ${where} to confirm: `);
    if (answer !== where) {
      process.stderr.write('Not confirmed; nothing was changed.\n');
      return 1;
    }
  }
  const client = await ctx.client();
  const result = await client.deleteWorkspace(ref.org, ref.workspace);
  if (ctx.json) return void printJson(result);
  const removed = result.removedApps.length ? `removed ${result.removedApps.join(', ')} in commit ${result.commit?.slice(0, 7)}` : 'it had no apps on main';
  process.stdout.write(`${kleur.green('✓')} Deleted workspace ${where}: ${removed}; its repository keeps the history.\n`);
  const { argocd } = result;
  process.stdout.write(`Argo CD (for your platform operator): ApplicationSet ${argocd.applicationSet} deletes ${argocd.applications.length ? `these Applications once it reads main: ${argocd.applications.join(', ')}` : 'no Applications'}.\n`);
  process.stdout.write(`Then remove the workspace's Argo CD objects:\n${argocd.commands.map((c) => `  ${c}`).join('\n')}\n`);
}
