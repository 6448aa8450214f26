// Guard rail (DESIGN.md): Argo CD prunes automatically, so a commit that deletes far more
// Kubernetes resources than it adds would carry straight into the cluster. Such a change is
// refused unless the request confirms the prune. Pure: compares two file trees.

import { parseAllDocuments } from 'yaml';

export interface PruneVerdict {
  removed: string[];
  added: string[];
  /** True when the change removes resources by a wide margin and needs confirmPrune. */
  needsConfirmation: boolean;
}

/** Removing at least this many resources, and more than this factor times what is added, needs confirmation. */
const MIN_REMOVED = 3;
const MARGIN = 2;
const NOT_RESOURCES = new Set(['Kustomization', 'Component']);

/** `kind/name` of every Kubernetes resource the YAML files hold (Kustomize's own files left out). */
export function resourceKeys(files: Map<string, string>): Set<string> {
  const keys = new Set<string>();
  for (const [path, text] of files) {
    if (!/\.ya?ml$/.test(path)) continue;
    for (const key of scannedKeys(text) ?? parsedKeys(text)) keys.add(key);
  }
  return keys;
}

function parsedKeys(text: string): string[] {
  const keys: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    const value = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null;
    if (!value || typeof value.kind !== 'string' || NOT_RESOURCES.has(value.kind)) continue;
    if (typeof value.metadata?.name !== 'string') continue;
    keys.push(`${value.kind}/${value.metadata.name}`);
  }
  return keys;
}

/** A plain scalar the way generator/render/yaml.ts writes names and kinds: nothing YAML would read as more than the text. */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The keys of block-style YAML as Loco's emitter writes it (top-level `kind: X`, `metadata:`
 * then `  name: Y`), read line by line instead of building every document: the prune guard
 * runs on every deploy commit, and full parses were most of its cost. Anything else (flow
 * style, quoting, anchors, tags, directives) returns undefined and is parsed in full.
 */
function scannedKeys(text: string): string[] | undefined {
  const keys: string[] = [];
  for (const doc of text.split(/^---[ \t]*$/m)) {
    let kind: string | undefined;
    let name: string | undefined;
    let inMetadata = false;
    for (const line of doc.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      if (line.startsWith('%') || line.startsWith('...')) return undefined;
      if (line[0] !== ' ') {
        inMetadata = false;
        if (line.startsWith('kind:')) {
          kind = plainValue(line.slice(5));
          if (kind === undefined) return undefined;
        } else if (line.startsWith('metadata:')) {
          if (line.slice(9).trim() !== '') return undefined; // metadata: {…} or an alias
          inMetadata = true;
        } else if (!/^[A-Za-z][A-Za-z0-9_-]*:( |$)/.test(line)) {
          return undefined; // a key the scan does not understand: quoted, complex, a sequence at the top
        }
      } else if (inMetadata && line.startsWith('  name:')) {
        name = plainValue(line.slice(7));
        if (name === undefined) return undefined;
      }
    }
    if (kind === undefined || NOT_RESOURCES.has(kind)) continue;
    if (name === undefined) return undefined; // a resource whose name the scan did not find: let the parser decide
    keys.push(`${kind}/${name}`);
  }
  return keys;
}

function plainValue(rest: string): string | undefined {
  const value = rest.trim();
  return PLAIN.test(value) && !/^(true|false|null|~|[-+]?[0-9][0-9_.eE+-]*)$/i.test(value) ? value : undefined;
}

export function pruneVerdict(before: Map<string, string>, after: Map<string, string>): PruneVerdict {
  const old = resourceKeys(before);
  const now = resourceKeys(after);
  const removed = [...old].filter((k) => !now.has(k)).sort();
  const added = [...now].filter((k) => !old.has(k)).sort();
  const needsConfirmation = removed.length > 0 && (now.size === 0 || (removed.length >= MIN_REMOVED && removed.length > MARGIN * added.length));
  return { removed, added, needsConfirmation };
}
