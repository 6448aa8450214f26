// The `loco` command line: declares every command with cac and loads each command's module
// only when it runs, so `loco --help` and offline commands start fast.

import { cac, type Command } from 'cac';
import packageJson from '../package.json' with { type: 'json' };
import { LocoError, exitCodeFor, isLocoError } from '../generator/errors.ts';
import { createContext, type Context, type GlobalFlags } from './context.ts';
import { errorJson, formatError } from './report-error.ts';
import { declareCommands } from './commands.ts';
import type { Loader } from './action.ts';


const cli = cac('loco');
// Imported, not read from disk: the bundled CLI (dist/npm, the single executable) has no package.json beside it.
const version = packageJson.version;

cli
  .option('-o, --output <format>', 'Output format: table or json')
  .option('--api <url>', 'Loco API URL (else LOCO_API_URL, the saved one, http://127.0.0.1:7420)')
  .option('--token <token>', 'API token (else LOCO_TOKEN, then the saved one)')
  .option('-w, --workspace <org/workspace>', 'Workspace (else LOCO_WORKSPACE, then `loco use`)')
  .option('--non-interactive', 'Never prompt; plain progress lines')
  .option('--debug', 'Write a debug log file and print where it is');

let pending: Promise<number> | undefined;
const bind = (command: Command, load: Loader) =>
  command.action((...params: unknown[]) => {
    const flags = params.pop() as GlobalFlags;
    pending = run(load, params, flags);
  });

declareCommands(cli, bind);

cli.help((sections) => {
  const tidy = sections
    .filter((s) => !s.title?.startsWith('For more info'))
    .map((s) => ({ ...s, body: s.body.split('\n').map((l) => (/^\s+--no-/.test(l) ? l.replace(' (default: true)', '') : l).trimEnd()).join('\n') }));
  if (!cli.matchedCommand) {
    tidy.push(
      { title: 'Exit codes', body: '  0 ok, 1 failed deployment or command, 2 usage or config error, 3 auth error,\n  4 API unreachable or outcome unknown (timeout)' },
      { body: 'Run `loco <command> --help` for its options and an example.' },
    );
  }
  return tidy;
});
cli.version(version);

async function run(load: Loader, args: unknown[], flags: GlobalFlags): Promise<number> {
  let ctx: Context | undefined;
  try {
    ctx = createContext(flags);
    const action = await load();
    return (await action(ctx, args, flags)) ?? 0;
  } catch (error) {
    return report(error, ctx, flags);
  } finally {
    if (ctx?.debugFile) process.stderr.write(`debug log written to ${ctx.debugFile}\n`);
  }
}

function report(error: unknown, ctx: Context | undefined, flags: GlobalFlags): number {
  ctx?.debug(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (isLocoError(error)) {
    if (ctx?.json || flags.output === 'json') process.stdout.write(JSON.stringify(errorJson(error), null, 2) + '\n');
    process.stderr.write(formatError(error) + '\n');
    return exitCodeFor(error.code);
  }
  process.stderr.write(`error: internal error in loco: ${error instanceof Error ? error.message : String(error)}\n`);
  process.stderr.write(ctx?.debugFile ? '' : 'hint: run the command again with --debug and report the log\n');
  return 1;
}

/**
 * `--replicas -1` would reach cac as an unknown option `-1`: join a negative number to the
 * option before it, so the command can say what is wrong with the value itself.
 */
function numbersAsValues(argv: string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const previous = out.at(-1);
    if (/^-\d/.test(arg) && previous?.startsWith('--') && !previous.includes('=')) out[out.length - 1] = `${previous}=${arg}`;
    else out.push(arg);
  }
  return out;
}

async function main(): Promise<number> {
  // The completion scripts ask `loco complete -- <words>` on each TAB: answered before cac
  // parses, so it stays out of --help (gh's hidden __complete). A failure means "no
  // completions" (directive 1), never an error text on the user's prompt.
  if (process.argv[2] === 'complete' && process.argv[3] === '--') {
    try {
      (await import('./commands/completion.ts')).complete(cli, process.argv.slice(4));
    } catch {
      process.stdout.write(':1\n');
    }
    return 0;
  }
  try {
    cli.parse(numbersAsValues(process.argv), { run: false });
    if (cli.options.help || cli.options.version) return 0;
    if (!cli.matchedCommand) {
      if (cli.args.length > 0) {
        throw new LocoError('usage.unknown-command', `unknown command "${cli.args[0]}"`, 'see loco --help for the commands');
      }
      cli.outputHelp();
      return 0;
    }
    cli.runMatchedCommand();
  } catch (error) {
    if (isLocoError(error)) return report(error, undefined, cli.options as GlobalFlags);
    // cac's own errors: unknown option, missing argument or value.
    const command = cli.matchedCommand?.name;
    process.stderr.write(`error: ${(error as Error).message}\nhint: see loco ${command ? `${command} ` : ''}--help\n`);
    return 2;
  }
  return pending ? await pending : 0;
}

// Exit at once: an idle keep-alive socket to the API must not hold the prompt for seconds.
// (stdout and stderr are synchronous for files, pipes and TTYs on Linux, so nothing is lost.)
// No top-level await: the bundle is CommonJS, which Node's single-executable applications need.
void main().then((code) => process.exit(code));
