// loco members: who is in the workspace and with which role — `members` lists them,
// `members add <user> --role deploy` adds one (or changes their role), `members invite <user>`
// makes a new invitation code, `members remove <user>`. A user who has no token yet gets an
// invitation code (printed once) to log in with. Changing members needs the workspace's admin
// role; the API says so when it is missing.

import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { Invitation } from '../../api/client/index.ts';
import type { Action } from '../action.ts';
import { parseDuration } from '../duration.ts';
import { printJson, printTable } from '../output.ts';

const ACTIONS = ['list', 'add', 'invite', 'remove'];

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
  if (!ACTIONS.includes(String(action))) {
    throw new LocoError('usage.members-action', `loco members ${String(action)} is not a thing`, 'use: loco members | loco members add <user> --role deploy | loco members invite <user> | loco members remove <user>');
  }
  if (typeof user !== 'string' || user === '') {
    throw new LocoError('usage.members-user', `loco members ${action} needs a user name`, `e.g. loco members ${action} rosa${action === 'add' ? ' --role deploy' : ''}`);
  }
  const role = typeof flags.role === 'string' ? flags.role : undefined;
  const printInvitation = (invitation: Invitation) => {
    process.stdout.write(`Invitation for ${user} (${kleur.bold('shown once')}; works once, until ${invitation.expiresAt}). ${user} logs in with:\n`);
    process.stdout.write(`  loco login --api ${client.url} --invite ${invitation.code}\n`);
  };
  if (action === 'add') {
    const member = await client.setMember(workspace, user, role ?? 'deploy');
    if (ctx.json) return void printJson(member);
    process.stdout.write(`${member.user} is a member of ${where} with the ${member.role} role.\n`);
    if (member.invitation) printInvitation(member.invitation);
    return;
  }
  if (action === 'invite') {
    const expiresInSeconds = flags.expires === undefined ? undefined : Math.round(parseDuration(flags.expires, '--expires') / 1000);
    const invited = await client.createInvitation(workspace, { user, ...(role ? { role } : {}), ...(expiresInSeconds ? { expiresInSeconds } : {}) });
    if (ctx.json) return void printJson(invited);
    process.stdout.write(`${invited.user} is a member of ${where} with the ${invited.role} role.\n`);
    printInvitation(invited.invitation);
    return;
  }
  const removed = await client.removeMember(workspace, user);
  if (ctx.json) return void printJson(removed);
  process.stdout.write(`${user} is no longer a member of ${where}.\n`);
};
