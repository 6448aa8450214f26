// init, validate, render: work on loco.toml with the generator alone, no API needed.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import { workspaceSlug } from '../../generator/names.ts';
import type { Action } from '../action.ts';
import { CONFIG_NAME, buildSettings, loadConfig, pickProfile } from '../app-config.ts';
import { printJson } from '../output.ts';
import { parseWorkspaceRef, readSettings } from '../settings.ts';

export const init: Action = async (ctx, [dirArg], flags) => {
  const dir = resolve(typeof dirArg === 'string' ? dirArg : '.');
  const file = join(dir, CONFIG_NAME);
  const shown = relative(process.cwd(), file) || CONFIG_NAME;
  if (existsSync(file) && !flags.force) {
    throw new LocoError('usage.exists', `${shown} already exists`, `check it with loco validate, or overwrite it: loco init --force`);
  }
  const name = typeof flags.name === 'string' ? flags.name : suggestName(basename(dir));
  const { initTemplate, parseConfig } = await import('../../generator/index.ts');
  const text = initTemplate({ name, minimal: flags.minimal === true, ...(typeof flags.image === 'string' ? { image: flags.image } : {}) });
  parseConfig(text, shown); // the template must always be valid; fail loudly here if not
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text);
  if (ctx.json) printJson({ file: shown, app: name, minimal: flags.minimal === true });
  else process.stdout.write(`Wrote ${shown} for app ${kleur.bold(name)}.\nNext: edit it, then loco validate and loco deploy.\n`);
};

/** A folder name made into a valid app name ("My_App 2" → "my-app-2"). */
export function suggestName(folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '').slice(0, 40).replace(/-+$/, '');
  return name || 'app';
}

export const validate: Action = async (ctx, [path]) => {
  const loaded = await loadConfig(typeof path === 'string' ? path : undefined);
  if (ctx.json) printJson({ valid: true, file: loaded.file, app: loaded.app, profiles: loaded.profiles });
  else process.stdout.write(`${kleur.green('✓')} ${loaded.file} is valid: app ${kleur.bold(loaded.app)}, profiles ${loaded.profiles.join(', ')}\n`);
};

export const render: Action = async (ctx, [path], flags) => {
  const loaded = await loadConfig(typeof path === 'string' ? path : undefined);
  const profiles = flags.profile !== undefined ? [pickProfile(flags.profile, loaded.profiles, 'render')] : loaded.profiles;
  const { renderApp } = await import('../../generator/index.ts');
  const image = typeof flags.image === 'string' ? flags.image : buildSettings(loaded.config).image ?? `${loaded.app}:dev`;
  const files = new Map<string, string>();
  for (const profile of profiles) {
    const tree = renderApp({ config: loaded.config, configText: loaded.text, profile, image, workspace: offlineSlug(flags.workspace) });
    for (const [p, text] of tree) files.set(p, text);
  }
  const paths = [...files.keys()].sort();
  if (typeof flags.out === 'string') {
    for (const p of paths) {
      const target = join(flags.out, p);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, files.get(p)!);
    }
    if (ctx.json) printJson({ out: flags.out, profiles, files: paths });
    else process.stdout.write(`Wrote ${paths.length} files for ${loaded.app} (${profiles.join(', ')}) under ${flags.out}\n`);
    return;
  }
  if (ctx.json) {
    printJson({ app: loaded.app, profiles, image, files: Object.fromEntries(paths.map((p) => [p, files.get(p)])) });
    return;
  }
  process.stdout.write(yamlStream(paths.map((p) => [p, files.get(p)!])));
};

/**
 * One YAML stream of the whole tree, like `helm template`: each YAML file a document headed by
 * `# Source: <path>`; other files (loco.toml) as commented documents so the stream stays valid.
 */
export function yamlStream(files: [string, string][]): string {
  return files
    .map(([p, text]) => {
      const body = /\.ya?ml$/.test(p) ? text : text.replace(/\n$/, '').split('\n').map((l) => `# ${l}`.trimEnd()).join('\n') + '\n';
      return `---\n# Source: ${p}\n${body.endsWith('\n') ? body : body + '\n'}`;
    })
    .join('');
}

/** The workspace slug to render for offline: --workspace, LOCO_WORKSPACE, the saved one, or default/default. */
function offlineSlug(flag: unknown): string {
  const value = (typeof flag === 'string' && flag) || process.env.LOCO_WORKSPACE || readSettings().workspace || 'default/default';
  const ref = parseWorkspaceRef(value, 'workspace');
  return workspaceSlug(ref.org, ref.workspace);
}
