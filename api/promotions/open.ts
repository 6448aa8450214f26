// Opening a promotion: pick the release (a deployment that succeeded in the source profile),
// render the target overlay from that release's config and image with the target profile's
// values, commit it on loco/promote/<app>/<from>-to-<to>/<id>, open the pull request (on GitHub,
// or held in the database), and supersede older open promotions of the same app and target.

import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from '../ids.ts';
import { LocoError } from '../../generator/errors.ts';
import { appScope, configDigest, parseConfig, platformEndpoints, profileNames, renderApp } from '../../generator/index.ts';
import { promotionRules } from './rules.ts';
import type { WorkspaceAccess } from '../auth/access.ts';
import { actorName, type Principal } from '../auth/authenticate.ts';
import { App, Deployment } from '../db/entities.ts';
import { overridesPath } from '../deployments/overrides.ts';
import { sealedValuesAt } from '../deployments/sealed-secrets.ts';
import { otherAppsAt } from '../deployments/other-apps.ts';
import { claimsOfRelease, takeClaims } from '../routing/claims.ts';
import { hostDomains } from '../routing/custom-domains.ts';
import { refuseForeignHosts } from '../routing/platform-domains.ts';
import { currentScopeFiles, headOrCreate, refuseWidePrune } from '../deployments/prepare.ts';
import { recordedConfigVersion } from '../deployments/release-version.ts';
import type { LocoServices } from '../services.ts';
import { findPromotion, insertPromotion, supersedeOlder, type PromotionRow } from './records.ts';
import { compareProfiles, promotionBody, readProfileState } from './summary.ts';

export interface PromoteRequest {
  app: string;
  from: string;
  to: string;
  /** A specific release of `from`; default: the latest deployment there. */
  deployment?: string;
  confirmPrune?: boolean;
}

export function promotionTitle(app: string, from: string, to: string): string {
  return `promote(${app}): ${from} → ${to}`;
}

/**
 * The release to promote; refuses anything that did not succeed in the source profile. Without
 * Argo CD (`outcomesKnown` false) nothing ever succeeds, so a release that ended at committed
 * may go on: the promotion then says plainly that its source outcome was not verified.
 */
export async function sourceRelease(em: EntityManager, access: WorkspaceAccess, request: PromoteRequest, outcomesKnown = true): Promise<Deployment> {
  const where = `${request.app}@${request.from}`;
  // A protected source profile takes releases by promotion too (e.g. uat → prod after dev → uat).
  const [releaseTo, command] = promotionRules(access.settings).isProtected(request.from)
    ? [`promote to ${request.from}`, `loco promote ${request.app} --from <earlier profile> --to ${request.from}`]
    : [`deploy to ${request.from}`, `loco deploy --profile ${request.from}`];
  const app = await em.findOne(App, { workspaceId: access.workspaceId, name: request.app });
  if (!app) throw new LocoError('not-found.app', `app ${request.app} was not found in ${access.org}/${access.workspace}`, 'check the name with `loco apps`');
  const release = request.deployment
    ? await em.findOne(Deployment, { id: request.deployment, appId: app.id })
    : await em.findOne(Deployment, { appId: app.id, profile: request.from, changeType: { $ne: 'delete' } }, { orderBy: { createdAt: 'desc' } });
  if (!release) {
    throw new LocoError(
      request.deployment ? 'not-found.deployment' : 'conflict.nothing-to-promote',
      request.deployment ? `deployment ${request.deployment} of ${request.app} was not found` : `${where} has no release to promote`,
      `${releaseTo} first (${command}), wait until it succeeds, then promote`,
    );
  }
  if (release.profile !== request.from) {
    throw new LocoError('validation.promotion-source', `deployment ${release.id} is a release of ${release.app}@${release.profile}, not of ${where}`, `promote with --from ${release.profile}, or pick a deployment of ${request.from}`);
  }
  const unverified = !outcomesKnown && release.status === 'committed' && release.finishedAt && release.commit;
  if ((release.status !== 'succeeded' || !release.commit) && !unverified) {
    const why = release.status === 'failed'
      ? `failed${release.reason ? ` (${release.reason})` : ''}${release.message ? `: ${release.message}` : ''}`
      : release.status === 'committed' && release.finishedAt
        ? 'ended at committed before Argo CD was configured, so whether it is healthy is unknown'
        : `is still ${release.status}`;
    throw new LocoError(
      'conflict.release-not-succeeded',
      `only a release that succeeded in ${request.from} can be promoted; ${release.id} (${release.image}) ${why}`,
      release.status === 'failed'
        ? `fix it and ${releaseTo} again (${command}); promote once it succeeds`
        : release.finishedAt
          ? `${releaseTo} again (${command}) so Argo CD reports its outcome, then promote`
          : `wait for it to finish (loco status ${request.app} --profile ${request.from}), then promote`,
      { data: { deploymentId: release.id, status: release.status, ...(release.reason ? { reason: release.reason } : {}) } },
    );
  }
  return release;
}

