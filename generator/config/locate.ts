// Where each key of a TOML text sits (line and column, 1-based). smol-toml reports positions
// only for syntax errors, so validation finds keys here to point at the offending line. The
// scanner runs on text smol-toml already accepted, so it only has to be right for valid TOML.

export interface KeyPosition {
  line: number;
  column: number;
}

/** Path of raw keys (as written, unquoted) joined with NUL → position of the key's first char. */
export type KeyPositions = Map<string, KeyPosition>;

export function pathId(path: readonly string[]): string {
  return path.join('\u0000');
}

/**
 * locateKeys(text), run on first use. Only a problem or a warning needs a key's line and column,
 * and most files that reach the API have neither: the scan was a sixth of the CPU of checking a
 * deploy's loco.toml (and a deploy checks its file before its 202).
 */
export function lazyKeyPositions(text: string): KeyPositions {
  return new LazyKeyPositions(text);
}

/** A KeyPositions map that scans its text the first time anything reads or changes it. */
class LazyKeyPositions extends Map<string, KeyPosition> {
  #text: string | undefined;

  constructor(text: string) {
    super();
    this.#text = text;
  }

  #fill(): void {
    const text = this.#text;
    if (text === undefined) return;
    this.#text = undefined;
    for (const [id, at] of locateKeys(text)) super.set(id, at);
  }

  override get(id: string): KeyPosition | undefined {
    this.#fill();
    return super.get(id);
  }

  override has(id: string): boolean {
    this.#fill();
    return super.has(id);
  }

  override set(id: string, at: KeyPosition): this {
    this.#fill();
    return super.set(id, at);
  }

  override delete(id: string): boolean {
    this.#fill();
    return super.delete(id);
  }

  override clear(): void {
    this.#text = undefined;
    super.clear();
  }

  override get size(): number {
    this.#fill();
    return super.size;
  }

  override forEach(callback: (value: KeyPosition, key: string, map: Map<string, KeyPosition>) => void, thisArg?: unknown): void {
    this.#fill();
    super.forEach(callback, thisArg);
  }

  override entries(): MapIterator<[string, KeyPosition]> {
    this.#fill();
    return super.entries();
  }

  override keys(): MapIterator<string> {
    this.#fill();
    return super.keys();
  }

  override values(): MapIterator<KeyPosition> {
    this.#fill();
    return super.values();
  }

  override [Symbol.iterator](): MapIterator<[string, KeyPosition]> {
    return this.entries();
  }
}

export function locateKeys(text: string): KeyPositions {
  const positions: KeyPositions = new Map();
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let table: string[] = [];

  const pos = (at: number): KeyPosition => ({ line, column: at - lineStart + 1 });
  const record = (id: string, at: number) => {
    if (!positions.has(id)) positions.set(id, pos(at));
  };
  const newline = () => {
    line++;
    lineStart = i + 1;
  };
  const skipSpace = (multiline: boolean) => {
    for (;;) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\r') i++;
      else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
      else if (multiline && c === '\n') {
        newline();
        i++;
      } else return;
    }
  };
  const readKeyPart = (): string => {
    const c = text[i];
    if (c === '"' || c === "'") {
      const quote = c;
      let out = '';
      i++;
      while (i < text.length && text[i] !== quote) {
        if (quote === '"' && text[i] === '\\') {
          out += text[i + 1] ?? '';
          i += 2;
        } else out += text[i++];
      }
      i++;
      return out;
    }
    const start = i;
    while (i < text.length && /[A-Za-z0-9_-]/.test(text[i])) i++;
    return text.slice(start, i);
  };
  /** Reads a dotted key, recording each prefix; returns the full path. */
  const readKey = (prefix: string[]): string[] => {
    const path = [...prefix];
    // Each prefix's id extends the last one: joining the whole path per part was quadratic.
    let id = pathId(prefix);
    for (;;) {
      skipSpace(false);
      const at = i;
      const part = readKeyPart();
      path.push(part);
      id = path.length === 1 ? part : `${id}\u0000${part}`;
      record(id, at);
      skipSpace(false);
      if (text[i] !== '.') return path;
      i++;
    }
  };
  const skipString = () => {
    const quote = text[i];
    const triple = text.startsWith(quote.repeat(3), i);
    i += triple ? 3 : 1;
    while (i < text.length) {
      const c = text[i];
      if (quote === '"' && c === '\\') {
        if (text[i + 1] === '\n') newline();
        i += 2;
        continue;
      }
      if (c === '\n') newline();
      if (triple ? text.startsWith(quote.repeat(3), i) : c === quote) {
        i += triple ? 3 : 1;
        // A triple-quoted string may end with up to two extra quotes.
        while (triple && text[i] === quote) i++;
        return;
      }
      i++;
    }
  };
  const readValue = (path: string[]) => {
    skipSpace(false);
    const c = text[i];
    if (c === '"' || c === "'") return skipString();
    if (c === '[') {
      i++;
      let index = 0;
      for (;;) {
        skipSpace(true);
        if (text[i] === ']' || i >= text.length) {
          i++;
          return;
        }
        const before = i;
        readValue([...path, String(index++)]);
        skipSpace(true);
        if (text[i] === ',') i++;
        else if (i === before) i++;
      }
    }
    if (c === '{') {
      i++;
      for (;;) {
        skipSpace(false);
        if (text[i] === '}' || i >= text.length) {
          i++;
          return;
        }
        const before = i;
        const key = readKey(path);
        skipSpace(false);
        i++; // '='
        readValue(key);
        skipSpace(false);
        if (text[i] === ',') i++;
        else if (i === before) i++;
      }
    }
    while (i < text.length && !/[,\]}\n#]/.test(text[i])) i++;
  };

  while (i < text.length) {
    const before = i;
    skipSpace(false);
    const c = text[i];
    if (c === '\n') {
      newline();
      i++;
    } else if (c === '[') {
      const isArray = text[i + 1] === '[';
      i += isArray ? 2 : 1;
      table = readKey([]);
      skipSpace(false);
      i += isArray ? 2 : 1;
    } else if (i < text.length) {
      const key = readKey(table);
      skipSpace(false);
      i++; // '='
      readValue(key);
    }
    if (i === before) i++; // never loop on text the scanner does not understand
  }
  return positions;
}
