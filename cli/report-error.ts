// Prints an error the way a developer can act on: what went wrong, every problem with its
// file:line:column, and the command that fixes it. Unexpected errors say where the details are.

import kleur from 'kleur';
import { isLocoError, type LocoError, type ProblemDetail } from '../generator/errors.ts';

/** `loco.toml:12:3 Resources.Memroy: unknown key (did you mean Memory?)` */
export function formatProblem(p: ProblemDetail, file?: string): string {
  const at = p.at ? `${p.at.file ?? file ?? 'loco.toml'}:${p.at.line}:${p.at.column} ` : file ? `${file} ` : '';
  // The generator's messages usually start with the key path already.
  const path = p.path && !p.message.startsWith(p.path) ? `${p.path}: ` : '';
  const hint = p.hint ? ` (${p.hint})` : '';
  return `${at}${path}${p.message}${hint}`;
}

export function formatError(error: LocoError): string {
  const lines: string[] = [];
  if (error.problems?.length) {
    const n = error.problems.length;
    const file = error.problems[0].at?.file;
    lines.push(kleur.red().bold('error: ') + (file ? `${file} has ${n === 1 ? 'a problem' : `${n} problems`}:` : error.message));
    for (const p of error.problems) lines.push('  ' + formatProblem(p));
  } else {
    const at = error.at ? `${error.at.file ?? 'loco.toml'}:${error.at.line}:${error.at.column} ` : '';
    lines.push(kleur.red().bold('error: ') + at + error.message);
  }
  const requestId = error.data?.requestId;
  if (requestId) lines.push(kleur.dim(`request id: ${String(requestId)}`));
  if (error.hint) lines.push(kleur.yellow('hint: ') + error.hint);
  return lines.join('\n');
}

/** The JSON form of an error for `-o json` (stable keys, no stack). */
export function errorJson(error: unknown): Record<string, unknown> {
  if (isLocoError(error)) {
    return {
      error: {
        code: error.code,
        message: error.message,
        hint: error.hint,
        ...(error.at ? { at: error.at } : {}),
        ...(error.problems ? { problems: error.problems } : {}),
        ...(error.data ? { data: error.data } : {}),
      },
    };
  }
  return { error: { code: 'internal.error', message: error instanceof Error ? error.message : String(error), hint: 'run again with --debug and report the log' } };
}
