// The first commit of every workspace repository: the files of gitops-repo-skeleton/, with
// the workspace name and its code owners filled in.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SKELETON_DIR = fileURLToPath(new URL('../../gitops-repo-skeleton/', import.meta.url));

/** Layout version written to .loco/format-version; bump it together with a migration. */
export const REPO_FORMAT_VERSION = 1;
export const FORMAT_FILE = '.loco/format-version';

async function listFiles(dir: string, at = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(dir, at), { withFileTypes: true })) {
    const rel = at ? `${at}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

export async function skeletonFiles(values: { workspace: string; codeOwners: string }, dir = SKELETON_DIR): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const rel of await listFiles(dir)) {
    const text = await fs.readFile(path.join(dir, rel), 'utf8');
    files.set(rel, text.replaceAll('{{workspace}}', values.workspace).replaceAll('{{codeowners}}', values.codeOwners));
  }
  return files;
}
