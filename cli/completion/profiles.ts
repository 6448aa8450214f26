// Profile names for `--profile <TAB>`: from the loco.toml the command line names (--config, or
// the path argument of validate/render), else the nearest one from the current folder up.
// A file that does not parse offers nothing: `loco validate` is the place to say why.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CONFIG_NAME, findConfigUpward } from '../app-config.ts';
import { parseConfig, profileNames } from '../../generator/index.ts';

export function profileValues(words: string[]): [string, string][] {
  const file = configNamedBy(words) ?? findConfigUpward();
  if (!file || !existsSync(file)) return [];
  try {
    return profileNames(parseConfig(readFileSync(file, 'utf8'), file)).map((p) => [p, `profile in ${relative(process.cwd(), file) || CONFIG_NAME}`]);
  } catch {
    return [];
  }
}

function configNamedBy(words: string[]): string | undefined {
  for (let i = 0; i < words.length - 1; i++) {
    const w = words[i];
    if (w === '--config') return resolve(words[i + 1]);
    if (w.startsWith('--config=')) return resolve(w.slice('--config='.length));
  }
  const command = words.findIndex((w) => w === 'validate' || w === 'render');
  if (command >= 0) {
    const path = words.slice(command + 1, -1).find((w, i, all) => !w.startsWith('-') && !/^--(profile|out|image)$/.test(all[i - 1] ?? ''));
    if (path && existsSync(path)) return statSync(path).isDirectory() ? join(path, CONFIG_NAME) : resolve(path);
  }
  return undefined;
}
