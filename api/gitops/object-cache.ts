// Parsed git objects by id, kept in memory for the store's reads. Each group commit reads the
// trees and commits the previous one wrote, and every deploy reads its app's files at the head:
// without this, isomorphic-git opens, inflates and re-hashes the same object files each time.
// Objects are content-addressed, so an entry never goes stale; the cache is bounded in bytes
// (the API has an RSS goal) and the least recently used entries go first.

import type { TreeEntry } from 'isomorphic-git';

export interface CommitHead {
  tree: string;
  parent: string[];
  timestamp: number;
}

export type ParsedObject =
  | { type: 'tree'; entries: TreeEntry[] }
  | { type: 'commit'; head: CommitHead }
  | { type: 'blob'; bytes: Uint8Array };

/** Default bound of all repositories' entries together. */
export const DEFAULT_CACHE_BYTES = 8 * 1024 * 1024;

/** Rough heap cost of an entry: what the bound counts (JS strings are UTF-16, objects carry headers). */
function sizeOf(object: ParsedObject): number {
  if (object.type === 'blob') return object.bytes.byteLength + 96;
  if (object.type === 'commit') return 200 + 48 * object.head.parent.length;
  let size = 64;
  for (const e of object.entries) size += 2 * e.path.length + 180;
  return size;
}

/** Readers share what they get (as they share a stage's objects): they must not change it. */
export class ObjectCache {
  /** `repo oid` → entry, least recently used first (a hit moves it to the end). */
  private readonly entries = new Map<string, { object: ParsedObject; size: number }>();
  private used = 0;

  readonly maxBytes: number;

  constructor(maxBytes = DEFAULT_CACHE_BYTES) {
    this.maxBytes = maxBytes;
  }

  /** Bytes the entries are counted at; never above maxBytes. */
  get bytes(): number {
    return this.used;
  }

  get count(): number {
    return this.entries.size;
  }

  get(repo: string, oid: string): ParsedObject | undefined {
    const key = `${repo} ${oid}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.object;
  }

  put(repo: string, oid: string, object: ParsedObject): void {
    const size = sizeOf(object);
    // one big blob must not push out everything else
    if (size > this.maxBytes / 16) return;
    const key = `${repo} ${oid}`;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.used -= old.size;
    }
    this.entries.set(key, { object, size });
    this.used += size;
    for (const [k, e] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(k);
      this.used -= e.size;
    }
  }

  /** Drops a repository's entries (its packs were gathered or deleted: what they held may be gone). */
  forget(repo: string): void {
    const prefix = `${repo} `;
    for (const [k, e] of this.entries) {
      if (!k.startsWith(prefix)) continue;
      this.entries.delete(k);
      this.used -= e.size;
    }
  }

  /** The view of one repository's entries that an ObjectStore carries. */
  of(repo: string): RepoObjects {
    return { get: (oid) => this.get(repo, oid), put: (oid, object) => this.put(repo, oid, object) };
  }
}

export interface RepoObjects {
  get(oid: string): ParsedObject | undefined;
  put(oid: string, object: ParsedObject): void;
}
