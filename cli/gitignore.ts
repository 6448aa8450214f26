// A .gitignore read as a .dockerignore, for builds of a folder that has no .dockerignore (the
// seeds: "honour .gitignore when no .dockerignore exists"). The two syntaxes differ: a gitignore
// pattern without a slash matches at any depth, a dockerignore pattern is anchored at the
// context's root. Pure: text in, text out.

/**
 * Translates gitignore patterns to dockerignore patterns, keeping their order (the last match
 * wins in both). `.git` is always left out: git never ships its own folder. Limits: only this one
 * file (not nested .gitignore files); a trailing `/` (directories only) matches files of that
 * name too, which can only leave out more, never less.
 */
export function dockerignoreFromGitignore(text: string): string {
  const out = ['# from .gitignore (loco deploy: there is no .dockerignore)', '.git'];
  for (const raw of text.split(/\r?\n/)) {
    // trailing spaces are dropped unless escaped with a backslash, as git does
    let line = raw.replace(/(?<!\\)\s+$/, '');
    if (!line || line.startsWith('#')) continue;
    let negate = '';
    if (line.startsWith('!')) {
      negate = '!';
      line = line.slice(1);
    } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
      line = line.slice(1);
    }
    line = line.replace(/\/+$/, '');
    if (!line) continue;
    // a slash at the start or in the middle anchors the pattern at the root; none: any depth
    const anchored = line.includes('/');
    line = line.replace(/^\/+/, '');
    out.push(`${negate}${anchored || line.startsWith('**/') ? line : `**/${line}`}`);
  }
  return `${out.join('\n')}\n`;
}
