// renderApp: (config, profile, release inputs) → the app's file tree in the GitOps repository.
// Pure: the same inputs give byte-identical files, with no clock and no I/O.

import { createHash } from 'node:crypto';
import { LocoError } from '../errors.ts';
import { namespaceFor } from '../names.ts';
import { checkEnvName, looksSecret, plainSecretProblem } from '../config/formats.ts';
import { parseOverrides } from '../config/overrides.ts';
import { profileNames } from '../config/parse.ts';
import { closest } from '../config/problems.ts';
import { resolveProfile } from '../config/resolve.ts';
import type { AppSpec, LocoConfig } from '../config/spec.ts';
import { SERVICE_PORT } from '../../templates/base-shapes.ts';
import { parseDotenv, platformEndpoints } from './env.ts';
import { imageReferenceProblem } from '../image-reference.ts';
import { renderOverlay } from './overlay.ts';
import type { SealedValues } from './sealed-secrets.ts';
import type { RouteTls } from './routes.ts';
import type { PlatformFacts } from './platform.ts';

export interface RenderInput {
  config: LocoConfig;
  /** The loco.toml text, stored verbatim and digested. */
  configText: string;
  profile: string;
  /** Image to deploy; empty falls back to Build.Image. */
  image: string;
  /** Workspace slug (`<org>--<workspace>`, generator/names.ts workspaceSlug). */
  workspace: string;
  /** Text of apps/<app>/overrides.toml. */
  overrides?: string;
  otherApps?: { name: string; url: string }[];
  /** Text of the dotenv file named by Env.File (the CLI reads it next to loco.toml). */
  envFile?: string;
  /** The workspace's verified custom domains and the issuer for their certificates (docs/hostnames.md). */
  tls?: RouteTls;
  /** The platform's OTLP endpoint (LOCO_OTLP_ENDPOINT) for apps whose loco.toml names none. */
  otlpEndpoint?: string;
  /** Sealed values of this profile, read from its overlay (see render/sealed-secrets.ts). */
  sealedSecrets?: SealedValues;
  /** The platform's LOCO_TRACING_ENDPOINT (else the OTLP endpoint), injected into every app. */
  tracingEndpoint?: string;
  /** The platform's LOCO_METRICS_ENDPOINT, injected into every app. */
  metricsEndpoint?: string;
  /** Secret stores and CNI of the platform (see render/platform.ts). */
  platform?: PlatformFacts;
}

/** Repository-relative path → file text, keys sorted. */
export type RenderedTree = Map<string, string>;

export function configDigest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * Paths a deploy of (app, profile) replaces; files under them that are not rendered are deleted.
 * No folder shared with another profile's build is in it (repositories written before overlays
 * were self-contained may still hold apps/<app>/base/: see api/deployments/legacy-base.ts).
 */
export function appScope(app: string, profile: string): string[] {
  return [`apps/${app}/loco.toml`, `apps/${app}/overlays/${profile}/`];
}

/** In-cluster URL of an app in a profile: what LOCO_<APP>_URL holds for the other apps. */
export function appUrl(workspace: string, app: string, profile: string): string {
  return `http://${app}.${namespaceFor(workspace, app, profile)}.svc.cluster.local${SERVICE_PORT === 80 ? '' : `:${SERVICE_PORT}`}`;
}

/** Public URL of a routed app in a profile (undefined for WORKER and CRON). */
export function publicUrl(spec: AppSpec): string | undefined {
  if (spec.metadata.type !== 'SERVICE') return undefined;
  const path = spec.routing.protocol === 'http' && spec.routing.pathPrefix !== '/' ? spec.routing.pathPrefix : '';
  return `https://${spec.routing.subdomain}.${spec.routing.baseDomain}${path}`;
}

export function resolveForRender(input: Pick<RenderInput, 'config' | 'profile' | 'workspace' | 'overrides'>): AppSpec {
  const names = profileNames(input.config);
  if (!names.includes(input.profile)) {
    const near = closest(input.profile, names);
    throw new LocoError('usage.unknown-profile', `profile "${input.profile}" is not in ${input.config.file}`, near ? `did you mean "${near}"? Profiles: ${names.join(', ')}` : `use one of: ${names.join(', ')}`);
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(input.workspace) || input.workspace.length > 63) {
    throw new LocoError('usage.invalid-workspace', `"${input.workspace}" is not a workspace slug`, 'pass workspaceSlug(org, workspace), "<org>--<workspace>": lower-case letters, digits and "-", at most 63 characters');
  }
  const override = input.overrides ? parseOverrides(input.overrides)[input.profile] : undefined;
  return resolveProfile(input.config, input.profile, input.workspace, override);
}

/** Env.File's variables, checked (names, nothing secret-like). */
export function fileVariables(spec: AppSpec, envFile: string | undefined): Record<string, string> {
  if (!spec.env.file) return {};
  if (envFile === undefined) {
    throw new LocoError('config.env-file-missing', `Env.File names ${spec.env.file} but its content was not provided`, `deploy with the CLI from the folder of loco.toml (it sends ${spec.env.file}), or move the values into [Env.Variables]`);
  }
  const vars = parseDotenv(envFile);
  const problems = Object.keys(vars).flatMap((name) => {
    const bad = checkEnvName(name) ?? (looksSecret(name, spec.env.notSecret) ? plainSecretProblem(name) : undefined);
    return bad ? [{ code: 'config.invalid-key', message: `${spec.env.file}: ${bad[0]}`, hint: bad[1], path: `Env.File.${name}` }] : [];
  });
  if (problems.length) throw new LocoError('config.invalid', `${spec.env.file} has ${problems.length} problem(s): ${problems[0].message}`, problems[0].hint, { problems });
  return vars;
}

export function renderApp(input: RenderInput): RenderedTree {
  const spec = resolveForRender(input);
  const app = spec.metadata.name;
  const image = input.image || spec.build.image;
  if (!image) {
    throw new LocoError('usage.image-required', `no image to deploy for ${app}`, 'pass the image (loco deploy --image REF), or set Build.Image in loco.toml');
  }
  const imageProblem = imageReferenceProblem(image);
  if (imageProblem) throw new LocoError('validation.invalid-image', imageProblem[0], imageProblem[1]);
  const files: Array<[string, string]> = [[`apps/${app}/loco.toml`, input.configText]];
  const overlay = renderOverlay({
    spec,
    profile: input.profile,
    workspace: input.workspace,
    image,
    configDigest: configDigest(input.configText),
    otherApps: [...(input.otherApps ?? [])].sort((a, b) => a.name.localeCompare(b.name)),
    fileVariables: fileVariables(spec, input.envFile),
    configVersion: input.config.version,
    ...(input.tls ? { tls: input.tls } : {}),
    ...platformEndpoints(input),
    ...(input.sealedSecrets ? { sealedSecrets: input.sealedSecrets } : {}),
    ...(input.platform ? { platform: input.platform } : {}),
  });
  for (const [file, text] of overlay) files.push([`apps/${app}/overlays/${input.profile}/${file}`, text]);
  files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map(files);
}
