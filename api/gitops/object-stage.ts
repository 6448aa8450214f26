// Objects of a group commit held in memory until the whole chain is known, then written as one
// pack (pack-write.ts) instead of one loose file per object. Reads of a commit being built look
// here first, then in the cache of parsed objects (object-cache.ts), then in the repository; a
// TreeStore without a stage writes loose objects.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import git from 'isomorphic-git';
import type { TreeEntry } from 'isomorphic-git';
import { gitFs, writeFileAtomic } from './git-fs.ts';
import { deflateObject, writePack, type ObjectType, type StagedObject } from './pack-write.ts';
import type { CommitHead, RepoObjects } from './object-cache.ts';
import type { Author } from './types.ts';

export type { ObjectType, StagedObject } from './pack-write.ts';

export class ObjectStage {
  /** oid → object, in the order written (a rollback drops the tail). */
  readonly objects = new Map<string, StagedObject>();
  /** Parsed trees of staged tree objects: a chain re-reads the trees its previous commit wrote. */
  readonly trees = new Map<string, TreeEntry[]>();
  readonly commits = new Map<string, CommitHead>();

  put(type: ObjectType, content: Uint8Array): string {
    const oid = createHash('sha1').update(`${type} ${content.byteLength}\0`).update(content).digest('hex');
    if (!this.objects.has(oid)) this.objects.set(oid, { type, content });
    return oid;
  }

  /** A point to roll back to when a change of the batch fails after writing some objects. */
  mark(): number {
    return this.objects.size;
  }

  rollback(mark: number): void {
    let i = 0;
    for (const oid of [...this.objects.keys()]) {
      if (i++ < mark) continue;
      this.objects.delete(oid);
      this.trees.delete(oid);
      this.commits.delete(oid);
    }
  }
}

/** Where objects are read from and written to: the repository, plus a stage during a group commit. */
export interface ObjectStore {
  gitdir: string;
  /** isomorphic-git's cache (pack indexes). */
  cache: object;
  stage?: ObjectStage;
  /** Parsed objects of this repository already read or written (object-cache.ts). */
  objects?: RepoObjects;
}

/**
 * Writes a stage's objects as one pack, then puts them into the cache: the next group commit of
 * the repository starts from exactly these trees and commits, and the next deploys read these blobs.
 */
export async function writeStaged(os: ObjectStore, stage: ObjectStage): Promise<void> {
  await writePack(os.gitdir, stage.objects);
  if (!os.objects) return;
  for (const [oid, object] of stage.objects) {
    if (object.type === 'blob') os.objects.put(oid, { type: 'blob', bytes: object.content });
    const entries = object.type === 'tree' ? stage.trees.get(oid) : undefined;
    if (entries) os.objects.put(oid, { type: 'tree', entries });
    const head = object.type === 'commit' ? stage.commits.get(oid) : undefined;
    if (head) os.objects.put(oid, { type: 'commit', head });
  }
}

/** Git's tree order: names compared as if directories ended in '/'. */
function treeOrder(a: TreeEntry, b: TreeEntry): number {
  const x = a.mode === '040000' ? `${a.path}/` : a.path;
  const y = b.mode === '040000' ? `${b.path}/` : b.path;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function serializeTree(entries: TreeEntry[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const e of [...entries].sort(treeOrder)) {
    parts.push(Buffer.from(`${e.mode.replace(/^0/, '')} ${e.path}\0`, 'utf8'), Buffer.from(e.oid, 'hex'));
  }
  return Buffer.concat(parts);
}

export interface CommitFields {
  tree: string;
  parent: string[];
  message: string;
  author: Author;
  committer: Author;
  timestamp: number;
}

/** The commit object as isomorphic-git writes it (UTC, message normalised to end in one newline). */
export function serializeCommit(c: CommitFields): Uint8Array {
  const who = (p: Author) => `${p.name} <${p.email}> ${c.timestamp} +0000`;
  const message = c.message.replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '') + '\n';
  const parents = c.parent.map((p) => `parent ${p}\n`).join('');
  return Buffer.from(`tree ${c.tree}\n${parents}author ${who(c.author)}\ncommitter ${who(c.committer)}\n\n${message}`, 'utf8');
}

