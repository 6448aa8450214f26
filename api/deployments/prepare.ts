// What POST …/deployments checks before it answers 202 (the config parses and validates, every
// problem at once; the profile exists), what its dry run checks besides (the app renders and the
// change passes the prune guard against what the repository holds now), and the guard itself.

import { LocoError, type ProblemDetail } from '../../generator/errors.ts';
import { appScope, configDigest, fileVariables, parseConfig, platformEndpoints, profileNames, publicUrl, renderApp, resolveForRender, routeClaims, type LocoConfig, type RouteClaim, type PlatformEndpoints, type PlatformFacts, type RouteTls } from '../../generator/index.ts';
import type { GitopsStore } from '../gitops/index.ts';
import { overridesPath } from './overrides.ts';
import { sealedSecretsPath } from './sealed-secrets.ts';
import { readSealedValues } from '../../generator/render/sealed-secrets-read.ts';
import { otherAppsIn } from './other-apps.ts';
import { pruneVerdict } from './prune-guard.ts';

export interface DeployRequest {
  app: string;
  profile: string;
  image: string;
  config: string;
  envFile?: string;
  confirmPrune?: boolean;
}

/** Whether `path` is one of `scope`'s files or under one of its folders ('dir/'), as ChangeRequest.scope means. */
export function inScope(path: string, scope: string[]): boolean {
  return scope.some((s) => (s.endsWith('/') ? path.startsWith(s) : path === s));
}

/** The head of main, creating the workspace repository first when it does not exist yet. */
export async function headOrCreate(store: GitopsStore, slug: string): Promise<string> {
  return (await store.head(slug)) ?? (await store.ensureRepository(slug)).head;
}

/** Of the app folder's files, those in the app/profile scope. */
export function scopeFilesOf(appFiles: Map<string, string>, app: string, profile: string): Map<string, string> {
  const scope = appScope(app, profile);
  return new Map([...appFiles].filter(([path]) => inScope(path, scope)));
}

/** The files of the app/profile scope as the repository holds them at `head`. */
export async function currentScopeFiles(store: GitopsStore, slug: string, head: string, app: string, profile: string): Promise<Map<string, string>> {
  return scopeFilesOf(await store.readFiles(slug, head, `apps/${app}/`), app, profile);
}

const PRUNE_HINT = 'check the config; if this is intended, repeat with --confirm-prune (confirmPrune: true)';

/** Throws conflict.prune (with the removed and added resources in its data) when the change prunes widely unconfirmed. */
export function refuseWidePrune(before: Map<string, string>, after: Map<string, string>, confirmPrune: boolean | undefined, what: string): void {
  const verdict = pruneVerdict(before, after);
  if (verdict.needsConfirmation && !confirmPrune) {
    throw new LocoError(
      'conflict.prune',
      `${what} would remove ${verdict.removed.length} Kubernetes resources and add ${verdict.added.length}; Argo CD would prune them from the cluster`,
      PRUNE_HINT,
      { data: { removed: verdict.removed, added: verdict.added } },
    );
  }
}

/** What the request path learns from the config without rendering it. */
export interface CheckedDeploy {
  config: LocoConfig;
  /** The route claims the release makes in the profile (api/routing/claims.ts). */
  claims: RouteClaim[];
  configDigest: string;
  /** Keys a 0.1 file carries that Loco ignores. */
  warnings: ProblemDetail[];
  /** The app's public URL in the profile (releaseUrl's answer, from the same resolved spec). */
  url: string | undefined;
}

/**
 * The checks POST …/deployments answers before its 202, all without I/O: the config parses and
 * validates (every problem at once), names this app, has the profile, and gets the Env.File it
 * names; the route claims come out of the same resolved spec. Throws LocoErrors a
 * client can act on. The render and the prune guard run when the change is committed (commit.ts).
 */
export function checkDeployRequest(request: Pick<DeployRequest, 'app' | 'profile' | 'config' | 'envFile'>, slug: string): CheckedDeploy {
  const config = parseConfig(request.config, 'loco.toml');
  if (config.name !== request.app) {
    throw new LocoError('config.app-mismatch', `loco.toml describes app ${config.name}, but the request deploys ${request.app}`,
      `deploy it as ${config.name}, or change Metadata.Name in loco.toml`);
  }
  const profiles = profileNames(config);
  if (!profiles.includes(request.profile)) {
    throw new LocoError('config.unknown-profile', `profile ${request.profile} is not defined in loco.toml (it has ${profiles.join(', ')})`,
      `deploy one of ${profiles.join(', ')}, or add [Profile.${request.profile}] to loco.toml`);
  }
  const spec = resolveForRender({ config, profile: request.profile, workspace: slug });
  // the Env.File the config names is sent and well-formed (every problem at once), as the render will need
  fileVariables(spec, request.envFile);
  return { config, claims: routeClaims(spec), configDigest: configDigest(request.config), warnings: config.warnings ?? [], url: publicUrl(spec) };
}

/** The prune guard of a deploy: `appFiles` is the app folder as it stands, `after` what the deploy renders for its profile. */
export function refuseWideDeployPrune(appFiles: Map<string, string>, after: Map<string, string>, deploy: { app: string; profile: string; confirmPrune?: boolean | undefined }): void {
  refuseWidePrune(scopeFilesOf(appFiles, deploy.app, deploy.profile), after, deploy.confirmPrune, `deploying ${deploy.app}@${deploy.profile}`);
}

/**
 * A dry run (`loco deploy` asks one before a long image build) renders now and applies the prune
 * guard against what the repository holds now, so a refusal costs seconds, not the build.
 */
export async function renderAndGuard(store: GitopsStore, slug: string, request: DeployRequest, config: LocoConfig, tls?: RouteTls, endpoints: PlatformEndpoints = {}, platform?: PlatformFacts): Promise<void> {
  const head = await headOrCreate(store, slug);
  // one read of the app's folder gives both its overrides and what the deploy replaces
  const appFiles = await store.readFiles(slug, head, `apps/${request.app}/`);
  const overrides = appFiles.get(overridesPath(request.app));
  const otherApps = otherAppsIn((await store.readFiles(slug, head, 'apps/')).keys(), slug, request.app, request.profile);
  const sealedSecrets = readSealedValues(appFiles.get(sealedSecretsPath(request.app, request.profile)));
  const after = renderApp({
    config, configText: request.config, profile: request.profile, image: request.image, workspace: slug, otherApps, sealedSecrets, ...platformEndpoints(endpoints),
    ...(tls ? { tls } : {}),
    ...(platform ? { platform } : {}),
    ...(overrides !== undefined ? { overrides } : {}), ...(request.envFile !== undefined ? { envFile: request.envFile } : {}),
  });
  refuseWideDeployPrune(appFiles, after, request);
}
