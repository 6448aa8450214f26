// The commit step of each kind of change: what files a deploy, an env or scale change, a
// rollback or an app deletion writes, as exactly one commit with Loco's trailers. Rendering
// reads the app's overrides at the same head it commits on, a deploy passes the prune guard
// there, and a lost race re-reads and re-renders (the store reports 'conflict.commit' when a
// stale base touched our files).

import { LocoError } from '../../generator/errors.ts';
import { appScope, parseConfig, platformEndpoints, renderApp, type PlatformEndpoints, type PlatformFacts, type RouteTls } from '../../generator/index.ts';
import type { Author, ChangeRequest, GitopsStore } from '../gitops/index.ts';
import type { Deployment } from '../db/entities.ts';
import { applyOverrideChange, overridesPath, type OverrideChange } from './overrides.ts';
import { otherAppsAt } from './other-apps.ts';
import { recordedConfigVersion } from './release-version.ts';
import { orphanedBaseScope } from './legacy-base.ts';
import { rollbackFiles, rollbackScope } from './rollback-files.ts';
import { currentScopeFiles, refuseWideDeployPrune } from './prepare.ts';
import { applySecretsChange, sealedValuesAt, type SecretsChange } from './sealed-secrets.ts';

export interface CommitContext {
  store: GitopsStore;
  slug: string;
  author: Author;
  /** The workspace's verified custom domains and their certificate issuer, read when the change is carried. */
  tls?: RouteTls;
  /** Checked under the repository lock right before the commit (see ChangeRequest.precondition). */
  precondition?: () => Promise<void>;
  /** The platform's observability endpoints, injected into what is rendered. */
  endpoints?: PlatformEndpoints;
  /** Secret stores and CNI of the platform (LOCO_SECRET_STORES, LOCO_CNI). */
  platform?: PlatformFacts;
}

export function trailersFor(d: Pick<Deployment, 'id' | 'actor' | 'app' | 'profile' | 'configDigest' | 'image' | 'changeType'> & { change?: Deployment['change'] }): Record<string, string> {
  // a deploy whose image passed the vulnerability gate only through waivers says which (api/images/pin.ts)
  const waivers = d.changeType === 'deploy' ? ((d.change ?? {}) as { vulnWaivers?: string }).vulnWaivers : undefined;
  return {
    'Loco-Deployment': d.id,
    'Loco-Actor': d.actor,
    'Loco-App': d.app,
    'Loco-Profile': d.profile,
    'Loco-Config-Digest': d.configDigest,
    'Loco-Image': d.image,
    'Loco-Change': d.changeType,
    ...(waivers ? { 'Loco-Vuln-Waiver': waivers } : {}),
  };
}

export function subjectFor(d: Pick<Deployment, 'app' | 'profile' | 'image' | 'changeType' | 'change'>): string {
  const where = `${d.app}@${d.profile}`;
  const change = (d.change ?? {}) as Record<string, unknown>;
  switch (d.changeType) {
    case 'env': {
      const set = Object.keys((change.set as Record<string, string>) ?? {});
      const unset = (change.unset as string[]) ?? [];
      const parts = [set.length ? `set ${set.join(', ')}` : '', unset.length ? `unset ${unset.join(', ')}` : ''].filter(Boolean);
      return `env(${where}): ${parts.join('; ') || 'no change'}`;
    }
    case 'scale': {
      const parts = ['replicas', 'cpu', 'memory'].filter((k) => change[k] !== undefined).map((k) => `${k}=${String(change[k])}`);
      return `scale(${where}): ${parts.join(' ')}`;
    }
    case 'secrets': {
      // names only: the change itself holds ciphertext, which has no place in a subject line
      const set = Object.keys((change.set as Record<string, string>) ?? {});
      const unset = (change.unset as string[]) ?? [];
      const parts = [set.length ? `set ${set.join(', ')}` : '', unset.length ? `unset ${unset.join(', ')}` : ''].filter(Boolean);
      return `secrets(${where}): ${parts.join('; ') || 'no change'}`;
    }
    case 'rollback':
      return `rollback(${where}): to ${String(change.target)} (${String(change.targetCommit ?? '').slice(0, 7)})`;
    case 'delete':
      return `delete(${d.app}): remove the app from every profile`;
    default:
      return `${d.changeType}(${where}): ${d.image}`;
  }
}

async function readOverrides(store: GitopsStore, slug: string, head: string, app: string): Promise<string | undefined> {
  const path = overridesPath(app);
  return (await store.readFiles(slug, head, path)).get(path);
}

/**
 * Renders the deployment's app/profile at `head` (with the overrides, other apps and sealed
 * secrets found there; a `secrets` change applies itself to the sealed secrets first).
 */
