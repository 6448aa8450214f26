// Size limits on a loco.toml (and overrides.toml) text, checked before anything else looks at it.
// A real file has a few hundred keys a few levels deep; the limits sit far above that and far
// below what would cost a shared API seconds or gigabytes (a dotted key of 100,000 parts did).
// The text check runs before the TOML parser, the tree check on the parser's output before the
// locator and the validator, so both of those only ever see bounded input.

import { LocoError } from '../errors.ts';

export const CONFIG_LIMITS = {
  /** Bytes of the whole file (UTF-8). */
  fileBytes: 256 * 1024,
  /** Parts of a key path, counting tables: Profile.prod.Resources.Replicas.Max is 5. */
  keyDepth: 16,
  /** Keys in the whole file, tables included. */
  keys: 4096,
  /** Tables in the whole file, [sections], inline tables and [[array]] entries included. */
  tables: 512,
  /** Characters of one string value. */
  stringLength: 64 * 1024,
  /** Characters of one key part (an env variable name, a profile name …). */
  keyLength: 256,
} as const;

function tooLarge(file: string, what: string, limit: string, hint: string): LocoError {
  const message = `${file} is too large: ${what} (the limit is ${limit})`;
  return new LocoError('config.too-large', message, hint, { problems: [{ code: 'config.too-large', message, hint }] });
}

/**
 * A dotted key or header with more parts than this, counted on the text, is refused before the
 * TOML parser spends time on it (a 100,000-part key cost it 0.2 s). Far above `keyDepth`, so the
 * count can be rough: it counts every dot between a line's start and its first `=` or `]`.
 */
const TEXT_KEY_DOTS = 256;

/** Refuses a text past the byte limit, or with an absurdly dotted key, before the TOML parser reads it. */
export function checkTextLimits(text: string, file: string): void {
  // UTF-8 has at most 3 bytes per UTF-16 unit: only a text near the limit needs counting.
  if (text.length * 3 > CONFIG_LIMITS.fileBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > CONFIG_LIMITS.fileBytes) {
      throw tooLarge(file, `${bytes} bytes`, `${CONFIG_LIMITS.fileBytes} bytes`, 'keep loco.toml to the app\'s settings; put long values into a mounted file or a Secret');
    }
  }
  let dots = 0;
  let inKey = true;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      dots = 0;
      inKey = true;
      line++;
    } else if (!inKey) continue;
    else if (c === 61 || c === 93) inKey = false; // '=' or ']'
    else if (c === 46 && ++dots > TEXT_KEY_DOTS) {
      throw tooLarge(file, `the key on line ${line} has more than ${TEXT_KEY_DOTS} parts`, `${CONFIG_LIMITS.keyDepth} levels`, 'loco.toml keys are at most a few levels deep: check the dotted key or the section header');
    }
  }
}

function shortPath(path: readonly string[]): string {
  const shown = path.slice(0, 4).map((p) => (p.length > 40 ? `${p.slice(0, 40)}…` : p));
  return shown.join('.') + (path.length > 4 ? '.…' : '');
}

/**
 * Walks the parsed tree once, iteratively (a deep tree must not overflow the stack), and throws
 * at the first limit passed. Work stops at the limit, so the cost is bounded by the limits.
 */
export function checkTreeLimits(root: Record<string, unknown>, file: string): void {
  const L = CONFIG_LIMITS;
  let keys = 0;
  let tables = 0;
  const stack: Array<{ value: unknown; path: string[] }> = [{ value: root, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.length > L.stringLength) throw tooLarge(file, `the string at ${shortPath(path)} has ${value.length} characters`, `${L.stringLength}`, 'shorten the value; long content belongs in a mounted file or a Secret');
      continue;
    }
    if (typeof value !== 'object' || value === null || value instanceof Date) continue;
    const isArray = Array.isArray(value);
    if (!isArray && ++tables > L.tables) throw tooLarge(file, `more than ${L.tables} tables`, `${L.tables} tables`, 'a loco.toml describes one app: remove the tables it does not need');
    const entries: Array<[string, unknown]> = isArray ? value.map((v, n) => [String(n), v]) : Object.entries(value);
    if (isArray && entries.length > L.keys) throw tooLarge(file, `the array at ${shortPath(path)} has ${entries.length} items`, `${L.keys} items`, 'shorten the array');
    for (const [key, child] of entries) {
      if (!isArray) {
        if (++keys > L.keys) throw tooLarge(file, `more than ${L.keys} keys`, `${L.keys} keys`, 'a loco.toml describes one app: remove the keys it does not need');
        if (key.length > L.keyLength) throw tooLarge(file, `a key under ${shortPath(path) || 'the top level'} has ${key.length} characters`, `${L.keyLength} characters`, 'shorten the key');
      }
      const childPath = [...path, key];
      if (childPath.length > L.keyDepth) throw tooLarge(file, `the key ${shortPath(childPath)} is nested ${childPath.length} levels deep`, `${L.keyDepth} levels`, 'loco.toml keys are at most a few levels deep: check the dotted key or the section header');
      stack.push({ value: child, path: childPath });
    }
  }
}
