// Questions on the terminal. Only asked when the context is interactive; otherwise callers
// refuse with a usage error that names the flag to pass instead.

import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';

export async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/**
 * Asks for a secret (an API token) without echoing it: readline drives the terminal in raw mode
 * and writes its echo to a sink, so what is typed never reaches the screen, the scrollback or a
 * screen recording. The interface is made (raw mode on) before the question is shown, so keys
 * typed as soon as the question appears are never echoed by the terminal itself.
 */
export async function askSecret(question: string): Promise<string> {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: sink, terminal: Boolean(process.stdin.isTTY) });
  // In raw mode Ctrl-C arrives as a key, not a signal: end the command as the signal would.
  rl.on('SIGINT', () => {
    rl.close();
    process.stderr.write('\n');
    process.exit(130);
  });
  try {
    const answer = rl.question('');
    process.stderr.write(question);
    return (await answer).trim();
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
