// apps/<app>/overrides.toml, the runtime overrides that `loco env` and `loco scale` edit; the
// edit itself is the generator's pure setOverrides.

import { OVERRIDES_FILE, parseOverrides, setOverrides } from '../../generator/index.ts';

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

export function applyOverrideChange(text: string, profile: string, kind: 'env' | 'scale', change: OverrideChange): string {
  if (kind === 'env') return setOverrides(text, profile, { env: { set: change.set ?? {}, unset: change.unset ?? [] } });
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
