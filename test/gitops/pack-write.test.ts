// Objects as Loco writes them (pack-write.ts): stored zlib streams that zlib and git read back
// byte for byte, in a pack git verifies.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { adler32, deflateObject, writePack, type StagedObject } from '../../api/gitops/pack-write.ts';
import { gitCli, tempDir } from './helpers.ts';

test('an object stream inflates to its bytes at every block boundary, with the checksum zlib computes', () => {
  for (const size of [0, 1, 5552, 65534, 65535, 65536, 200_001]) {
    const content = Buffer.alloc(size);
    for (let i = 0; i < size; i++) content[i] = (i * 7919) & 0xff;
    const stream = deflateObject(content);
    assert.deepEqual(inflateSync(stream), content, `size ${size}`);
    assert.equal(stream.readUInt32BE(stream.length - 4), adler32(content));
  }
  // RFC 1950's example value: adler32("Wikipedia") = 0x11E60398
  assert.equal(adler32(Buffer.from('Wikipedia')), 0x11e60398);
});

test('a pack of blobs, a tree and a commit is one git reads, verifies and checks', (t) => {
  const gitdir = path.join(tempDir(t, 'pack-write'), 'repo.git');
  mkdirSync(gitdir, { recursive: true });
  gitCli(path.dirname(gitdir), 'init', '--bare', '-q', gitdir);
  const objects = new Map<string, StagedObject>();
  const put = (type: StagedObject['type'], content: Buffer) => {
    const oid = createHash('sha1').update(Buffer.concat([Buffer.from(`${type} ${content.byteLength}\0`), content])).digest('hex');
    objects.set(oid, { type, content });
    return oid;
  };
  const big = Buffer.from('kind: ConfigMap\n'.repeat(6000)); // > 64 KiB: several stored blocks
  const small = put('blob', Buffer.from('apiVersion: v1\n'));
  const large = put('blob', big);
  const tree = put('tree', Buffer.concat([Buffer.from('100644 a.yaml\0'), Buffer.from(small, 'hex'), Buffer.from('100644 b.yaml\0'), Buffer.from(large, 'hex')]));
  const commit = put('commit', Buffer.from(`tree ${tree}\nauthor L <l@x> 1700000000 +0000\ncommitter L <l@x> 1700000000 +0000\n\nstored\n`));
  return writePack(gitdir, objects).then((name) => {
    assert.ok(name);
    gitCli(gitdir, 'verify-pack', path.join(gitdir, 'objects', 'pack', `pack-${name}.idx`));
    assert.equal(gitCli(gitdir, 'cat-file', '-p', `${commit}:b.yaml`), big.toString().trimEnd());
    gitCli(gitdir, 'update-ref', 'refs/heads/main', commit);
    assert.equal(gitCli(gitdir, 'fsck', '--strict'), '');
  });
});
