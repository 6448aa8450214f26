// loco completion bash|zsh|fish prints the script; the script asks `loco complete -- <words>`
// on each TAB (answered in cli/main.ts before cac parses, so it stays out of --help, like gh's
// hidden __complete).

import type { CAC } from 'cac';
import type { Action } from '../action.ts';
import { completionScript } from '../completion/scripts.ts';
import { completeWords } from '../completion/tree.ts';

export const completion: Action = async (_ctx, [shell]) => {
  process.stdout.write(completionScript(String(shell)));
};

export function complete(cli: CAC, words: string[]): void {
  process.stdout.write(completeWords(cli, words));
}
