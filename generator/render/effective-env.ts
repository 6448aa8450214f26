// The environment an app's containers get in one profile, each variable with where it comes
// from — what `loco env list` shows. Same inputs and the same functions as the rendering, so
// it cannot disagree with the ConfigMap; secrets are references (Secret name and key) only.

import type { ConfigLayer } from '../config/spec.ts';
import { parseOverrides } from '../config/overrides.ts';
import { parseImageRef, imageVersion } from './image.ts';
import { plainEnv, platformEndpoints, secretKeyOf } from './env.ts';
import { fileVariables, resolveForRender, type RenderInput } from './render-app.ts';

export type EnvSource = 'loco.toml' | 'profile' | 'overrides' | 'Env.File' | 'loco';

export interface EnvEntry {
  name: string;
  source: EnvSource;
  /** Plain value; absent for a secret. */
  value?: string;
  /** For a secret: the Secret and key it is read from, never its value. */
  secret?: { name: string; key: string };
}

type EnvLayer = { env?: { variables?: Record<string, string>; secrets?: Record<string, unknown> } };

export function effectiveEnv(input: RenderInput): EnvEntry[] {
  const spec = resolveForRender(input);
  const files = fileVariables(spec, input.envFile);
  const base = input.config.base as EnvLayer;
  const profile = (input.config.profiles[input.profile] ?? {}) as EnvLayer;
  const override = (input.overrides ? (parseOverrides(input.overrides)[input.profile] ?? {}) : {}) as ConfigLayer & EnvLayer;
  const has = (layer: EnvLayer, kind: 'variables' | 'secrets', name: string) => Object.hasOwn(layer.env?.[kind] ?? {}, name);
  const userSource = (kind: 'variables' | 'secrets', name: string): EnvSource | undefined =>
    has(override, kind, name) ? 'overrides' : has(profile, kind, name) ? 'profile' : has(base, kind, name) ? 'loco.toml' : undefined;
  const env = plainEnv({
    spec, profile: input.profile, workspace: input.workspace, version: imageVersion(parseImageRef(input.image || spec.build.image)),
    otherApps: input.otherApps ?? [], fileVariables: files, ...platformEndpoints(input),
  });
  // what Loco sets itself: plainEnv's result without any of the user's variables
  const injected = plainEnv({ spec: { ...spec, env: { ...spec.env, variables: {} } }, profile: input.profile, workspace: input.workspace, version: '', otherApps: input.otherApps ?? [], fileVariables: {}, ...platformEndpoints(input) });
  const entries: EnvEntry[] = Object.entries(env).map(([name, value]) => ({
    name, value, source: Object.hasOwn(injected, name) ? 'loco' : (userSource('variables', name) ?? (Object.hasOwn(files, name) ? 'Env.File' : 'loco.toml')),
  }));
  for (const [name, ref] of Object.entries(spec.env.secrets)) {
    entries.push({ name, source: userSource('secrets', name) ?? 'loco.toml', secret: secretKeyOf(spec.metadata.name, ref, name) });
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}
