// apps/<app>/overrides.toml, the runtime overrides that `loco env` and `loco scale` edit; the
// edit itself is the generator's pure setOverrides.

import type { ConfigVersion } from '../../generator/config/versions/version.ts';
import { OVERRIDES_FILE, parseConfig, parseOverrides, setOverrides } from '../../generator/index.ts';

export interface OverrideChange {
  set?: Record<string, string>;
  unset?: string[];
  replicas?: number;
  cpu?: string;
  memory?: string;
}

export function overridesPath(app: string): string {
  return `apps/${app}/${OVERRIDES_FILE}`;
}

/** The app's Env.NotSecret in `profile` (a profile's list replaces the top level's). */
export function notSecretOf(configText: string, profile: string, version?: ConfigVersion): string[] {
  const config = parseConfig(configText, 'loco.toml', version !== undefined ? { version } : {});
  return [...(config.profiles[profile]?.env?.notSecret ?? config.base.env?.notSecret ?? [])].filter((n): n is string => typeof n === 'string');
}

/**
 * `configText`: the release's loco.toml, whose Env.NotSecret names may be set although they look
 * secret; `version`: the format version recorded with that release (release-version.ts).
 */
export function applyOverrideChange(text: string, profile: string, kind: 'env' | 'scale', change: OverrideChange, configText: string, version?: ConfigVersion): string {
  if (kind === 'env') return setOverrides(text, profile, { env: { set: change.set ?? {}, unset: change.unset ?? [], notSecret: notSecretOf(configText, profile, version) } });
  return setOverrides(text, profile, {
    ...(change.replicas !== undefined ? { replicas: change.replicas } : {}),
    ...(change.cpu !== undefined ? { cpu: change.cpu } : {}),
    ...(change.memory !== undefined ? { memory: change.memory } : {}),
  });
}

/** The override variables of one profile (what `loco env` shows besides loco.toml's own). */
export function overrideVariables(text: string | undefined, profile: string): Record<string, string> {
  if (!text?.trim()) return {};
  const layer = parseOverrides(text)[profile] as { env?: { variables?: Record<string, string> } } | undefined;
  return { ...(layer?.env?.variables ?? {}) };
}
