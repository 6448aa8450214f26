// loco workspace: the workspaces you can see (`workspace list`, across your organizations) and
// `workspace create <org>/<name>` (org admins), which also creates its GitOps repository.

import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { Action } from '../action.ts';
import { printJson, printTable } from '../output.ts';
import { parseWorkspaceRef } from '../settings.ts';

export const workspace: Action = async (ctx, [action = 'list', target]) => {
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
  if (action !== 'create') {
    throw new LocoError('usage.workspace-action', `loco workspace ${String(action)} is not a thing`, 'use: loco workspace list | loco workspace create <org>/<name>');
  }
  if (typeof target !== 'string') throw new LocoError('usage.workspace-name', 'loco workspace create needs <org>/<name>', 'e.g. loco workspace create acme/shop');
  const ref = parseWorkspaceRef(target, 'workspace');
  const created = await client.createWorkspace(ref.org, ref.workspace);
  if (ctx.json) return void printJson(created);
  process.stdout.write(`${kleur.green('✓')} Created workspace ${created.org}/${created.name} (GitOps repository ${created.slug}); you are its admin.\n`);
  process.stdout.write(`Next: loco use ${created.org}/${created.name}, and ask your platform operator to install its Argo CD manifests (argocd/README.md).\n`);
};
