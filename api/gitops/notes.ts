// Reading and writing git notes in a bare repository, in git's own layout (a notes ref whose
// commits hold a tree of blobs named by the annotated commit's id, possibly fanned out as
// ab/cdef…), so the git CLI and Loco read the same notes. Writing makes one notes commit; the
// caller moves the ref by compare-and-swap under the repository lock.

import { readBlobBytes, readCommitHead, readTreeEntries, writeBlobObject, writeCommitObject, writeTreeObject } from './object-stage.ts';
import type { Author } from './types.ts';
import type { TreeStore } from './tree-edit.ts';

const decoder = new TextDecoder();

/** Annotated commit id → note blob id, for every note under the notes commit `head`. */
async function noteBlobs(ts: TreeStore, head: string): Promise<Map<string, string>> {
  const commit = await readCommitHead(ts, head);
  const out = new Map<string, string>();
  const walk = async (tree: string, prefix: string): Promise<void> => {
    for (const e of await readTreeEntries(ts, tree)) {
      const name = prefix + e.path;
      // git fans large notes trees out into ab/cd…/ directories; the path still spells the id
      if (e.type === 'tree' && /^[0-9a-f]{2}$/.test(e.path) && name.length < 40) await walk(e.oid, name);
      else if (e.type === 'blob' && /^[0-9a-f]{40}$/.test(name)) out.set(name, e.oid);
    }
  };
  await walk(commit.tree, '');
  return out;
}

/**
 * The notes under `head` (null: no notes yet) as text by annotated commit id: of `only` those
 * commits when given (history pages read a few notes, not every note of the repository).
 */
export async function readNotes(ts: TreeStore, head: string | null, only?: Iterable<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!head) return out;
  const wanted = only ? new Set(only) : null;
  for (const [commit, blob] of await noteBlobs(ts, head)) {
    if (wanted && !wanted.has(commit)) continue;
    out.set(commit, decoder.decode(await readBlobBytes(ts, blob)));
  }
  return out;
}

/** The note of one commit under `head`, or null. */
export async function readNote(ts: TreeStore, head: string | null, commit: string): Promise<string | null> {
  return (await readNotes(ts, head, [commit])).get(commit) ?? null;
}

/**
 * Writes a notes commit on top of `head` that sets the note of every commit in `notes` (a group
 * commit's outcomes at once); returns its id. The new tree is flat (as isomorphic-git and git
 * write small notes trees); a fanned-out tree left by the git CLI is read and rewritten flat,
 * which git reads the same.
 */
export async function writeNotesCommit(ts: TreeStore, head: string | null, notes: Map<string, string>, message: string, who: Author): Promise<string> {
  const blobs = head ? await noteBlobs(ts, head) : new Map<string, string>();
  for (const [commit, text] of notes) blobs.set(commit, await writeBlobObject(ts, new TextEncoder().encode(text)));
  const tree = await writeTreeObject(ts, [...blobs].map(([path, oid]) => ({ mode: '100644', path, oid, type: 'blob' as const })));
  return writeCommitObject(ts, { tree, parent: head ? [head] : [], message, author: who, committer: who, timestamp: Math.floor(Date.now() / 1000) });
}