export async function renderAt(ctx: CommitContext, d: Deployment, head: string, overrides?: string): Promise<Map<string, string>> {
  const text = overrides ?? (await readOverrides(ctx.store, ctx.slug, head, d.app));
  // A deploy brings a new file; every other change re-reads the release's, as it was recorded.
  const version = d.changeType === 'deploy' ? undefined : await recordedConfigVersion(ctx.store, ctx.slug, head, d.app, d.profile);
  const config = parseConfig(d.configText, 'loco.toml', version !== undefined ? { version } : {});
  const otherApps = await otherAppsAt(ctx.store, ctx.slug, head, d.app, d.profile);
  let sealedSecrets = await sealedValuesAt(ctx.store, ctx.slug, head, d.app, d.profile);
  if (d.changeType === 'secrets') sealedSecrets = applySecretsChange(sealedSecrets, (d.change ?? { set: {}, unset: [] }) as unknown as SecretsChange, d.createdAt.toISOString());
  return renderApp({
    config, configText: d.configText, profile: d.profile, image: d.image, workspace: ctx.slug, otherApps, sealedSecrets, ...platformEndpoints(ctx.endpoints ?? {}),
    ...(ctx.tls ? { tls: ctx.tls } : {}),
    ...(ctx.platform ? { platform: ctx.platform } : {}),
    ...(text !== undefined ? { overrides: text } : {}), ...(d.envFile !== null ? { envFile: d.envFile } : {}),
  });
}

/** Env and scale changes edit the app's overrides.toml and re-render with it. */
const editsOverrides = (d: Deployment): d is Deployment & { changeType: 'env' | 'scale' } => d.changeType === 'env' || d.changeType === 'scale';

/** What a deploy, env or scale change writes at `head`: the rendered app/profile, plus overrides.toml for env and scale. */
async function renderChange(ctx: CommitContext, d: Deployment, head: string): Promise<Map<string, string>> {
  if (!editsOverrides(d)) return renderAt(ctx, d, head);
  const current = await readOverrides(ctx.store, ctx.slug, head, d.app);
  const next = applyOverrideChange(current ?? '', d.profile, d.changeType, (d.change ?? {}) as OverrideChange, d.configText,
    await recordedConfigVersion(ctx.store, ctx.slug, head, d.app, d.profile));
  const files = await renderAt(ctx, d, head, next);
  files.set(overridesPath(d.app), next);
  return files;
}

function rollbackTarget(d: Deployment): string {
  const target = (d.change ?? {}) as { targetCommit?: string };
  if (!target.targetCommit) throw new LocoError('validation.rollback', 'the rollback has no target commit', 'roll back to a deployment that made a commit');
  return target.targetCommit;
}

/**
 * The app/profile files that the change leaves on main when committed on `head` — what Argo CD
 * will ask Kubernetes to run (the deploy preflight reads them). A deletion leaves none.
 */
export async function filesOfChange(ctx: CommitContext, d: Deployment, head: string): Promise<Map<string, string>> {
  switch (d.changeType) {
    case 'rollback':
      return currentScopeFiles(ctx.store, ctx.slug, rollbackTarget(d), d.app, d.profile);
    case 'delete':
      return new Map();
    default:
      return renderChange(ctx, d, head);
  }
}

/**
 * The change the deployment makes on `head`: render → files → ChangeRequest. The runner's group
 * commit applies many of these at once (store.applyChanges); `rendered` hears the file count.
 */
export async function changeFor(ctx: CommitContext, d: Deployment, head: string, rendered: (files: number) => void = () => {}): Promise<ChangeRequest> {
  const base = { slug: ctx.slug, subject: subjectFor(d), trailers: trailersFor(d), author: ctx.author, baseCommit: head, ...(ctx.precondition ? { precondition: ctx.precondition } : {}) };
  switch (d.changeType) {
    case 'rollback': {
      const files = await rollbackFiles(ctx.store, ctx.slug, head, rollbackTarget(d), d.app, d.profile);
      return { ...base, scope: rollbackScope(d.app, d.profile, files), files };
    }
    case 'delete':
      return { ...base, scope: [`apps/${d.app}/`], files: new Map() };
    default: {
      const files = await renderChange(ctx, d, head);
      rendered(files.size);
      const appFiles = await ctx.store.readFiles(ctx.slug, head, `apps/${d.app}/`);
      // The prune guard of a deploy, against the files at the head it commits on (the request
      // answered 202 before anything rendered); a lost race re-renders and asks again.
      if (d.changeType === 'deploy') refuseWideDeployPrune(appFiles, files, d);
      const orphaned = orphanedBaseScope(appFiles, d.app, d.profile);
      const scope = [...appScope(d.app, d.profile), ...(editsOverrides(d) ? [overridesPath(d.app)] : []), ...orphaned];
      return { ...base, scope, files };
    }
  }
}
