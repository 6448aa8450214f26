// Builds the tree of a change from the head tree, reading and writing only the subtrees on the
// changed paths: the cost of a commit follows the size of the change, not of the repository.

import { createHash } from 'node:crypto';
import type { TreeEntry } from 'isomorphic-git';
import { readTreeEntries, writeBlobObject, writeTreeObject, type ObjectStore } from './object-stage.ts';

export interface TreeEdit {
  /** 'dir/' owns a whole directory, 'a/b' one file (see ChangeRequest.scope). */
  scope: string[];
  files: Map<string, string | Uint8Array>;
}

interface EditNode {
  /** Everything under this directory is owned: old entries not named in files go away. */
  owned: boolean;
  /** undefined: not a file edit; null: delete the file; bytes: its new content. */
  content?: Uint8Array | null;
  children: Map<string, EditNode>;
}

function newNode(): EditNode {
  return { owned: false, children: new Map() };
}

function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

function nodeAt(root: EditNode, segments: string[]): EditNode {
  let node = root;
  for (const s of segments) {
    let child = node.children.get(s);
    if (!child) node.children.set(s, (child = newNode()));
    node = child;
  }
  return node;
}

export function buildEditTree(edit: TreeEdit): EditNode {
  const root = newNode();
  for (const entry of edit.scope) {
    const segments = splitPath(entry);
    const node = nodeAt(root, segments);
    if (entry.endsWith('/') || segments.length === 0) node.owned = true;
    else if (node.content === undefined) node.content = null;
  }
  const encoder = new TextEncoder();
  for (const [file, text] of edit.files) {
    nodeAt(root, splitPath(file)).content = typeof text === 'string' ? encoder.encode(text) : text;
  }
  return root;
}

/** The object id git gives these bytes as a blob, without writing anything. */
export function blobOid(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.byteLength}\0`).update(content).digest('hex');
}

/** The repository (and, during a group commit, its stage of new objects) that trees are edited in. */
export type TreeStore = ObjectStore;

/**
 * Returns the oid of `baseTree` with `edit` applied (null: the result is empty), writing
 * only new blobs and the trees on the edited paths.
 */
export async function applyTreeEdit(store: TreeStore, baseTree: string | null, edit: TreeEdit): Promise<string | null> {
  return rewrite(store, baseTree, buildEditTree(edit), false);
}

async function rewrite(store: TreeStore, oldOid: string | null, node: EditNode, ownedAbove: boolean): Promise<string | null> {
  const owned = ownedAbove || node.owned;
  const oldEntries: TreeEntry[] = oldOid ? await readTreeEntries(store, oldOid) : [];
  const entries = new Map<string, TreeEntry>();
  for (const e of oldEntries) {
    if (!owned || node.children.has(e.path)) entries.set(e.path, e);
  }
  let changed = entries.size !== oldEntries.length;
  for (const [name, child] of node.children) {
    const old = oldEntries.find((e) => e.path === name);
    const next = child.content !== undefined && child.children.size === 0
      ? await rewriteFile(store, old, child.content)
      : await rewriteDir(store, old, child, owned);
    if (next) entries.set(name, { ...next, path: name });
    else entries.delete(name);
    if (next?.oid !== old?.oid) changed = true;
  }
  if (!changed) return oldOid;
  if (entries.size === 0) return null;
  return writeTreeObject(store, [...entries.values()]);
}

async function rewriteFile(store: TreeStore, old: TreeEntry | undefined, content: Uint8Array | null): Promise<TreeEntry | null> {
  if (content === null) return null;
  const oid = blobOid(content);
  if (old?.type === 'blob' && old.oid === oid) return old;
  await writeBlobObject(store, content);
  const mode = old?.type === 'blob' && old.mode !== '120000' ? old.mode : '100644';
  return { mode, path: old?.path ?? '', oid, type: 'blob' };
}

async function rewriteDir(store: TreeStore, old: TreeEntry | undefined, node: EditNode, ownedAbove: boolean): Promise<TreeEntry | null> {
  const oldTree = old?.type === 'tree' ? old.oid : null;
  const oid = await rewrite(store, oldTree, node, ownedAbove);
  if (!oid) return null;
  return { mode: '040000', path: old?.path ?? '', oid, type: 'tree' };
}
