// TOML syntax errors in plain words. smol-toml words its errors for TOML implementers
// ("control characters are not allowed in strings" for a string whose closing quote is
// missing); this looks at the line it points to and says what the user has to fix.

import type { TomlError } from 'smol-toml';

export interface PlainSyntaxError {
  message: string;
  hint: string;
  line: number;
  column: number;
}

/** Column (1-based) of a quote that opens a one-line string left unclosed on `line`, if any. */
function unclosedQuote(line: string): number | undefined {
  let open: { quote: string; at: number } | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (open) {
      if (open.quote === '"' && c === '\\') i++;
      else if (c === open.quote) open = undefined;
    } else if (c === '#') break;
    else if (c === '"' || c === "'") {
      if (line.startsWith(c.repeat(3), i)) return undefined; // multi-line strings span lines by design
      open = { quote: c, at: i };
    }
  }
  return open ? open.at + 1 : undefined;
}

export function plainSyntaxError(text: string, error: TomlError): PlainSyntaxError {
  const lines = text.split('\n');
  const line = lines[error.line - 1] ?? '';
  const detail = error.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
  const quoteAt = unclosedQuote(line.replace(/\r$/, ''));
  if (quoteAt !== undefined) {
    const quote = line[quoteAt - 1];
    return { line: error.line, column: quoteAt, message: `the string that starts at line ${error.line}, column ${quoteAt} has no closing quote`, hint: `add the closing ${quote} before the end of line ${error.line}` };
  }
  if (/redefine|already defined/.test(detail)) {
    return { line: error.line, column: error.column, message: `a key or table is written twice (line ${error.line}, column ${error.column})`, hint: 'keep one of them: TOML allows each key and [section] once' };
  }
  if (detail === 'invalid value' || /unexpected end/.test(detail)) {
    return { line: error.line, column: error.column, message: `the value at line ${error.line}, column ${error.column} is not valid TOML`, hint: 'write text in quotes ("…"), numbers and true/false without quotes, lists as [ … ]' };
  }
  if (/key/.test(detail)) {
    return { line: error.line, column: error.column, message: `the key at line ${error.line}, column ${error.column} is not valid: ${detail}`, hint: 'a key is letters, digits, "_" and "-" (or quoted), then "=" and a value; a section is [Name]' };
  }
  return { line: error.line, column: error.column, message: `line ${error.line}, column ${error.column}: ${detail}`, hint: 'fix the TOML syntax at that position' };
}
