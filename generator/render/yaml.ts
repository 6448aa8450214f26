// YAML text of rendered objects. Keys keep the order the renderers build them in (apiVersion,
// kind, metadata, spec …), so output is stable; no line folding, so diffs stay one line per value.

import { stringify } from 'yaml';

export function toYaml(doc: unknown): string {
  return stringify(doc, { lineWidth: 0, sortMapEntries: false, aliasDuplicateObjects: false });
}

/** Several objects in one file, separated by `---`. */
export function toYamlDocuments(docs: unknown[]): string {
  return docs.map(toYaml).join('---\n');
}
