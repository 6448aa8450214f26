// loco members: who is in the workspace and with which role — `members` lists them,
// `members add <user> --role deploy` adds one (or changes their role), `members remove <user>`.
// Changing members needs the workspace's admin role; the API says so when it is missing.

import { LocoError } from '../../generator/errors.ts';
import type { Action } from '../action.ts';
import { printJson, printTable } from '../output.ts';

export const members: Action = async (ctx, [action = 'list', user], flags) => {
  const client = await ctx.client();
  const workspace = await ctx.workspace();
  const where = `${workspace.org}/${workspace.workspace}`;
  if (action === 'list') {
    const list = await client.listMembers(workspace);
    if (ctx.json) return void printJson(list);
    printTable(list, [
      { header: 'user', value: (m) => m.user },
      { header: 'role', value: (m) => m.role },
      { header: 'email', value: (m) => m.email ?? '' },
    ], `${where} has no members`);
    return;
  }
  if (action !== 'add' && action !== 'remove') {
    throw new LocoError('usage.members-action', `loco members ${String(action)} is not a thing`, 'use: loco members | loco members add <user> --role deploy | loco members remove <user>');
  }
  if (typeof user !== 'string' || user === '') {
    throw new LocoError('usage.members-user', `loco members ${action} needs a user name`, `e.g. loco members ${action} rosa${action === 'add' ? ' --role deploy' : ''}`);
  }
  if (action === 'add') {
    const member = await client.setMember(workspace, user, typeof flags.role === 'string' ? flags.role : 'deploy');
    if (ctx.json) return void printJson(member);
    process.stdout.write(`${member.user} is a member of ${where} with the ${member.role} role.\n`);
    return;
  }
  const removed = await client.removeMember(workspace, user);
  if (ctx.json) return void printJson(removed);
  process.stdout.write(`${user} is no longer a member of ${where}.\n`);
};