// The readers look in the stage, then the cache, then the repository. isomorphic-git peels a
// commit to its tree (readTree) or a tag to its commit (readCommit); only an object read as what
// it is (result oid = oid) is cached, so an id never maps to another object's content.

export async function readTreeEntries(os: ObjectStore, oid: string): Promise<TreeEntry[]> {
  const staged = os.stage?.trees.get(oid);
  if (staged) return staged;
  const known = os.objects?.get(oid);
  if (known?.type === 'tree') return known.entries;
  const read = await git.readTree({ fs: gitFs, gitdir: os.gitdir, oid, cache: os.cache });
  if (read.oid === oid) os.objects?.put(oid, { type: 'tree', entries: read.tree });
  return read.tree;
}

export async function readBlobBytes(os: ObjectStore, oid: string): Promise<Uint8Array> {
  const staged = os.stage?.objects.get(oid);
  if (staged?.type === 'blob') return staged.content;
  const known = os.objects?.get(oid);
  if (known?.type === 'blob') return known.bytes;
  const read = await git.readBlob({ fs: gitFs, gitdir: os.gitdir, oid, cache: os.cache });
  if (read.oid === oid) os.objects?.put(oid, { type: 'blob', bytes: read.blob });
  return read.blob;
}

export async function readCommitHead(os: ObjectStore, oid: string): Promise<CommitHead> {
  const staged = os.stage?.commits.get(oid);
  if (staged) return staged;
  const known = os.objects?.get(oid);
  if (known?.type === 'commit') return known.head;
  const { oid: read, commit } = await git.readCommit({ fs: gitFs, gitdir: os.gitdir, oid, cache: os.cache });
  const head = { tree: commit.tree, parent: commit.parent, timestamp: commit.committer.timestamp };
  if (read === oid) os.objects?.put(oid, { type: 'commit', head });
  return head;
}

/**
 * Without a stage an object goes loose, as git writes it (objects/xx/<38 hex>, a zlib stream of
 * "<type> <size>\0<content>", stored uncompressed as in packs: pack-write.ts deflateObject).
 * Written here rather than by isomorphic-git, which hashes with crypto.subtle and compresses
 * through a web stream per object: node's sha1 and a stored stream cost a fraction of that.
 * Through a temporary file and a rename, like git-fs.ts.
 */
async function writeLoose(gitdir: string, type: ObjectType, content: Uint8Array): Promise<string> {
  const wrapped = Buffer.concat([Buffer.from(`${type} ${content.byteLength}\0`, 'utf8'), content]);
  const oid = createHash('sha1').update(wrapped).digest('hex');
  const dir = path.join(gitdir, 'objects', oid.slice(0, 2));
  const file = path.join(dir, oid.slice(2));
  // git never rewrites an object file: one that exists holds these bytes
  if (existsSync(file)) return oid;
  const data = deflateObject(wrapped);
  try {
    await writeFileAtomic(file, data);
  } catch (error) {
    // objects/xx/ is made by the first object whose id starts with xx: not worth a mkdir each time
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(file, data);
  }
  return oid;
}

export async function writeBlobObject(os: ObjectStore, content: Uint8Array): Promise<string> {
  if (os.stage) return os.stage.put('blob', content);
  const oid = await writeLoose(os.gitdir, 'blob', content);
  os.objects?.put(oid, { type: 'blob', bytes: content });
  return oid;
}

export async function writeTreeObject(os: ObjectStore, entries: TreeEntry[]): Promise<string> {
  const sorted = [...entries].sort(treeOrder);
  const oid = os.stage ? os.stage.put('tree', serializeTree(sorted)) : await writeLoose(os.gitdir, 'tree', serializeTree(sorted));
  if (os.stage) os.stage.trees.set(oid, sorted);
  else os.objects?.put(oid, { type: 'tree', entries: sorted });
  return oid;
}

export async function writeCommitObject(os: ObjectStore, c: CommitFields): Promise<string> {
  const head = { tree: c.tree, parent: c.parent, timestamp: c.timestamp };
  const oid = os.stage ? os.stage.put('commit', serializeCommit(c)) : await writeLoose(os.gitdir, 'commit', serializeCommit(c));
  if (os.stage) os.stage.commits.set(oid, head);
  else os.objects?.put(oid, { type: 'commit', head });
  return oid;
}
