// The generator's public interface: parse and validate loco.toml, resolve a profile, render
// the Kustomize tree, and edit the runtime overrides file. Pure functions only.

export { parseConfig, profileNames } from './config/parse.ts';
export { resolveProfile, mergeLayers } from './config/resolve.ts';
export { initTemplate, type InitOptions } from './config/init.ts';
export { upgradeConfig, type Upgrade } from './config/upgrade.ts';
export { parseOverrides, setOverrides, serializeOverrides, restoreProfileOverrides, OVERRIDES_FILE, type Overrides, type OverrideChange } from './config/overrides.ts';
export type { AppSpec, ConfigLayer, LocoConfig } from './config/spec.ts';
export { appTypes, type AppTypeTemplate } from '../templates/app-types.ts';
export {
  renderApp,
  appScope,
  configDigest,
  appUrl,
  publicUrl,
  resolveForRender,
  fileVariables,
  type RenderInput,
  type RenderedTree,
} from './render/render-app.ts';
export { routeClaims, isHostUnder, type RouteClaim, type RouteTls } from './render/routes.ts';
export { appUrlVariable, platformEndpoints, type PlatformEndpoints } from './render/env.ts';
export { platformFactsFromEnv, type PlatformFacts } from './render/platform.ts';
export { sealedSecretName, sealingLabel, SEALED_SECRETS_FILE, type SealedValues } from './render/sealed-secrets.ts';
export { effectiveEnv, type EnvEntry, type EnvSource } from './render/effective-env.ts';
export { parseImageRef, type ImageRef } from './render/image.ts';
export { LocoError, isLocoError } from './errors.ts';
export { namespaceFor, workspaceSlug, argoApplicationName, argoProjectName } from './names.ts';
