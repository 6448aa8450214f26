// The pristine PGlite cluster is unpacked by api/db/tar-extract.ts: files land where the archive
// says, and an archive that names a path outside the target is refused (a fresh database then
// falls back to a real initdb instead of writing elsewhere).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractTarGz, readTar } from '../../api/db/tar-extract.ts';

function header(name: string, size: number, type: '0' | '5'): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 'utf8');
  block.write(size.toString(8).padStart(11, '0'), 124, 'ascii');
  block.write(type, 156, 'ascii');
  block.write('ustar', 257, 'ascii');
  return block;
}

function tar(entries: Array<{ name: string; data?: string }>): Buffer {
  const blocks: Buffer[] = [];
  for (const { name, data } of entries) {
    const body = Buffer.from(data ?? '');
    blocks.push(header(name, body.length, data === undefined ? '5' : '0'));
    if (body.length) blocks.push(Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]));
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

test('a cluster archive with absolute paths unpacks under the target directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'loco-tar-'));
  try {
    await extractTarGz(gzipSync(tar([{ name: '/PG_VERSION', data: '18\n' }, { name: '/base' }, { name: '/base/1/112', data: 'x'.repeat(700) }])), join(dir, 'db'));
    assert.equal(await readFile(join(dir, 'db', 'PG_VERSION'), 'utf8'), '18\n');
    assert.equal((await readFile(join(dir, 'db', 'base', '1', '112'), 'utf8')).length, 700);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an archive entry that climbs out of the target is refused', () => {
  assert.throws(() => readTar(tar([{ name: '../../etc/passwd', data: 'no' }])), /outside the target/);
  assert.throws(() => readTar(tar([{ name: 'base/../../x', data: 'no' }])), /outside the target/);
});
