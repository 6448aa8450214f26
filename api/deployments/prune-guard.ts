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

export function resourceKeys(files: Map<string, string>): Set<string> {
  const keys = new Set<string>();
  for (const [path, text] of files) {
    if (!/\.ya?ml$/.test(path)) continue;
    for (const doc of parseAllDocuments(text)) {
      const value = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
      if (!value || typeof value.kind !== 'string' || NOT_RESOURCES.has(value.kind)) continue;
      if (typeof value.metadata?.name !== 'string') continue;
      keys.add(`${value.kind}/${value.metadata.name}`);
    }
  }
  return keys;
}

export function pruneVerdict(before: Map<string, string>, after: Map<string, string>): PruneVerdict {
  const old = resourceKeys(before);
  const now = resourceKeys(after);
  const removed = [...old].filter((k) => !now.has(k)).sort();
  const added = [...now].filter((k) => !old.has(k)).sort();
  const needsConfirmation = removed.length > 0 && (now.size === 0 || (removed.length >= MIN_REMOVED && removed.length > MARGIN * added.length));
  return { removed, added, needsConfirmation };
}
