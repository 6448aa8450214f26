// loco completion bash|zsh|fish: scripts made from the same declarations as --help, so a new
// command or flag completes without touching this file.

import type { CAC } from 'cac';
import { LocoError } from '../../generator/errors.ts';
import type { Action } from '../action.ts';

interface Spec {
  name: string;
  description: string;
  flags: string[];
}

export function specs(cli: CAC): { commands: Spec[]; global: string[] } {
  const flagsOf = (options: { rawName: string }[]) =>
    options.flatMap((o) => o.rawName.replace(/[<[].*$/, '').split(',').map((f) => f.trim()).filter((f) => f.startsWith('-')));
  return {
    commands: cli.commands.map((c) => ({ name: c.name, description: c.description, flags: flagsOf(c.options) })),
    global: flagsOf(cli.globalCommand.options),
  };
}

export function bashScript(cli: CAC): string {
  const { commands, global } = specs(cli);
  const cases = commands.map((c) => `    ${c.name}) opts="${[...c.flags, ...global].join(' ')}" ;;`).join('\n');
  return `# bash completion for loco (source it, or save it to ~/.local/share/bash-completion/completions/loco)
_loco() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands.map((c) => c.name).join(' ')} ${global.join(' ')}" -- "$cur") )
    return
  fi
  local opts=""
  case "\${COMP_WORDS[1]}" in
${cases}
    env) ;;
  esac
  case "\${COMP_WORDS[1]}:$COMP_CWORD" in
    env:2) COMPREPLY=( $(compgen -W "list set unset" -- "$cur") ); return ;;
    promote:2) COMPREPLY=( $(compgen -W "list show approve merge close" -- "$cur") ); return ;;
    completion:2) COMPREPLY=( $(compgen -W "bash zsh fish" -- "$cur") ); return ;;
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "$opts" -- "$cur") ); else COMPREPLY=( $(compgen -f -- "$cur") ); fi
}
complete -F _loco loco
`;
}

export function zshScript(cli: CAC): string {
  const { commands, global } = specs(cli);
  const describe = commands.map((c) => `    '${c.name}:${c.description.replace(/'/g, "'\\''").replace(/:/g, '\\:')}'`).join('\n');
  const cases = commands.map((c) => `    ${c.name}) _arguments '*:file:_files' ${[...c.flags, ...global].map((f) => `'${f}'`).join(' ')} ;;`).join('\n');
  return `#compdef loco
# zsh completion for loco (save it as _loco in a folder on $fpath)
_loco() {
  local -a commands
  commands=(
${describe}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case $words[2] in
${cases}
  esac
}
compdef _loco loco
`;
}

export function fishScript(cli: CAC): string {
  const { commands, global } = specs(cli);
  const lines = ['# fish completion for loco (save it to ~/.config/fish/completions/loco.fish)', 'complete -c loco -f'];
  for (const c of commands) lines.push(`complete -c loco -n __fish_use_subcommand -a ${c.name} -d '${c.description.replace(/'/g, "\\'")}'`);
  for (const c of commands) {
    for (const f of c.flags) lines.push(`complete -c loco -n '__fish_seen_subcommand_from ${c.name}' ${fishFlag(f)}`);
  }
  for (const f of global) lines.push(`complete -c loco ${fishFlag(f)}`);
  lines.push("complete -c loco -n '__fish_seen_subcommand_from env' -a 'list set unset'");
  lines.push("complete -c loco -n '__fish_seen_subcommand_from promote' -a 'list show approve merge close'");
  lines.push("complete -c loco -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'");
  return lines.join('\n') + '\n';
}

function fishFlag(flag: string): string {
  return flag.startsWith('--') ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`;
}

export function completion(cli: CAC): Action {
  return async (_ctx, [shell]) => {
    const make = { bash: bashScript, zsh: zshScript, fish: fishScript }[String(shell) as 'bash' | 'zsh' | 'fish'];
    if (!make) throw new LocoError('usage.shell', `no completion for "${String(shell)}"`, 'use loco completion bash, zsh or fish');
    process.stdout.write(make(cli));
  };
}
