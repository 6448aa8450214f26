// Reads a loco 0.1 table the way the Go reader did: keys match case-insensitively and come out
// in their canonical spelling; a key the old reader did not know is a warning (it ignored
// them, and real files carry stale ones), with "did you mean" when a known key is close.

import { pathId, type KeyPositions } from '../locate.ts';
import { closest, type ProblemList } from '../problems.ts';
import { isTable } from '../walk.ts';
import { oldKeys, type OldKeys } from './v0-1-keys.ts';

/** The file's values under canonical 0.1 keys, and where each canonical path was written. */
export interface OldTable {
  values: Record<string, any>;
  /** Canonical path id → raw path as written. */
  written: Map<string, string[]>;
}

export function readOldKeys(raw: Record<string, unknown>, warnings: ProblemList): OldTable {
  const written = new Map<string, string[]>();
  const values = walk(raw, oldKeys, [], [], written, warnings);
  return { values, written };
}

function walk(raw: Record<string, unknown>, keys: OldKeys, rawPath: string[], canonPath: string[], written: Map<string, string[]>, warnings: ProblemList): Record<string, any> {
  const out: Record<string, any> = {};
  const names = Object.keys(keys);
  for (const [key, value] of Object.entries(raw)) {
    const at = [...rawPath, key];
    const canon = names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (!canon) {
      const where = [...canonPath, key].join('.');
      const near = closest(key, names);
      warnings.add('config.unknown-key', at, where, `${where} is not a key of loco.toml 0.1 and is ignored`,
        near ? `did you mean ${[...canonPath, near].join('.')}?` : `known keys here: ${names.join(', ')}; remove it, or run loco config upgrade`);
      continue;
    }
    const shape = keys[canon];
    const path = [...canonPath, canon];
    written.set(pathId(path), at);
    if (shape === 'value') out[canon] = value;
    else if (!isTable(value)) out[canon] = value; // a wrong shape is reported by the current reader
    else if ('map' in shape && !isTable(shape.map) && typeof shape.map === 'string') out[canon] = { ...value };
    else if ('map' in shape) {
      const entries: Record<string, any> = {};
      for (const [name, body] of Object.entries(value)) {
        written.set(pathId([...path, name]), [...at, name]);
        entries[name] = isTable(body) ? walk(body, shape.map as OldKeys, [...at, name], [...path, name], written, warnings) : body;
      }
      out[canon] = entries;
    } else out[canon] = merge(out[canon], walk(value, shape as OldKeys, at, path, written, warnings));
  }
  return out;
}

/** The same table in two spellings ([obs.logging] next to [Obs.Tracing]) merges. */
function merge(earlier: unknown, later: Record<string, any>): Record<string, any> {
  if (!isTable(earlier)) return later;
  const out: Record<string, any> = { ...earlier };
  for (const [k, v] of Object.entries(later)) out[k] = isTable(v) && isTable(out[k]) ? merge(out[k], v) : v;
  return out;
}

/** Gives the canonical current-format paths the positions of the 0.1 keys they came from. */
export function alias(positions: KeyPositions, written: Map<string, string[]>, from: string[], to: string[]): void {
  const raw = written.get(pathId(from));
  if (!raw) return;
  const found = positions.get(pathId(raw));
  if (found && !positions.has(pathId(to))) positions.set(pathId(to), found);
}