export interface BranchChange {
  kind: 'promote' | 'rollback';
  app: string;
  from: string;
  to: string;
  source: Deployment;
  /** The target profile's files after the change (appScope of app/to). */
  files: Map<string, string>;
  image: string;
  configDigest: string;
  confirmPrune?: boolean;
}

/** Commits `change` on a new promotion branch, opens its pull request and records it. */
export async function openBranchChange(loco: LocoServices, access: WorkspaceAccess, principal: Principal, change: BranchChange): Promise<PromotionRow> {
  const { store } = loco;
  const em = loco.em();
  const id = `prm_${ulid()}`;
  const branch = `loco/promote/${change.app}/${change.from}-to-${change.to}/${id}`;
  const head = await headOrCreate(store, access.slug);
  const before = await currentScopeFiles(store, access.slug, head, change.app, change.to);
  refuseWidePrune(before, change.files, change.confirmPrune, `${change.kind === 'rollback' ? 'rolling back' : 'promoting'} ${change.app} to ${change.to}`);
  const summary = compareProfiles(readProfileState(before, change.app, change.to), readProfileState(change.files, change.app, change.to)!);
  const title = change.kind === 'rollback' ? `rollback(${change.app}@${change.to}): to ${change.source.id}` : promotionTitle(change.app, change.from, change.to);
  const body = promotionBody({
    app: change.app, from: change.from, to: change.to, image: change.image, configDigest: change.configDigest, kind: change.kind, change: summary,
    source: {
      deploymentId: change.source.id, profile: change.source.profile, status: change.source.status, commit: change.source.commit,
      finishedAt: change.source.finishedAt ? new Date(change.source.finishedAt).toISOString() : null, message: change.source.message,
    },
  });
  const result = await store.createBranchCommit({
    slug: access.slug, branch, baseCommit: head, startPoint: 'main',
    scope: appScope(change.app, change.to), files: change.files,
    subject: title, body,
    trailers: {
      'Loco-Actor': actorName(principal), 'Loco-App': change.app, 'Loco-Profile': change.to, 'Loco-Config-Digest': change.configDigest,
      'Loco-Image': change.image, 'Loco-Change': change.kind, 'Loco-Promotion': id, 'Loco-Promoted-From': change.from, 'Loco-Source-Deployment': change.source.id,
    },
    author: { name: principal.userName, email: principal.userEmail ?? `${principal.userName}@users.noreply.loco` },
  });
  if (result.status === 'unchanged') {
    throw new LocoError('conflict.nothing-to-promote', `${change.app}@${change.to} already runs this release (commit ${result.commit.slice(0, 7)})`, 'nothing to review: deploy a new release to the source profile first');
  }
  const pr = await store.openPullRequest({ slug: access.slug, branch, title, body });
  const app = await em.findOneOrFail(App, { workspaceId: access.workspaceId, name: change.app });
  const older = await em.transactional(async (tx) => {
    await insertPromotion(tx, {
      id, workspaceId: access.workspaceId, appId: app.id, app: change.app, kind: change.kind, sourceDeploymentId: change.source.id,
      from: change.from, to: change.to, branch, headCommit: result.commit, prNumber: pr.number, prUrl: pr.url, title, body, authorUserId: principal.userId,
    });
    return supersedeOlder(tx, { id, appId: app.id, to: change.to });
  });
  // Deleting the older branch closes its pull request on GitHub too. Outside the transaction: the
  // repository lock is never awaited while holding a database connection (the embedded database
  // has one, and a commit holding the lock may need it).
  for (const p of older) await store.deleteBranch(access.slug, p.branch).catch(() => undefined);
  return (await findPromotion(em, id))!;
}

