// loco domains: custom domains of the workspace — `domains add <domain>` prints the DNS TXT
// record that proves the workspace controls it, `domains verify <domain>` has Loco look it up,
// `domains` lists them, `domains remove <domain>` drops one no route uses (docs/hostnames.md).

import { LocoError } from '../../generator/errors.ts';
import type { Action } from '../action.ts';
import { printJson, printTable } from '../output.ts';

const ACTIONS = ['list', 'add', 'verify', 'remove'];

export const domains: Action = async (ctx, [action = 'list', domain]) => {
  if (!ACTIONS.includes(String(action))) {
    throw new LocoError('usage.domains-action', `loco domains ${String(action)} is not a thing`, 'use: loco domains | loco domains add <domain> | loco domains verify <domain> | loco domains remove <domain>');
  }
  const client = await ctx.client();
  const workspace = await ctx.workspace();
  const where = `${workspace.org}/${workspace.workspace}`;
  if (action === 'list') {
    const list = await client.listDomains(workspace);
    if (ctx.json) return void printJson(list);
    printTable(list, [
      { header: 'domain', value: (d) => d.domain },
      { header: 'status', value: (d) => (d.verified ? 'verified' : 'waiting for DNS') },
      { header: 'challenge', value: (d) => (d.challenge ? `${d.challenge.name} TXT ${d.challenge.value}` : '') },
    ], `${where} has no custom domains (add one: loco domains add shop.example.com)`);
    return;
  }
  if (typeof domain !== 'string' || domain === '') {
    throw new LocoError('usage.domains-domain', `loco domains ${action} needs a domain`, `e.g. loco domains ${action} shop.example.com`);
  }
  if (action === 'remove') {
    const removed = await client.removeDomain(workspace, domain);
    if (ctx.json) return void printJson(removed);
    process.stdout.write(`${removed.removed} is no longer a custom domain of ${where}.\n`);
    return;
  }
  const result = action === 'add' ? await client.addDomain(workspace, domain) : await client.verifyDomain(workspace, domain);
  if (ctx.json) return void printJson(result);
  if (result.verified) {
    process.stdout.write(`${result.domain} is verified for ${where}: routes on it (and on names under it) deploy.\n`);
    return;
  }
  const c = result.challenge!;
  process.stdout.write(`Publish this DNS record to prove ${where} controls ${result.domain}:\n\n  ${c.name} TXT ${c.value}\n\nthen run: loco domains verify ${result.domain}\n`);
};
