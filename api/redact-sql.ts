// What a traced query's text may show. MikroORM inlines parameter values into the SQL it sends
// (`where hash = 'ab12…'`, `insert into users … values ('ann@example.com', …)`), so the text the
// pg instrumentation records would carry token hashes, e-mail addresses and loco.toml values to
// the trace backend. The statement's shape is what a trace reader needs: literals become `?`.

// E'…' (backslash escapes) first, then standard '…' ('' is an escaped quote in both). The E must
// start a token, or `type='x'` would lose its last letter.
const STRING_LITERAL = /(?<![\w$])[Ee]'(?:[^'\\]|\\[\s\S]|'')*'|'(?:[^']|'')*'/g;

/** `select … where id = 'x' and n = 2` → `select … where id = ? and n = 2` (numbers carry no personal data). */
export function redactSqlLiterals(text: string): string {
  return text.replace(STRING_LITERAL, '?');
}
