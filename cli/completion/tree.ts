// What `loco complete -- <words>` answers: a @bomb.sh/tab command tree made from the same cac
// declarations as --help, plus what cac cannot say: the subcommands hidden in an [action]
// argument, the values an option takes, and which positions expect a file or a folder.

import type { CAC, Command as CacCommand } from 'cac';
import { RootCommand, ShellCompDirective, type Command, type Complete } from '@bomb.sh/tab';
import { consoleLines } from './console-lines.ts';
import { profileValues } from './profiles.ts';

/** Subcommands that cac sees as the value of a command's first argument. */
const subcommands: Record<string, Record<string, string>> = {
  env: { list: 'List the variables', set: 'Set K=V …', unset: 'Remove K …' },
  promote: { list: 'Open and past promotions', show: 'One promotion', approve: 'Approve a promotion', merge: 'Merge an approved promotion', close: 'Close without merging', rules: 'Approvals per profile: rules get | rules set <profile> --approvals N' },
  workspace: { list: 'Workspaces you can see', create: 'Create <org>/<name> (org admins)' },
  audit: { verify: 'Check the git history as an audit trail' },
  members: { list: 'Members and their roles', add: 'Add <user> --role R (prints an invitation code when they have no token)', invite: 'A new invitation code for <user>', remove: 'Remove <user>' },
  tokens: { list: 'Your tokens (never their secrets)', create: 'A personal token, or --deploy --app A --profile P for CI', revoke: 'Revoke <id|name>' },
  images: { prune: 'Delete images no recent release references (dry run unless --yes)' },
  domains: { list: 'Custom domains and their DNS challenges', add: 'Add <domain>: prints the TXT record to publish', verify: 'Look the TXT record up and verify <domain>', remove: 'Remove <domain>' },
  config: { upgrade: 'Rewrite a ConfigVersion "0.1" loco.toml in the current format' },
  secrets: { list: 'Names of the sealed secrets', set: 'Seal NAME=VALUE …', unset: 'Remove NAME …' },
};

type Values = (words: string[]) => [value: string, description: string][];
const fixed = (pairs: [string, string][]): Values => () => pairs;

/** Option values by long option name. `profile`, `from` and `to` read the nearest loco.toml. */
const optionValues: Record<string, Values> = {
  output: fixed([['table', 'Aligned columns (default)'], ['json', 'One JSON document']]),
  profile: profileValues,
  from: profileValues,
  to: profileValues,
  role: fixed([['admin', 'Manage members and settings'], ['deploy', 'Deployer: deploy, scale, env'], ['read', 'Viewer: read only']]),
  builder: fixed([['podman', ''], ['buildah', ''], ['docker', 'needs its daemon']]),
  status: fixed([['open', ''], ['approved', ''], ['merged', ''], ['closed', ''], ['superseded', '']]),
};

/** Positional values by `<command> <argument>`. */
const argumentValues: Record<string, Values> = {
  'completion shell': fixed([['bash', ''], ['zsh', ''], ['fish', '']]),
};

/** Where the shell should list files (or only folders) itself. */
const fileOptions: Record<string, 'file' | 'dir'> = { config: 'file', out: 'dir' };
const fileArguments: Record<string, 'file' | 'dir'> = { 'validate path': 'file', 'render path': 'file', 'init dir': 'dir', 'config upgrade path': 'file' };

interface Flag {
  long: string;
  short?: string;
  takesValue: boolean;
  description: string;
}

/** `-o, --output <format>` → { long: 'output', short: 'o', takesValue: true }. `--no-wait` stays `no-wait`. */
function flagOf(rawName: string, description: string): Flag {
  const long = /--([\w-]+)/.exec(rawName)?.[1] ?? rawName.replace(/^-+/, '');
  return { long, short: /^-(\w),/.exec(rawName)?.[1], takesValue: /[<[]/.test(rawName), description };
}

function argumentsOf(command: CacCommand): string[] {
  return [...command.rawName.matchAll(/[<[](?:\.\.\.)?([^>\]]+)[>\]]/g)].map((m) => m[1]);
}

/** The answer to one completion request: candidate lines, then `:<directive>` (cobra's protocol, which tab's scripts read). */
export function completeWords(cli: CAC, words: string[]): string {
  let wanted: 'file' | 'dir' | undefined;
  const handler = (values: Values | undefined, kind?: 'file' | 'dir') => function (this: unknown, complete: Complete) {
    if (kind) wanted = kind;
    for (const [value, description] of values?.(words) ?? []) complete(value, description);
  };
  const tree = new RootCommand();
  const addFlags = (target: Command, flags: Flag[]) => {
    for (const f of flags) {
      const values = f.takesValue ? handler(optionValues[f.long], fileOptions[f.long]) : undefined;
      if (values && f.short) target.option(f.long, f.description, values, f.short);
      else if (values) target.option(f.long, f.description, values);
      else if (f.short) target.option(f.long, f.description, f.short);
      else target.option(f.long, f.description);
    }
  };
  const global = cli.globalCommand.options.map((o) => flagOf(o.rawName, o.description));
  addFlags(tree, global);
  for (const c of cli.commands) {
    const flags = [...global, ...c.options.map((o) => flagOf(o.rawName, o.description))];
    const command = tree.command(c.name, c.description);
    addFlags(command, flags);
    const nested = subcommands[c.name];
    const args = argumentsOf(c);
    for (const name of nested ? [] : args) {
      const key = `${c.name} ${name}`;
      command.argument(name, handler(argumentValues[key], fileArguments[key]), c.rawName.includes(`...${name}`));
    }
    for (const [sub, description] of Object.entries(nested ?? {})) {
      const subcommand = tree.command(`${c.name} ${sub}`, description);
      addFlags(subcommand, flags);
      // The arguments after the action belong to the subcommand: `config upgrade [path]`.
      for (const name of args.slice(1)) {
        const key = `${c.name} ${sub} ${name}`;
        subcommand.argument(name, handler(argumentValues[key], fileArguments[key]), c.rawName.includes(`...${name}`));
      }
    }
  }

  // tab's parser skips the word after any option it does not know to be boolean, and a
  // `--key=value` word holds its value already: leave those out of the words before the cursor.
  const before = words.slice(0, -1).filter((w) => !/^--?[\w-]+=/.test(w));
  const current = words.at(-1) ?? '';
  // A lone `-` lists the long options as well as the short ones, as gh does.
  const answer = current === '-' ? [...run(tree, [...before, '--']), ...run(tree, [...before, '-'])] : run(tree, [...before, current]);
  const directive = wanted === 'file' ? ShellCompDirective.ShellCompDirectiveDefault
    : wanted === 'dir' ? ShellCompDirective.ShellCompDirectiveFilterDirs
    : ShellCompDirective.ShellCompDirectiveNoFileComp;
  return [...new Set(answer), `:${directive}`].join('\n') + '\n';
}

/** tab's candidates for the words; its directive line is dropped (ours says where files go). */
function run(tree: RootCommand, words: string[]): string[] {
  return consoleLines(() => tree.parse(words)).filter((l) => !/^:\d+$/.test(l));
}
