// Collects validation problems with the file, line and column of the key they are about, so a
// user sees every problem of a file at once, each pointing at its line.

import type { ProblemDetail } from '../errors.ts';
import { pathId, type KeyPositions } from './locate.ts';

export class ProblemList {
  readonly items: ProblemDetail[] = [];
  readonly file: string;
  readonly positions: KeyPositions;

  constructor(file: string, positions: KeyPositions) {
    this.file = file;
    this.positions = positions;
  }

  /** `rawPath` locates the problem (keys as written); `path` names it (canonical keys). */
  add(code: string, rawPath: readonly string[], path: string, message: string, hint: string): void {
    const at = this.locate(rawPath);
    this.items.push({ code, message, hint, path, at: { file: this.file, ...at } });
  }

  /** Position of the key, or of the nearest enclosing key or table that is written down. */
  locate(rawPath: readonly string[]): { line: number; column: number } {
    for (let n = rawPath.length; n > 0; n--) {
      const found = this.positions.get(pathId(rawPath.slice(0, n)));
      if (found) return found;
    }
    return { line: 1, column: 1 };
  }

  sorted(): ProblemDetail[] {
    return [...this.items].sort((a, b) => (a.at!.line - b.at!.line) || (a.at!.column - b.at!.column) || a.message.localeCompare(b.message));
  }
}

/** Edit distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const temp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = temp;
    }
  }
  return prev[b.length];
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
