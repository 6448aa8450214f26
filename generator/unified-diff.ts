// Git-style unified diff text for reviewers (promotion pull requests, `loco diff`, `loco config upgrade`). Pure.
// Manifests are small, so a plain LCS table is enough; huge files degrade to
// "every line replaced" rather than using quadratic memory.

type Op = { kind: ' ' | '-' | '+'; line: string };

const MAX_CELLS = 4_000_000;

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function lineOps(a: string[], b: string[]): Op[] {
  // Trim the common head and tail first: most edits touch a few lines.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const head: Op[] = a.slice(0, start).map((line) => ({ kind: ' ', line }));
  const tail: Op[] = a.slice(endA).map((line) => ({ kind: ' ', line }));
  const x = a.slice(start, endA);
  const y = b.slice(start, endB);
  const n = x.length;
  const m = y.length;
  const middle: Op[] = [];
  if ((n + 1) * (m + 1) > MAX_CELLS) {
    for (const line of x) middle.push({ kind: '-', line });
    for (const line of y) middle.push({ kind: '+', line });
    return [...head, ...middle, ...tail];
  }
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = x[i] === y[j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { middle.push({ kind: ' ', line: x[i] }); i++; j++; }
    else if (i < n && (j === m || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])) { middle.push({ kind: '-', line: x[i] }); i++; }
    else { middle.push({ kind: '+', line: y[j] }); j++; }
  }
  return [...head, ...middle, ...tail];
}

/** Hunks of one file with `context` lines around each change ('' when equal). */
export function unifiedHunks(before: string, after: string, context = 3): string {
  const ops = lineOps(splitLines(before), splitLines(after));
  const changes = ops.map((op, index) => (op.kind === ' ' ? -1 : index)).filter((index) => index >= 0);
  if (changes.length === 0) return '';
  const out: string[] = [];
  let k = 0;
  while (k < changes.length) {
    const first = Math.max(0, changes[k] - context);
    let last = Math.min(ops.length - 1, changes[k] + context);
    while (k + 1 < changes.length && changes[k + 1] - context <= last + 1) {
      k++;
      last = Math.min(ops.length - 1, changes[k] + context);
    }
    k++;
    let oldStart = 1;
    let newStart = 1;
    for (let i = 0; i < first; i++) {
      if (ops[i].kind !== '+') oldStart++;
      if (ops[i].kind !== '-') newStart++;
    }
    const slice = ops.slice(first, last + 1);
    const oldCount = slice.filter((op) => op.kind !== '+').length;
    const newCount = slice.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${oldCount ? oldStart : oldStart - 1},${oldCount} +${newCount ? newStart : newStart - 1},${newCount} @@`);
    for (const op of slice) out.push(op.kind + op.line);
  }
  return out.join('\n') + '\n';
}

/** A `diff --git` section for one path; null content means the file does not exist there. */
export function fileDiff(path: string, before: string | null, after: string | null): string {
  const header = [`diff --git a/${path} b/${path}`];
  if (before === null) header.push('new file mode 100644');
  if (after === null) header.push('deleted file mode 100644');
  header.push(before === null ? '--- /dev/null' : `--- a/${path}`);
  header.push(after === null ? '+++ /dev/null' : `+++ b/${path}`);
  const hunks = unifiedHunks(before ?? '', after ?? '');
  return hunks ? `${header.join('\n')}\n${hunks}` : '';
}
