// Reading trees by path: the object at a path, the files under a prefix, and which paths
// differ between two trees. Equal subtree ids are skipped, so unchanged apps cost nothing.

import type { TreeEntry } from 'isomorphic-git';
import { readBlobBytes, readCommitHead, readTreeEntries } from './object-stage.ts';
import type { TreeStore } from './tree-edit.ts';

export interface PathObject {
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

function segmentsOf(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

async function entriesOf(store: TreeStore, tree: string): Promise<TreeEntry[]> {
  return readTreeEntries(store, tree);
}

export async function treeOfCommit(store: TreeStore, commit: string): Promise<string> {
  return (await readCommitHead(store, commit)).tree;
}

/** The object at `p` inside `tree` ('' is the tree itself), or null. */
export async function objectAtPath(store: TreeStore, tree: string, p: string): Promise<PathObject | null> {
  let current: PathObject = { oid: tree, type: 'tree' };
  for (const segment of segmentsOf(p)) {
    if (current.type !== 'tree') return null;
    const entry = (await entriesOf(store, current.oid)).find((e) => e.path === segment);
    if (!entry) return null;
    current = { oid: entry.oid, type: entry.type };
  }
  return current;
}

/** Every file under `prefix` (a directory with or without '/', or one file), full paths. */
export async function readFilesAt(store: TreeStore, tree: string, prefix: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const base = segmentsOf(prefix).join('/');
  const start = await objectAtPath(store, tree, base);
  if (!start) return files;
  const visit = async (obj: PathObject, at: string): Promise<void> => {
    if (obj.type === 'blob') {
      files.set(at, await readBlobBytes(store, obj.oid));
    } else if (obj.type === 'tree') {
      for (const e of await entriesOf(store, obj.oid)) await visit({ oid: e.oid, type: e.type }, at ? `${at}/${e.path}` : e.path);
    }
  };
  await visit(start, base);
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface PathChanges {
  added: Map<string, string>;
  removed: Map<string, string>;
  /** path → [old blob, new blob] */
  changed: Map<string, [string, string]>;
}

/** The files that differ between two trees under `prefix`, with their blob ids. */
export async function changedPaths(store: TreeStore, fromTree: string, toTree: string, prefix: string): Promise<PathChanges> {
  const out: PathChanges = { added: new Map(), removed: new Map(), changed: new Map() };
  const base = segmentsOf(prefix).join('/');
  const a = await objectAtPath(store, fromTree, base);
  const b = await objectAtPath(store, toTree, base);
  await compare(store, a, b, base, out);
  return out;
}

async function listBlobs(store: TreeStore, obj: PathObject, at: string, into: Map<string, string>): Promise<void> {
  if (obj.type === 'blob') into.set(at, obj.oid);
  else if (obj.type === 'tree') {
    for (const e of await entriesOf(store, obj.oid)) await listBlobs(store, { oid: e.oid, type: e.type }, at ? `${at}/${e.path}` : e.path, into);
  }
}

async function compare(store: TreeStore, a: PathObject | null, b: PathObject | null, at: string, out: PathChanges): Promise<void> {
  if (a?.oid === b?.oid && a?.type === b?.type) return;
  if (a?.type === 'blob' && b?.type === 'blob') {
    out.changed.set(at, [a.oid, b.oid]);
    return;
  }
  if (a?.type === 'tree' && b?.type === 'tree') {
    const left = new Map((await entriesOf(store, a.oid)).map((e) => [e.path, e]));
    const right = new Map((await entriesOf(store, b.oid)).map((e) => [e.path, e]));
    const names = [...new Set([...left.keys(), ...right.keys()])].sort();
    for (const name of names) {
      const l = left.get(name);
      const r = right.get(name);
      await compare(store, l ? { oid: l.oid, type: l.type } : null, r ? { oid: r.oid, type: r.type } : null, at ? `${at}/${name}` : name, out);
    }
    return;
  }
  // One side missing, or a file became a directory: whole removal plus whole addition.
  if (a) await listBlobs(store, a, at, out.removed);
  if (b) await listBlobs(store, b, at, out.added);
}

/** Whether any path of `scope` holds different objects in the two trees. */
export async function scopeDiffers(store: TreeStore, treeA: string, treeB: string, scope: string[]): Promise<boolean> {
  if (treeA === treeB) return false;
  for (const p of scope) {
    const [a, b] = await Promise.all([objectAtPath(store, treeA, p), objectAtPath(store, treeB, p)]);
    if (a?.oid !== b?.oid) return true;
  }
  return false;
}
