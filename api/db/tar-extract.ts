// Unpacks a (gzipped) tar of plain files and directories into a directory: the pristine PGlite
// cluster embedded.ts keeps. PGlite's own loadDataDir unpacks inside the WASM heap, which never
// shrinks, so a fresh database would carry ~100 MiB more for the rest of the process's life.

import { gunzipSync } from 'node:zlib';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';

export interface TarEntry {
  path: string;
  type: 'file' | 'directory';
  data: Buffer;
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** The entries of a ustar archive; anything but plain files and directories is refused. */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  for (let offset = 0; offset + 512 <= archive.length; ) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break; // the two zero blocks that end an archive
    const prefix = field(header, 257, 6) === 'ustar' ? field(header, 345, 155) : '';
    const name = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const flag = field(header, 156, 1);
    const path = normalize(name.replace(/^\/+/, '')).replace(/\/$/, '');
    if (path.startsWith('..') || path.includes(`${sep}..${sep}`)) throw new Error(`tar entry outside the target: ${name}`);
    if (flag !== '0' && flag !== '' && flag !== '5') throw new Error(`tar entry of type ${flag} (${name}) is not supported`);
    const dataStart = offset + 512;
    entries.push({ path, type: flag === '5' ? 'directory' : 'file', data: archive.subarray(dataStart, dataStart + size) });
    offset = dataStart + Math.ceil(size / 512) * 512;
  }
  return entries;
}

export async function extractTarGz(archive: Buffer, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const entry of readTar(gunzipSync(archive))) {
    if (entry.path === '.' || entry.path === '') continue;
    const target = join(dir, entry.path);
    if (entry.type === 'directory') await mkdir(target, { recursive: true });
    else {
      await mkdir(join(target, '..'), { recursive: true });
      await writeFile(target, entry.data);
    }
  }
}
