// The scripts `loco completion bash|zsh|fish` prints: @bomb.sh/tab's (cobra's design, as gh
// uses: the shell asks `loco complete -- <words>` on each TAB, so completions follow the
// declarations and the line is parsed by loco, not by the script), with two bash mends.

import { script } from '@bomb.sh/tab';
import { LocoError } from '../../generator/errors.ts';
import { consoleLines } from './console-lines.ts';

export const shells = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof shells)[number];

const bashWords = '_get_comp_words_by_ref -n "=:" cur prev words cword';
const bashReply = 'COMPREPLY=( $(compgen -W "${completions[*]}" -- "$cur") )';

export function completionScript(shell: string): string {
  if (!(shells as readonly string[]).includes(shell)) {
    throw new LocoError('usage.shell', `no completion for "${shell}"`, 'use loco completion bash, zsh or fish');
  }
  const text = consoleLines(() => script(shell, 'loco', 'loco')).join('\n') + '\n';
  return shell === 'bash' ? mendBash(text) : text;
}

/**
 * tab's bash script needs the bash-completion package (`_get_comp_words_by_ref`), never lists
 * files even where loco asks for them (directive 0), and declares its constants readonly, so
 * sourcing it again (a re-read ~/.bashrc) prints errors. Without the package, read the words
 * from COMP_LINE up to the cursor (bash's COMP_WORDS splits `--a=b` and `http://x` at = and :);
 * where no candidate came back and files are not ruled out, list files.
 */
function mendBash(text: string): string {
  if (!text.includes(bashWords) || !text.includes(bashReply) || !text.includes('\nreadonly ShellCompDirective')) throw new Error('@bomb.sh/tab changed its bash script: mend cli/completion/scripts.ts');
  return text
    .replaceAll('\nreadonly ShellCompDirective', '\nShellCompDirective')
    .replace(bashWords, `if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        ${bashWords}
    else
        local line="\${COMP_LINE:0:COMP_POINT}"
        read -ra words <<< "$line"
        if [[ -z "$line" || "$line" == *[[:space:]] ]]; then words+=(""); fi
        cword=$(( \${#words[@]} - 1 ))
        cur="\${words[cword]}"
        prev="\${words[cword-1]}"
    fi`)
    .replace(bashReply, `${bashReply}
    if [[ \${#COMPREPLY[@]} -eq 0 && $((directive & $ShellCompDirectiveNoFileComp)) -eq 0 ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY=( $(compgen -f -- "$cur") )
    fi`);
}
