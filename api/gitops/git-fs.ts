// The file system client handed to isomorphic-git. It writes every file through a temporary
// name and a rename: isomorphic-git never rewrites an object file that exists, so a process
// killed mid-write would otherwise leave a truncated object that no later write repairs, and a
// concurrent reader in another process could see half an object.

import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';

async function writeFileAtomic(file: string, data: string | Uint8Array, options?: fs.WriteFileOptions): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.promises.writeFile(tmp, data, options);
    await fs.promises.rename(tmp, file);
  } catch (error) {
    await fs.promises.rm(tmp, { force: true });
    throw error;
  }
}

export const gitFs = {
  promises: {
    readFile: fs.promises.readFile,
    writeFile: writeFileAtomic,
    mkdir: fs.promises.mkdir,
    rmdir: fs.promises.rmdir,
    unlink: fs.promises.unlink,
    stat: fs.promises.stat,
    lstat: fs.promises.lstat,
    readdir: fs.promises.readdir,
    readlink: fs.promises.readlink,
    symlink: fs.promises.symlink,
    chmod: fs.promises.chmod,
  },
};
