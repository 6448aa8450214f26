// One profile's effective settings: the file's top level, then `[Profile.<name>]`, then the
// runtime overrides, then the field table's defaults for whatever is still unset.

import type { DefaultContext, Field } from './field-types.ts';
import { rootFields } from './fields.ts';
import type { AppSpec, ConfigLayer, LocoConfig } from './spec.ts';

/** Later layers win key by key; env maps merge by variable name; arrays are replaced whole. */
export function mergeLayers(...layers: ConfigLayer[]): ConfigLayer {
  const out: Record<string, any> = {};
  for (const layer of layers) mergeInto(out, layer as Record<string, any>, rootFields);
  return out as ConfigLayer;
}

function mergeInto(target: Record<string, any>, layer: Record<string, any>, fields: readonly Field[]): void {
  for (const field of fields) {
    const value = layer[field.prop];
    if (value === undefined) continue;
    if (field.kind === 'table') mergeInto((target[field.prop] ??= {}), value, field.fields);
    else if (field.kind === 'env-map' || field.kind === 'secret-map') target[field.prop] = { ...target[field.prop], ...value };
    else target[field.prop] = Array.isArray(value) ? [...value] : value;
  }
}

/**
 * A deep copy of parsed config data (plain objects, arrays, scalars). structuredClone does the
 * same through the serializer and was the largest cost of validating a deploy request (≈ 40 % of
 * checkDeployRequest, most of it on scalar defaults).
 */
function copyPlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyPlain) as T;
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyPlain((value as Record<string, unknown>)[key]);
  return out as T;
}

export function fillDefaults(layer: ConfigLayer, release: { profile: string; workspace: string }): AppSpec {
  const spec = copyPlain(layer) as Record<string, any>;
  const computed: Array<() => void> = [];
  const ctx: DefaultContext = { spec, profile: release.profile, workspace: release.workspace };
  (function fill(fields: readonly Field[], target: Record<string, any>) {
    for (const field of fields) {
      if (field.kind === 'table') {
        fill(field.fields, (target[field.prop] ??= {}));
      } else if (target[field.prop] === undefined && field.default !== undefined) {
        const def = field.default;
        // Computed defaults run after every constant one, in table order, so they can read them.
        if (typeof def === 'function') computed.push(() => (target[field.prop] = def(ctx)));
        else target[field.prop] = copyPlain(def);
      }
    }
  })(rootFields, spec);
  for (const run of computed) run();
  return spec as AppSpec;
}

/** Effective settings of `profile`, with optional override layer (apps/<app>/overrides.toml). */
export function resolveProfile(config: LocoConfig, profile: string, workspace: string, override?: ConfigLayer): AppSpec {
  const layers = [config.base, config.profiles[profile] ?? {}];
  if (override) layers.push(override);
  return fillDefaults(mergeLayers(...layers), { profile, workspace });
}
