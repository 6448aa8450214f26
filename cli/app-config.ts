// Finding and reading the app's loco.toml: from --config, a path argument, or the current
// folder upward (DESIGN.md "Fixed conventions"), and picking the app name and profile the
// API commands act on. Parsing is the generator's; it is imported only when needed.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { LocoError } from '../generator/errors.ts';

export const CONFIG_NAME = 'loco.toml';

/** The loco.toml in `start` or the nearest folder above it, or undefined. */
export function findConfigUpward(start: string = process.cwd()): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, CONFIG_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** A path argument may name the file or its folder; without one, search upward. */
export function locateConfig(path?: string): string {
  if (path) {
    const full = resolve(path);
    if (!existsSync(full)) throw new LocoError('config.not-found', `${path} does not exist`, 'give the path of a loco.toml or of its folder');
    const file = statSync(full).isDirectory() ? join(full, CONFIG_NAME) : full;
    if (!existsSync(file)) throw new LocoError('config.not-found', `no ${CONFIG_NAME} in ${path}`, `create one with: loco init ${path}`);
    return file;
  }
  const found = findConfigUpward();
  if (!found) {
    throw new LocoError('config.not-found', `no ${CONFIG_NAME} in ${process.cwd()} or any folder above it`, 'create one with `loco init`, or pass --config <file>');
  }
  return found;
}

export interface LoadedConfig {
  /** Path as shown to the user (relative to the current folder). */
  file: string;
  text: string;
  config: any;
  profiles: string[];
  app: string;
  /** Absolute folder of loco.toml: Env.File is read relative to it. */
  dir: string;
}

export async function loadConfig(path?: string): Promise<LoadedConfig> {
  const full = locateConfig(path);
  const file = relative(process.cwd(), full) || CONFIG_NAME;
  const text = readFileSync(full, 'utf8');
  const { parseConfig, profileNames } = await import('../generator/index.ts');
  const config = parseConfig(text, file);
  return { file, text, config, profiles: profileNames(config), app: appNameOf(config), dir: dirname(full) };
}

/** `file:line:col warning: message (hint)` lines for the config's warnings, or ''. */
export function warningLines(config: any): string {
  const list: Array<{ message: string; hint: string; at?: { file?: string; line: number; column: number } }> = config?.warnings ?? [];
  return list.map((w) => `${w.at?.file ?? CONFIG_NAME}:${w.at?.line ?? 1}:${w.at?.column ?? 1} warning: ${w.message} (${w.hint})\n`).join('');
}

/**
 * The dotenv file a profile's Env.File names, read next to loco.toml (undefined when it names
 * none). A missing file is a config error naming the path, before anything is sent.
 */
export async function envFileFor(loaded: LoadedConfig, profile: string): Promise<string | undefined> {
  const { resolveProfile } = await import('../generator/index.ts');
  const name: string = resolveProfile(loaded.config, profile, 'workspace').env.file;
  if (!name) return undefined;
  const full = join(loaded.dir, name);
  if (!existsSync(full)) {
    const shown = relative(process.cwd(), full) || name;
    throw new LocoError('config.env-file-not-found', `Env.File names ${shown}, which does not exist`, `create ${shown} (KEY=value lines), or remove Env.File from ${loaded.file}`);
  }
  return readFileSync(full, 'utf8');
}

export function appNameOf(config: any): string {
  const name = config?.metadata?.name ?? config?.name ?? config?.app;
  if (typeof name !== 'string') throw new LocoError('config.no-name', 'loco.toml has no app name', 'add Name under [Metadata]');
  return name;
}

/**
 * The profile a command acts on: --profile; else the file's only profile; else `dev` when the
 * file has one. Anything else must be said explicitly, so nobody deploys to prod by accident.
 */
export function pickProfile(flag: unknown, profiles: string[] | undefined, command: string, preferred?: string): string {
  if (typeof flag === 'string' && flag) {
    if (profiles && !profiles.includes(flag)) {
      throw new LocoError('usage.unknown-profile', `profile "${flag}" is not in loco.toml (it has: ${profiles.join(', ')})`, `use one of them: loco ${command} --profile ${profiles[0]}`);
    }
    return flag;
  }
  if (profiles?.length === 1) return profiles[0];
  // A 0.1 file's Metadata.Region names the region (profile) it deploys to by default.
  if (preferred && profiles?.includes(preferred)) return preferred;
  if (profiles?.includes('dev')) return 'dev';
  const list = profiles ? ` (loco.toml has: ${profiles.join(', ')})` : '';
  throw new LocoError('usage.profile-required', `which profile?${list}`, `pass one: loco ${command} --profile ${profiles?.[0] ?? 'dev'}`);
}

/** App and profile for commands that take an optional [app]: the argument wins, else loco.toml. */
export async function resolveTarget(appArg: unknown, flags: Record<string, unknown>, command: string): Promise<{ app: string; profile: string }> {
  if (typeof appArg === 'string' && appArg) {
    let profiles: string[] | undefined;
    if (flags.profile === undefined) {
      // The folder's loco.toml may describe this very app and know its profiles.
      const found = typeof flags.config === 'string' ? flags.config : findConfigUpward();
      if (found) {
        const loaded = await loadConfig(found).catch(() => undefined);
        if (loaded?.app === appArg) profiles = loaded.profiles;
      }
    }
    return { app: appArg, profile: pickProfile(flags.profile, profiles, command) };
  }
  const loaded = await loadConfig(typeof flags.config === 'string' ? flags.config : undefined).catch((error: unknown) => {
    if (error instanceof LocoError && error.code === 'config.not-found') {
      throw new LocoError('usage.app-required', `which app? ${error.message}`, `name it: loco ${command} <app>`);
    }
    throw error;
  });
  return { app: loaded.app, profile: pickProfile(flags.profile, loaded.profiles, command) };
}

/** Just the app: the argument, else the name in loco.toml. */
export async function resolveApp(appArg: unknown, flags: Record<string, unknown>, command: string): Promise<string> {
  if (typeof appArg === 'string' && appArg) return appArg;
  const loaded = await loadConfig(typeof flags.config === 'string' ? flags.config : undefined).catch((error: unknown) => {
    if (error instanceof LocoError && error.code === 'config.not-found') {
      throw new LocoError('usage.app-required', `which app? ${error.message}`, `name it: loco ${command} <app>`);
    }
    throw error;
  });
  return loaded.app;
}

/** Where the image comes from, as loco.toml's [Build] says (defaults as the generator's). */
export function buildSettings(config: any): { image?: string; dockerfile: string; context: string } {
  const build = config?.base?.build ?? config?.build ?? {};
  return {
    ...(typeof build.image === 'string' && build.image ? { image: build.image } : {}),
    dockerfile: typeof build.dockerfilePath === 'string' ? build.dockerfilePath : 'Dockerfile',
    context: typeof build.context === 'string' ? build.context : '.',
  };
}
