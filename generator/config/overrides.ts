// Runtime overrides (`loco env set`, `loco scale`): apps/<app>/overrides.toml in the GitOps
// repository, in loco.toml syntax restricted to [Profile.<p>.Env.Variables] and
// [Profile.<p>.Resources]. Merged after the profile so a later deploy keeps them; edited only
// through the pure helpers here, which rewrite the file in one canonical, sorted form.

import { stringify } from 'smol-toml';
import { LocoError } from '../errors.ts';
import { overrideFields } from './fields.ts';
import { checkProfileName, looksSecret, plainSecretProblem } from './formats.ts';
import { locateKeys } from './locate.ts';
import { invalidConfig, parseToml } from './parse.ts';
import { ProblemList } from './problems.ts';
import type { ConfigLayer } from './spec.ts';
import { isTable, walkTable } from './walk.ts';

export const OVERRIDES_FILE = 'overrides.toml';

export type Overrides = Record<string, ConfigLayer>;

export function parseOverrides(text: string, file = OVERRIDES_FILE): Overrides {
  const raw = parseToml(text, file);
  const problems = new ProblemList(file, locateKeys(text));
  const ctx = { problems, rawPaths: new Map<string, string[]>() };
  const out: Overrides = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.toLowerCase() !== 'profile' || !isTable(value)) {
      problems.add('config.unknown-key', [key], key, `${key} is not allowed in ${file}`, 'overrides hold only [Profile.<name>.Env.Variables] and [Profile.<name>.Resources]');
      continue;
    }
    for (const [profile, body] of Object.entries(value)) {
      const bad = checkProfileName(profile);
      if (bad) problems.add('config.invalid-key', [key, profile], `Profile.${profile}`, bad[0], bad[1]);
      if (!isTable(body)) {
        problems.add('config.invalid-type', [key, profile], `Profile.${profile}`, `Profile.${profile} must be a table`, `write it as [Profile.${profile}.Resources]`);
        continue;
      }
      const layer: Record<string, any> = {};
      walkTable(body, overrideFields, [key, profile], ['Profile', profile], layer, ctx);
      out[profile] = layer;
    }
  }
  if (problems.items.length) throw invalidConfig(file, problems);
  return out;
}

export interface OverrideChange {
  /** `notSecret`: the app's Env.NotSecret for the profile, names that may be set although they look secret. */
  env?: { set?: Record<string, string>; unset?: string[]; notSecret?: readonly string[] };
  /** Pins the replica count: Replicas.Min = Replicas.Max = replicas (autoscaling off by default). */
  replicas?: number;
  cpu?: string;
  memory?: string;
}

/** Returns the overrides file text with `change` applied to `profile`; validates the result. */
export function setOverrides(text: string, profile: string, change: OverrideChange): string {
  // Only names being set now are checked: a file written under an older, narrower rule still reads.
  const secretLike = Object.keys(change.env?.set ?? {}).filter((name) => looksSecret(name, change.env?.notSecret));
  if (secretLike.length) {
    const problems = secretLike.map((name) => {
      const [message, hint] = plainSecretProblem(name);
      return { code: 'config.plain-secret', message, hint, path: `Profile.${profile}.Env.Variables.${name}` };
    });
    throw inCommandTerms(new LocoError('config.invalid', problems[0].message, problems[0].hint, { problems }), profile);
  }
  const current = text.trim() ? parseOverrides(text) : {};
  const layer: Record<string, any> = structuredClone(current[profile] ?? {});
  if (change.env) {
    const vars: Record<string, string> = { ...layer.env?.variables };
    for (const [k, v] of Object.entries(change.env.set ?? {})) vars[k] = v;
    for (const k of change.env.unset ?? []) delete vars[k];
    layer.env = { variables: vars };
  }
  if (change.replicas !== undefined || change.cpu !== undefined || change.memory !== undefined) {
    const res: Record<string, any> = (layer.resources ??= {});
    if (change.cpu !== undefined) res.cpu = change.cpu;
    if (change.memory !== undefined) res.memory = change.memory;
    if (change.replicas !== undefined) res.replicas = { min: change.replicas, max: change.replicas };
  }
  const next = serializeOverrides({ ...current, [profile]: layer as ConfigLayer });
  try {
    parseOverrides(next);
  } catch (error) {
    if (error instanceof LocoError) throw inCommandTerms(error, profile);
    throw error;
  }
  return next;
}

