// loco.toml text → LocoConfig. Parses with smol-toml, then validates against the field table
// and the cross-field rules of every profile; throws one LocoError listing every problem.

import { parse, TomlError } from 'smol-toml';
import { LocoError } from '../errors.ts';
import { checkProfile, reportRuleProblems, type RuleProblem } from './check.ts';
import { rootFields, profileFields } from './fields.ts';
import { checkProfileName } from './formats.ts';
import { checkTextLimits, checkTreeLimits } from './limits.ts';
import { lazyKeyPositions } from './locate.ts';
import { ProblemList } from './problems.ts';
import { resolveProfile } from './resolve.ts';
import type { ConfigLayer, LocoConfig } from './spec.ts';
import { plainSyntaxError } from './syntax.ts';
import { configVersionOf, type ConfigVersion } from './versions/version.ts';
import { translateV01 } from './versions/v0-1.ts';
import { isTable, walkTable, type WalkContext } from './walk.ts';

/** Workspace used to check defaults that depend on it when no workspace is known yet. */
const CHECK_WORKSPACE = 'workspace';

/** TOML text → its table, refusing text past the limits before and right after parsing. */
export function parseToml(text: string, file: string): Record<string, unknown> {
  checkTextLimits(text, file);
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const plain = plainSyntaxError(text, error);
      const at = { file, line: plain.line, column: plain.column };
      throw new LocoError('config.invalid', `${file}:${plain.line}:${plain.column}: ${plain.message}`, plain.hint, {
        at,
        problems: [{ code: 'config.syntax', message: plain.message, hint: plain.hint, at }],
        cause: error,
      });
    }
    throw error;
  }
  checkTreeLimits(raw, file);
  return raw;
}

export interface ParseOptions {
  /** Version of a file without Metadata.ConfigVersion: the one recorded with its release. */
  version?: ConfigVersion;
}

export function parseConfig(text: string, file = 'loco.toml', options: ParseOptions = {}): LocoConfig {
  let raw = parseToml(text, file);
  const positions = lazyKeyPositions(text);
  const problems = new ProblemList(file, positions);
  const warnings = new ProblemList(file, positions);
  const version = configVersionOf(raw, file, positions, options.version);
  let defaultProfile: string | undefined;
  if (version === '0.1') ({ raw, defaultProfile } = translateV01(raw, positions, problems, warnings));
  const ctx: WalkContext = { problems, rawPaths: new Map() };

  const base: Record<string, any> = {};
  const profiles: Record<string, ConfigLayer> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.toLowerCase() !== 'profile') rest[key] = value;
    else if (!isTable(value)) problems.add('config.invalid-type', [key], 'Profile', 'Profile must be a table of profiles', 'write each profile as a section: [Profile.dev]');
    else {
      for (const [name, body] of Object.entries(value)) {
        const rawPath = [key, name];
        const nameProblem = checkProfileName(name);
        if (nameProblem) problems.add('config.invalid-key', rawPath, `Profile.${name}`, nameProblem[0], nameProblem[1]);
        if (!isTable(body)) {
          problems.add('config.invalid-type', rawPath, `Profile.${name}`, `Profile.${name} must be a table`, `write it as a section: [Profile.${name}]`);
          continue;
        }
        if (profiles[name]) {
          problems.add('config.duplicate-key', rawPath, `Profile.${name}`, `Profile.${name} is written twice`, 'keys are case-insensitive: merge the two sections');
          continue;
        }
        const layer: Record<string, any> = {};
        walkTable(body, profileFields, rawPath, ['Profile', name], layer, ctx, { out: layer, canonPath: ['Profile', name] });
        profiles[name] = layer;
      }
    }
  }
  walkTable(rest, rootFields, [], [], base, ctx);

  const name: string | undefined = base.metadata?.name;
  if (name === undefined && !problems.items.some((p) => p.path === 'Metadata.Name')) {
    problems.add('config.missing-key', ['Metadata'], 'Metadata.Name', 'Metadata.Name is required', 'add Name = "my-app" under [Metadata] (lower-case letters, digits and "-")');
  }

  const config: LocoConfig = {
    file,
    name: name ?? '',
    type: base.metadata?.type ?? 'SERVICE',
    base,
    profiles,
    positions,
    rawPaths: ctx.rawPaths,
    version,
    warnings: warnings.sorted(),
    ...(defaultProfile ? { defaultProfile } : {}),
  };
  // Rules across fields see only well-formed values (bad ones were left out and defaulted), so
  // they run even when other problems were found: the user gets every problem in one go.
  {
    const names = Object.keys(profiles);
    const perProfile: Array<[string | undefined, RuleProblem[]]> = (names.length ? names : [undefined]).map((p) => [
      p,
      checkProfile(config, p, resolveProfile(config, p ?? 'default', CHECK_WORKSPACE)),
    ]);
    reportRuleProblems(perProfile, problems);
  }
  if (problems.items.length > 0) throw invalidConfig(file, problems);
  return config;
}

export function invalidConfig(file: string, problems: ProblemList): LocoError {
  const list = problems.sorted();
  const first = list[0];
  const count = list.length === 1 ? 'a problem' : `${list.length} problems`;
  return new LocoError('config.invalid', `${file} has ${count}: ${first.at!.line}:${first.at!.column} ${first.message}`, list.length === 1 ? first.hint : 'fix every problem listed, then validate again', {
    at: first.at,
    problems: list,
  });
}

/** Profiles of a config, in file order; a file without `[Profile.*]` has the one profile `default`. */
export function profileNames(config: LocoConfig): string[] {
  const names = Object.keys(config.profiles);
  return names.length ? names : ['default'];
}
