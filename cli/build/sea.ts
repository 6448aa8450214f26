// `npm run build:sea`: the CLI as one linux-x64 executable that needs no Node.js on the
// machine (Node's single-executable applications: the bundle from cli/build/bundle.ts is
// injected into a copy of this Node binary with postject), plus the Homebrew formula for it.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import rootPackage from '../../package.json' with { type: 'json' };
import { bundleCli } from './bundle.ts';
import { homebrewFormula, releaseUrl } from './homebrew-formula.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
export const executableName = 'loco-linux-x64';

// The fuse Node's SEA loader looks for (documented with `node --experimental-sea-config`).
const seaFuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface SeaBuild {
  executable: string;
  sha256: string;
  formula: string;
}

/** Builds <outDir>/loco-linux-x64 and <outDir>/loco.rb; the bundle lands in <outDir>/npm. */
export async function buildSea(outDir: string, baseUrl?: string): Promise<SeaBuild> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the single executable is built for linux-x64 only (this is ${process.platform}-${process.arch}); use the npm package elsewhere`);
  }
  const bundle = await bundleCli(outDir);
  const work = path.join(outDir, 'sea-work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const blob = path.join(work, 'loco.blob');
  const config = path.join(work, 'sea-config.json');
  // The code cache is made by this Node binary for this Node binary: start-up parses nothing.
  writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });

  const executable = path.join(outDir, executableName);
  rmSync(executable, { force: true });
  copyFileSync(process.execPath, executable);
  chmodSync(executable, 0o755);
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  execFileSync(process.execPath, [postject, executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', seaFuse], { stdio: 'pipe' });
  rmSync(work, { recursive: true, force: true });

  const sha256 = createHash('sha256').update(readFileSync(executable)).digest('hex');
  const formula = path.join(outDir, 'loco.rb');
  const version = rootPackage.version;
  writeFileSync(formula, homebrewFormula({ version, sha256, url: releaseUrl(version, executableName, baseUrl) }));
  return { executable, sha256, formula };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: path.join(root, 'dist') }, 'base-url': { type: 'string' } } });
  const built = await buildSea(path.resolve(values.out), values['base-url'] ?? process.env.LOCO_RELEASE_BASE_URL);
  process.stdout.write(`wrote ${path.relative(process.cwd(), built.executable)} (sha256 ${built.sha256}) and ${path.relative(process.cwd(), built.formula)}\n`);
}
