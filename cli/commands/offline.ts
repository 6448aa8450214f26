// init, validate, render, config upgrade: work on loco.toml with the generator alone, no API needed.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import { workspaceSlug } from '../../generator/names.ts';
import type { Action } from '../action.ts';
import { CONFIG_NAME, buildSettings, envFileFor, loadConfig, locateConfig, pickProfile, warningLines } from '../app-config.ts';
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

export const validate: Action = async (ctx, [path], flags) => {
  const loaded = await loadConfig(typeof path === 'string' ? path : undefined);
  const warnings = loaded.config.warnings ?? [];
  if (flags.strict && warnings.length) {
    throw new LocoError('config.warnings', `${loaded.file} has ${warnings.length} warning(s) and --strict makes them fail: ${warnings[0].at.line}:${warnings[0].at.column} ${warnings[0].message}`, warnings.length === 1 ? warnings[0].hint : 'fix every warning listed, or run loco config upgrade', { problems: warnings });
  }
  const version = loaded.config.version === '0.1' ? ' (ConfigVersion "0.1")' : '';
  if (ctx.json) printJson({ valid: true, file: loaded.file, app: loaded.app, profiles: loaded.profiles, configVersion: loaded.config.version, warnings });
  else process.stdout.write(`${warningLines(loaded.config)}${kleur.green('✓')} ${loaded.file} is valid${version}: app ${kleur.bold(loaded.app)}, profiles ${loaded.profiles.join(', ')}\n`);
};

export const render: Action = async (ctx, [path], flags) => {
  const loaded = await loadConfig(typeof path === 'string' ? path : undefined);
  const profiles = flags.profile !== undefined ? [pickProfile(flags.profile, loaded.profiles, 'render')] : loaded.profiles;
  const { platformEndpoints, platformFactsFromEnv, renderApp } = await import('../../generator/index.ts');
  const image = typeof flags.image === 'string' ? flags.image : buildSettings(loaded.config).image ?? `${loaded.app}:dev`;
  process.stderr.write(warningLines(loaded.config));
  const files = new Map<string, string>();
  for (const profile of profiles) {
    const envFile = await envFileFor(loaded, profile);
    const tree = renderApp({ config: loaded.config, configText: loaded.text, profile, image, workspace: offlineSlug(flags.workspace), ...(envFile !== undefined ? { envFile } : {}), ...platformEndpoints({ otlpEndpoint: process.env.LOCO_OTLP_ENDPOINT, tracingEndpoint: process.env.LOCO_TRACING_ENDPOINT, metricsEndpoint: process.env.LOCO_METRICS_ENDPOINT }), platform: platformFactsFromEnv(process.env) });
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

/** `loco config upgrade [path]`: prints the diff to the current format; --write replaces the file. */
export const config: Action = async (ctx, [action, path], flags) => {
  if (action !== 'upgrade') {
    throw new LocoError('usage.unknown-action', action === undefined ? 'loco config needs an action' : `loco config ${String(action)} is not a command`, 'use: loco config upgrade [path] [--write]');
  }
  const full = locateConfig(typeof path === 'string' ? path : undefined);
  const file = relative(process.cwd(), full) || CONFIG_NAME;
  const before = readFileSync(full, 'utf8');
  const { upgradeConfig } = await import('../../generator/index.ts');
  const { fileDiff } = await import('../../generator/unified-diff.ts');
  const upgrade = upgradeConfig(before, file);
  const diff = upgrade.changed ? fileDiff(file, before, upgrade.text) : '';
  const write = flags.write === true && upgrade.changed;
  if (write) writeFileSync(full, upgrade.text);
  if (ctx.json) {
    printJson({ file, changed: upgrade.changed, written: write, diff, text: upgrade.text, notes: upgrade.notes, droppedComments: upgrade.droppedComments });
    return;
  }
  if (!upgrade.changed) {
    process.stdout.write(`${kleur.green('✓')} ${file} is in the current format already; nothing to upgrade\n`);
    return;
  }
  process.stdout.write(diff);
  for (const note of upgrade.notes) process.stderr.write(`note: ${note}\n`);
  if (upgrade.droppedComments) process.stderr.write(`note: ${upgrade.droppedComments} comment(s) were on keys the current format has no counterpart for and were left out\n`);
  process.stderr.write(write ? `${kleur.green('✓')} wrote ${file} (ConfigVersion 1); it renders the same manifests as before\n` : `Run again with --write to replace ${file}.\n`);
};
