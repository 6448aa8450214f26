// How the CLI prints data: `-o json` writes one stable JSON document; `-o table` writes aligned
// columns that fit the terminal. Colour comes from kleur, which already honours NO_COLOR,
// FORCE_COLOR and a non-TTY stdout.

import kleur from 'kleur';
import { LocoError } from '../generator/errors.ts';

export type OutputFormat = 'table' | 'json';

export function parseOutputFormat(value: unknown): OutputFormat {
  if (value === undefined || value === 'table' || value === 'text') return 'table';
  if (value === 'json') return 'json';
  throw new LocoError('usage.output', `-o ${String(value)} is not an output format`, 'use -o table or -o json');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | undefined | null;
  /** Colour a cell (the width is measured before colouring). */
  paint?: (text: string, row: T) => string;
}

/** Renders rows as aligned columns; the last column is cut to the terminal width on a TTY. */
export function formatTable<T>(rows: T[], columns: Column<T>[], width = process.stdout.isTTY ? process.stdout.columns : Infinity): string {
  const cells = rows.map((row) => columns.map((c) => String(c.value(row) ?? '')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[], paint: (text: string, i: number) => string) => {
    let used = 0;
    const parts = values.map((v, i) => {
      const last = i === values.length - 1;
      let text = last ? v : v.padEnd(widths[i]);
      if (last && used + text.length > width) text = text.slice(0, Math.max(0, width - used - 1)) + '…';
      used += text.length + 2;
      return paint(text, i);
    });
    return parts.join('  ').trimEnd();
  };
  const header = line(columns.map((c) => c.header.toUpperCase()), (t) => kleur.bold(t));
  const body = cells.map((values, r) => line(values, (t, i) => (columns[i].paint ? columns[i].paint!(t, rows[r]) : t)));
  return [header, ...body].join('\n');
}

export function printTable<T>(rows: T[], columns: Column<T>[], empty: string): void {
  if (rows.length === 0) {
    process.stdout.write(kleur.dim(empty) + '\n');
    return;
  }
  process.stdout.write(formatTable(rows, columns) + '\n');
}

/** Colours a deployment status or Argo CD health word by what it means. */
export function paintStatus(text: string): string {
  const word = text.trim().toLowerCase();
  if (['succeeded', 'healthy', 'synced', 'merged', 'approved'].includes(word)) return kleur.green(text);
  if (['failed', 'degraded', 'missing', 'outofsync', 'closed', 'superseded'].includes(word)) return kleur.red(text);
  if (['committed', 'unchanged'].includes(word)) return kleur.cyan(text);
  return kleur.yellow(text);
}

/** Key/value lines for a single object (`loco whoami`, `loco status`). */
export function printFields(fields: [string, string | undefined | null][]): void {
  const shown = fields.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(...shown.map(([k]) => k.length));
  for (const [k, v] of shown) process.stdout.write(`${kleur.dim(k.padEnd(width))}  ${v}\n`);
}

export function shortCommit(commit: string | undefined | null): string {
  return commit ? commit.slice(0, 7) : '';
}