/**
 * A problem of the edited overrides as the user of `loco env set` / `loco scale` meets it: they
 * never wrote overrides.toml, so no file positions, and the fix named in their own command.
 */
function inCommandTerms(error: LocoError, profile: string): LocoError {
  const problems = (error.problems ?? []).map((p) => {
    const key = (p.path ?? '').replace(/^Profile\.[^.]+\./, '');
    const variable = /^Env\.Variables\.(.+)$/.exec(key)?.[1];
    const flag = ({ 'Resources.CPU': '--cpu', 'Resources.Memory': '--memory', 'Resources.Replicas.Min': '--replicas', 'Resources.Replicas.Max': '--replicas' } as Record<string, string>)[key];
    const message = p.message.replace(/^Profile\.[^:]+: /, '');
    let hint = p.hint;
    if (variable && p.code === 'config.plain-secret') {
      hint = `loco env set stores values in plain text in the GitOps repository: keep the value in a Kubernetes Secret and add ${variable} = "<secret-name>/<key>" under [Env.Secrets] in loco.toml, then loco deploy --profile ${profile}`;
    } else if (flag) {
      hint = `${flag}: ${p.hint.replace(' in quotes', '')}`;
    }
    const { at: _at, path: _path, ...rest } = p;
    return { ...rest, message: variable ? message : flag ? `${flag} ${message.replace(/^the string /, '')}` : message, hint };
  });
  const first = problems[0];
  return new LocoError('validation.invalid-override', first?.message ?? error.message, first?.hint ?? error.hint, { problems, cause: error });
}

/** Canonical text: profiles and keys sorted, empty tables left out, one header comment. */
export function serializeOverrides(overrides: Overrides): string {
  const profiles: Record<string, unknown> = {};
  for (const name of Object.keys(overrides).sort()) {
    const layer = overrides[name] as Record<string, any>;
    const body: Record<string, unknown> = {};
    const vars = layer.env?.variables ?? {};
    if (Object.keys(vars).length) body.Env = { Variables: Object.fromEntries(Object.keys(vars).sort().map((k) => [k, vars[k]])) };
    const r = layer.resources ?? {};
    const res: Record<string, unknown> = {};
    if (r.cpu !== undefined) res.CPU = r.cpu;
    if (r.memory !== undefined) res.Memory = r.memory;
    if (r.replicas && (r.replicas.min !== undefined || r.replicas.max !== undefined)) {
      res.Replicas = { ...(r.replicas.min !== undefined ? { Min: r.replicas.min } : {}), ...(r.replicas.max !== undefined ? { Max: r.replicas.max } : {}) };
    }
    if (Object.keys(res).length) body.Resources = res;
    if (Object.keys(body).length) profiles[name] = body;
  }
  const header = '# Runtime overrides (loco env, loco scale), merged over loco.toml per profile. Written by Loco.\n';
  return Object.keys(profiles).length ? header + stringify({ Profile: profiles }) + '\n' : header;
}

/**
 * What a rollback writes: `current` with `profile`'s overrides replaced by those `from` (the
 * rolled-back-to commit's file) held — none when it held none. Other profiles keep theirs.
 */
export function restoreProfileOverrides(current: string, from: string, profile: string): string {
  const now = current.trim() ? parseOverrides(current) : {};
  const then = from.trim() ? parseOverrides(from) : {};
  const next: Overrides = { ...now };
  if (then[profile]) next[profile] = then[profile];
  else delete next[profile];
  return serializeOverrides(next);
}
