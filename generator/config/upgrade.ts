// `loco config upgrade`: a ConfigVersion "0.1" file rewritten in the current format with the
// same meaning — the 0.1 translation (versions/v0-1.ts) the reader itself uses, written out as
// TOML, so the upgraded file renders exactly what the old one did. smol-toml drops comments,
// so they are carried over by position: a comment above or after a 0.1 key goes with the key
// it became; comments on keys that have no counterpart are dropped (and counted).

import { stringify } from 'smol-toml';
import { locateKeys, pathId, type KeyPositions } from './locate.ts';
import { parseConfig, parseToml } from './parse.ts';
import { ProblemList } from './problems.ts';
import { CURRENT_VERSION } from './versions/version.ts';
import { translateV01 } from './versions/v0-1.ts';

export interface Upgrade {
  /** The file in the current format (the input itself when it is current already). */
  text: string;
  /** False when the file was in the current format already. */
  changed: boolean;
  /** Comments that had no key to go with in the upgraded file. */
  droppedComments: number;
  /** What the user should know: keys the 0.1 reader ignored, the region picked by default. */
  notes: string[];
}

export function upgradeConfig(text: string, file = 'loco.toml'): Upgrade {
  const config = parseConfig(text, file); // refuses a broken file with every problem, as validate does
  if (config.version !== '0.1') return { text, changed: false, droppedComments: 0, notes: [] };
  const positions = locateKeys(text);
  const raw = translateV01(parseToml(text, file), positions, new ProblemList(file, positions), new ProblemList(file, positions)).raw;
  raw.Metadata = { ConfigVersion: CURRENT_VERSION, ...raw.Metadata };
  const notes = (config.warnings ?? []).map((w) => `${w.at ? `${w.at.line}:${w.at.column} ` : ""}${w.message} — left out`);
  const header: string[] = [];
  if (config.defaultProfile) {
    header.push(`# Metadata.Region picked profile ${config.defaultProfile} when no --profile was given; name it now (loco deploy --profile ${config.defaultProfile}).`);
    notes.push(`Metadata.Region made ${config.defaultProfile} the default profile; the current format has none, so pass --profile ${config.defaultProfile}`);
  }
  const { lines, dropped } = withComments(text, stringify(raw).split('\n'), positions);
  const first = lines.findIndex((line) => line.startsWith('['));
  lines.splice(first, 0, ...header);
  return { text: lines.join('\n').replace(/\n*$/, '\n'), changed: true, droppedComments: dropped, notes };
}

/** A line's trailing comment ("# …" outside quotes), or undefined. */
function trailingComment(line: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(i);
  }
  return undefined;
}

const isCommentLine = (line: string) => /^\s*#/.test(line);

function withComments(original: string, output: string[], positions: KeyPositions): { lines: string[]; dropped: number } {
  const source = original.split('\n');
  const used = new Set<number>(); // 0-based source lines whose comments were placed
  const lines: string[] = [];
  // The file's opening comments (before its first key or table) stay at the top.
  let top = 0;
  while (top < source.length && (isCommentLine(source[top]) || source[top].trim() === '')) {
    if (isCommentLine(source[top])) {
      lines.push(source[top].trim());
      used.add(top);
    }
    top++;
  }
  if (lines.length) lines.push('');
  const lowered = new Map([...positions].map(([id, at]) => [id.toLowerCase(), at]));
  const lineOf = (path: string[]) => (positions.get(pathId(path)) ?? lowered.get(pathId(path).toLowerCase()))?.line;

  let table: string[] = [];
  for (const out of output) {
    const header = /^\[([^\]]+)\]$/.exec(out);
    const key = header ? undefined : /^("[^"]*"|[A-Za-z0-9_-]+)\s*=/.exec(out);
    if (header) table = header[1].split('.').map((k) => k.replace(/^"|"$/g, ''));
    const path = header ? table : key ? [...table, key[1].replace(/^"|"$/g, '')] : undefined;
    const at = path ? lineOf(path) : undefined;
    if (at === undefined || used.has(at - 1)) {
      lines.push(out);
      continue;
    }
    const above: string[] = [];
    for (let i = at - 2; i >= 0 && isCommentLine(source[i]) && !used.has(i); i--) {
      above.unshift(source[i].trim());
      used.add(i);
    }
    used.add(at - 1);
    const trailing = trailingComment(source[at - 1]);
    lines.push(...above, trailing ? `${out} ${trailing}` : out);
  }
  const dropped = source.filter((line, i) => !used.has(i) && (isCommentLine(line) || trailingComment(line) !== undefined)).length;
  return { lines, dropped };
}