/** POST …/apps/:app/promotions. */
export async function openPromotion(loco: LocoServices, access: WorkspaceAccess, principal: Principal, request: PromoteRequest): Promise<PromotionRow> {
  if (request.from === request.to) {
    throw new LocoError('validation.promotion-profiles', `cannot promote ${request.app} from ${request.from} to itself`, 'name two different profiles, e.g. --from dev --to prod');
  }
  const em = loco.em();
  const source = await sourceRelease(em, access, request, loco.argocd !== null);
  // The release's config as it was committed (git is the record), not as the database kept it.
  const configPath = `apps/${request.app}/loco.toml`;
  const configText = (await loco.store.readFiles(access.slug, source.commit!, configPath)).get(configPath) ?? source.configText;
  const version = await recordedConfigVersion(loco.store, access.slug, source.commit!, request.app, request.from);
  const config = parseConfig(configText, 'loco.toml', version !== undefined ? { version } : {});
  const profiles = profileNames(config);
  if (!profiles.includes(request.to)) {
    throw new LocoError('config.unknown-profile', `profile ${request.to} is not defined in the loco.toml of ${source.id} (it has ${profiles.join(', ')})`, `add [Profile.${request.to}] to loco.toml, deploy it to ${request.from}, then promote`);
  }
  // the target profile's routes must be this workspace's to take (checked now, taken when it lands)
  const claims = claimsOfRelease(configText, request.to, access.slug);
  const hosts = claims.map((c) => c.host);
  const { verified, foreign } = await hostDomains(em, access.workspaceId, hosts);
  refuseForeignHosts(hosts, { baseDomains: loco.options.baseDomains, slug: access.slug, verifiedDomains: verified, ...(foreign ? { foreign } : {}) });
  await takeClaims(em, { workspaceId: access.workspaceId, appId: null, app: request.app, profile: request.to, claims }, { dryRun: true });
  const head = (await loco.store.head(access.slug))!;
  const overrides = (await loco.store.readFiles(access.slug, head, overridesPath(request.app))).get(overridesPath(request.app));
  const otherApps = await otherAppsAt(loco.store, access.slug, head, request.app, request.to);
  // the target's own sealed secrets stay: they are sealed for its namespace, never promoted
  const sealedSecrets = await sealedValuesAt(loco.store, access.slug, head, request.app, request.to);
  const files = renderApp({
    config, configText, profile: request.to, image: source.image, workspace: access.slug, otherApps, sealedSecrets, ...platformEndpoints(loco.options.endpoints ?? {}),
    ...(loco.options.platform ? { platform: loco.options.platform } : {}),
    ...(overrides !== undefined ? { overrides } : {}), ...(source.envFile !== null ? { envFile: source.envFile } : {}),
  });
  return openBranchChange(loco, access, principal, {
    kind: 'promote', app: request.app, from: request.from, to: request.to, source, files, image: source.image, configDigest: configDigest(configText),
    ...(request.confirmPrune ? { confirmPrune: true } : {}),
  });
}
