// YAML text of rendered objects. Keys keep the order the renderers build them in (apiVersion,
// kind, metadata, spec …), so output is stable; no line folding, so diffs stay one line per value.
//
// A small emitter for what renderers build (plain objects, arrays, strings, numbers, booleans,
// null), written because the `yaml` package was 72 of the 135 modules `loco render` loaded and
// 63 % of its render time. Its output is byte for byte what `yaml`'s stringify (2.x, lineWidth 0,
// no sorting, no aliases) writes: the quoting rules below follow its stringifyString, and
// test/generator/yaml-emit.test.ts compares the two on generated values besides the goldens.

const STEP = '  ';

/** Plain scalars the YAML 1.2 core schema would read as something else than a string. */
const NOT_STRINGS = [
  /^(?:~|[Nn]ull|NULL)?$/, /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, /^0o[0-7]+$/, /^[-+]?[0-9]+$/, /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];
// A plain scalar may not start with an indicator, hold ": " or " #", or end in a space or colon.
const PLAIN_UNSAFE = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const NEEDS_ESCAPES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
// Most rendered strings are names, keys, paths and image references: a letter, then word
// characters, dots, slashes and dashes. Such a string is plain unless it is a boolean or null
// word; one test instead of the ten below (a short CLI run executes them cold).
const SIMPLE = /^[A-Za-z][\w./-]*$/;
const WORDS = new Set(['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL']);
const DOUBLE_QUOTED_MULTILINE_MIN = 40;

interface Context {
  indent: string;
  /** A mapping key (single line, no block scalars). */
  key: boolean;
}

const hasDocumentMarker = (s: string) => /^(%|---|\.\.\.)/m.test(s);

const SHORT_ESCAPES: Record<string, string> = {
  '0000': '\\0', '0007': '\\a', '000b': '\\v', '001b': '\\e', '0085': '\\N', '00a0': '\\_', '2028': '\\L', '2029': '\\P',
};

function doubleQuoted(value: string, ctx: Context): string {
  const json = JSON.stringify(value);
  const indent = ctx.indent || (hasDocumentMarker(value) ? STEP : '');
  let str = '';
  let start = 0;
  for (let i = 0, ch = json[i]; ch; ch = json[++i]) {
    if (ch === ' ' && json[i + 1] === '\\' && json[i + 2] === 'n') {
      // a space before a line break is escaped so a reader does not fold it away
      str += json.slice(start, i) + '\\ ';
      i += 1;
      start = i;
      ch = '\\';
    }
    if (ch !== '\\') continue;
    if (json[i + 1] === 'u') {
      str += json.slice(start, i);
      const code = json.substr(i + 2, 4);
      str += SHORT_ESCAPES[code] ?? (code.startsWith('00') ? `\\x${code.slice(2)}` : json.substr(i, 6));
      i += 5;
      start = i + 1;
    } else if (json[i + 1] === 'n') {
      if (ctx.key || json[i + 2] === '"' || json.length < DOUBLE_QUOTED_MULTILINE_MIN) {
        i += 1;
      } else {
        // a line break written as one: the first newline of a double-quoted line is folded away
        str += json.slice(start, i) + '\n\n';
        while (json[i + 2] === '\\' && json[i + 3] === 'n' && json[i + 4] !== '"') {
          str += '\n';
          i += 2;
        }
        str += indent;
        if (json[i + 2] === ' ') str += '\\';
        i += 1;
        start = i + 1;
      }
    } else {
      i += 1;
    }
  }
  return start ? str + json.slice(start) : json;
}

