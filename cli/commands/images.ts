// loco images prune: delete the workspace's images that no recent release references (the
// deployed one and --keep before it, per app/profile), through the registry API. A dry run
// unless --yes: it lists what would be deleted and what is kept.

import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { Action } from '../action.ts';
import { printJson } from '../output.ts';

export const images: Action = async (ctx, [action], options) => {
  if (action !== 'prune') throw new LocoError('usage.images-action', `loco images ${String(action ?? '')} is not a thing`, 'use: loco images prune [--keep N] [--yes]');
  const keep = options.keep === undefined ? 2 : Number(options.keep);
  if (!Number.isInteger(keep) || keep < 0) throw new LocoError('usage.invalid-keep', `--keep ${String(options.keep)} is not a whole number`, 'pass --keep 2 (releases kept beyond the deployed one)');
  const client = await ctx.client();
  const workspace = await ctx.workspace();
  const result = await client.pruneImages(workspace, { keep, dryRun: options.yes !== true });
  if (ctx.json) {
    printJson(result);
    return 0;
  }
  const line = (e: { repository: string; digest: string; tags: string[] }) => `  ${e.repository}@${e.digest.slice(0, 19)}… ${e.tags.join(', ')}\n`;
  process.stdout.write(`Keeping ${result.kept.length} image(s) referenced by the deployed release and ${keep} before it, per app/profile:\n`);
  for (const e of result.kept) process.stdout.write(line(e));
  process.stdout.write(`${result.dryRun ? 'Would delete' : 'Deleted'} ${result.deleted.length} image(s):\n`);
  for (const e of result.deleted) process.stdout.write(line(e));
  if (result.dryRun && result.deleted.length) process.stdout.write(kleur.yellow('This was a dry run: repeat with --yes to delete them.\n'));
  return 0;
};
