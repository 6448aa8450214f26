// Questions on the terminal. Only asked when the context is interactive; otherwise callers
// refuse with a usage error that names the flag to pass instead.

import { createInterface } from 'node:readline/promises';

export async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}