function singleQuoted(value: string, ctx: Context): string {
  if ((ctx.key && value.includes('\n')) || /[ \t]\n|\n[ \t]/.test(value)) return doubleQuoted(value, ctx);
  const indent = ctx.indent || (hasDocumentMarker(value) ? STEP : '');
  return "'" + value.replace(/'/g, "''").replace(/\n+/g, `$&\n${indent}`) + "'";
}

function quoted(value: string, ctx: Context): string {
  const hasDouble = value.includes('"');
  const hasSingle = value.includes("'");
  return hasDouble && !hasSingle ? singleQuoted(value, ctx) : doubleQuoted(value, ctx);
}

const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;

/** A literal block scalar (`|`, `|-`, `|+`) for a multi-line value. */
function literalBlock(input: string, ctx: Context): string {
  let value = input;
  if (/\n[\t ]+$/.test(value)) return quoted(value, ctx);
  const indent = ctx.indent || (hasDocumentMarker(value) ? STEP : '');
  let endStart = value.length;
  while (endStart > 0 && '\n\t '.includes(value[endStart - 1])) endStart--;
  let end = value.substring(endStart);
  const endNl = end.indexOf('\n');
  const chomp = endNl === -1 ? '-' : value === end || endNl !== end.length - 1 ? '+' : '';
  if (end) {
    value = value.slice(0, -end.length);
    if (end.endsWith('\n')) end = end.slice(0, -1);
    end = end.replace(BLOCK_END_NEWLINES, `$&${indent}`);
  }
  let startWithSpace = false;
  let startEnd = 0;
  let startNl = -1;
  for (; startEnd < value.length; ++startEnd) {
    const ch = value[startEnd];
    if (ch === ' ') startWithSpace = true;
    else if (ch === '\n') startNl = startEnd;
    else break;
  }
  let start = value.substring(0, startNl < startEnd ? startNl + 1 : startEnd);
  if (start) {
    value = value.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = (startWithSpace ? (indent ? '2' : '1') : '') + chomp;
  return `|${header}\n${indent}${start}${value.replace(/\n+/g, `$&${indent}`)}${end}`;
}

function plain(value: string, ctx: Context): string {
  if (ctx.key && value.includes('\n')) return quoted(value, ctx);
  if (PLAIN_UNSAFE.test(value)) return ctx.key || !value.includes('\n') ? quoted(value, ctx) : literalBlock(value, ctx);
  if (!ctx.key && value.includes('\n')) return literalBlock(value, ctx);
  // renderers emit maps, so a scalar's indent is never empty (the root-scalar case of `yaml` is not needed)
  if (hasDocumentMarker(value) && ctx.key && ctx.indent === STEP) return quoted(value, ctx);
  if (NOT_STRINGS.some((re) => re.test(value))) return quoted(value, ctx);
  return value;
}

function scalarString(value: string, ctx: Context): string {
  if (SIMPLE.test(value) && !WORDS.has(value)) return value;
  return NEEDS_ESCAPES.test(value) ? doubleQuoted(value, ctx) : plain(value, ctx);
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? '.nan' : n < 0 ? '-.inf' : '.inf';
  return Object.is(n, -0) ? '-0' : JSON.stringify(n);
}

const isCollection = (v: unknown): v is object => typeof v === 'object' && v !== null;
const isEmpty = (v: object) => (Array.isArray(v) ? v.length === 0 : Object.values(v).every((x) => x === undefined));

function node(value: unknown, ctx: Context): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': return scalarString(value, ctx);
    case 'number': return numberText(value);
    case 'boolean': return value ? 'true' : 'false';
    case 'object': return Array.isArray(value) ? sequence(value, ctx.indent) : mapping(value as Record<string, unknown>, ctx.indent);
    default: throw new Error(`cannot write a ${typeof value} as YAML`);
  }
}

function sequence(items: unknown[], indent: string): string {
  if (items.length === 0) return '[]';
  const itemCtx: Context = { indent: indent + STEP, key: false };
  return items.map((item) => {
    if (item === undefined) throw new Error('cannot write undefined in a YAML sequence');
    return `- ${node(item, itemCtx)}`;
  }).join(`\n${indent}`);
}

function pair(key: string, value: unknown, indent: string): string {
  const inner = indent + STEP;
  const keyText = scalarString(key, { indent: inner, key: true });
  // `yaml` writes a key longer than 1,024 characters as an explicit key (`? key` then `: value`)
  const explicit = keyText.length > 1024;
  const head = explicit ? `? ${keyText}\n${indent}:` : `${keyText}:`;
  const text = node(value, { indent: inner, key: false });
  if (!explicit && isCollection(value) && !isEmpty(value)) return `${head}\n${inner}${text}`;
  return `${head} ${text}`;
}

function mapping(map: Record<string, unknown>, indent: string): string {
  if (Object.getPrototypeOf(map) !== Object.prototype && Object.getPrototypeOf(map) !== null) {
    throw new Error(`cannot write a ${map.constructor?.name ?? 'non-plain'} object as YAML`);
  }
  const lines: string[] = [];
  for (const [key, value] of Object.entries(map)) if (value !== undefined) lines.push(pair(key, value, indent));
  return lines.length === 0 ? '{}' : lines.join(`\n${indent}`);
}

export function toYaml(doc: unknown): string {
  if (!isCollection(doc)) throw new Error('a rendered YAML document is a mapping or a sequence');
  return `${node(doc, { indent: '', key: false })}\n`;
}

/** Several objects in one file, separated by `---`. */
export function toYamlDocuments(docs: unknown[]): string {
  return docs.map(toYaml).join('---\n');
}
