// `loco complete -- <words>` answered in-process from the real declarations: a command added
// with an [action] argument must say its subcommands, or TAB after it would list nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cac } from 'cac';
import { declareCommands } from '../../cli/commands.ts';
import { completeWords } from '../../cli/completion/tree.ts';

const cli = cac('loco');
cli.option('-o, --output <format>', 'Output format');
declareCommands(cli, () => {});

const candidates = (...words: string[]) => completeWords(cli, words).trimEnd().split('\n').slice(0, -1).map((l) => l.split('\t')[0]);

test('every command with an <action> or [action] argument completes its subcommands', () => {
  const withAction = cli.commands.filter((c) => /^\S+ [<[]action[>\]]/.test(c.rawName));
  assert.ok(withAction.length >= 5, withAction.map((c) => c.name).join(', '));
  for (const c of withAction) assert.ok(candidates(c.name, '').length > 0, `loco ${c.name} <TAB> lists nothing: add its subcommands to the table in cli/completion/tree.ts`);
});

test('a lone "-" lists long flags as well as short ones; --key=value words do not hide the command', () => {
  const dash = candidates('logs', '-');
  assert.ok(dash.includes('--follow') && dash.includes('-f') && dash.includes('--output'), dash.join(' '));
  assert.deepEqual(candidates('--output=json', 'members', 'add', 'rosa', '--role', ''), ['admin', 'deploy', 'read']);
});
