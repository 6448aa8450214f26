// Route claims: who may route which traffic on the shared Gateway. Taken in the transaction that
// accepts a deploy (api/deployments/create.ts), before any git lock, so a refusal leaves nothing
// behind and the database's unique keys pick the one winner of a race.
//
// The rules (docs/hostnames.md):
// - a host belongs to one workspace, the first to claim it; another workspace's route on it, on
//   any path prefix or protocol, is refused (409) without naming the owner;
// - inside the workspace, apps share a host on different path prefixes: the Gateway routes a
//   request to the longest matching prefix, so `/` and `/api` are disjoint; the same prefix (or the
//   same gRPC service) held by another app or profile is refused (409), naming the holder;
// - a deploy replaces its app/profile's claims; hosts left with no claim are released.

import type { ConfigVersion } from '../../generator/config/versions/version.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from 'ulid';
import { LocoError } from '../../generator/errors.ts';
import { parseConfig, resolveForRender, routeClaims, type RouteClaim } from '../../generator/index.ts';

export interface ClaimRequest {
  workspaceId: string;
  appId: string | null;
  app: string;
  profile: string;
  claims: RouteClaim[];
}

function hostTaken(host: string): LocoError {
  return new LocoError('conflict.host-taken', `host ${host} belongs to another workspace`,
    'choose another Subdomain or BaseDomain for this profile: a host is served by one workspace only', { data: { host } });
}

function routeTaken(claim: RouteClaim, holder: { app: string; profile: string }): LocoError {
  const what = claim.protocol === 'grpc'
    ? (claim.pathPrefix === '/' ? `every gRPC service on ${claim.host}` : `gRPC service ${claim.pathPrefix.slice(1)} on ${claim.host}`)
    : `path prefix ${claim.pathPrefix} on ${claim.host}`;
  return new LocoError('conflict.route-taken', `${what} is already routed to ${holder.app}@${holder.profile} in this workspace`,
    claim.protocol === 'grpc' ? 'name other services in Routing.GrpcServices, or remove them from the other app first' : 'give this app another Routing.PathPrefix (e.g. /api) or Subdomain, or move the other app first',
    { data: { host: claim.host, protocol: claim.protocol, pathPrefix: claim.pathPrefix, app: holder.app, profile: holder.profile } });
}

const hostsOf = (claims: RouteClaim[]) => [...new Set(claims.map((c) => c.host))];

/**
 * Checks the claims and, unless `dryRun`, takes them (replacing the app/profile's earlier ones).
 * Must run inside the deploy's transaction: the host rows it locks stay locked until it commits.
 */
export async function takeClaims(em: EntityManager, request: ClaimRequest, options: { dryRun?: boolean } = {}): Promise<void> {
  const { workspaceId, appId, profile, claims } = request;
  const earlier = appId ? await em.execute<{ host: string }[]>(`select distinct host from route_claims where workspace_id = ? and app_id = ? and profile = ?`, [workspaceId, appId, profile]) : [];
  const newHosts = hostsOf(claims);
  // sorted, so two deploys locking several hosts lock them in one order and never deadlock
  const hosts = [...new Set([...newHosts, ...earlier.map((r) => r.host)])].sort();
  for (const host of hosts) {
    if (!options.dryRun && newHosts.includes(host)) {
      await em.execute(`insert into route_hosts (host, workspace_id) values (?, ?) on conflict (host) do nothing`, [host, workspaceId]);
    }
    // the lock makes a same-workspace deploy that frees or takes this host wait for this one
    const owner = await em.execute<{ workspace_id: string }[]>(`select workspace_id from route_hosts where host = ?${options.dryRun ? '' : ' for update'}`, [host]);
    if (owner.length && owner[0].workspace_id !== workspaceId && newHosts.includes(host)) throw hostTaken(host);
  }
  if (options.dryRun) {
    for (const claim of claims) {
      const holder = await em.execute<{ app: string; profile: string }[]>(
        `select app, profile from route_claims where host = ? and protocol = ? and path_prefix = ? and workspace_id = ? and not (app = ? and profile = ?)`,
        [claim.host, claim.protocol, claim.pathPrefix, workspaceId, request.app, profile]);
      if (holder.length) throw routeTaken(claim, holder[0]);
    }
    return;
  }
  if (!appId) throw new Error('takeClaims needs the app row');
  await em.execute(`delete from route_claims where workspace_id = ? and app_id = ? and profile = ?`, [workspaceId, appId, profile]);
  for (const claim of claims) {
    const inserted = await em.execute<{ id: string }[]>(
      `insert into route_claims (id, host, protocol, path_prefix, workspace_id, app_id, app, profile) values (?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (host, protocol, path_prefix) do nothing returning id`,
      [`rcl_${ulid()}`, claim.host, claim.protocol, claim.pathPrefix, workspaceId, appId, request.app, profile]);
    if (inserted.length) continue;
    const holder = await em.execute<{ app: string; profile: string }[]>(`select app, profile from route_claims where host = ? and protocol = ? and path_prefix = ?`, [claim.host, claim.protocol, claim.pathPrefix]);
    throw routeTaken(claim, holder[0] ?? { app: 'another app', profile: '?' });
  }
  await releaseEmptyHosts(em, workspaceId, hosts.filter((h) => !newHosts.includes(h)));
}

/** Destroying an app frees every claim it held, in all profiles, and the hosts left empty. */
export async function releaseAppClaims(em: EntityManager, workspaceId: string, appId: string): Promise<void> {
  const held = await em.execute<{ host: string }[]>(`select distinct host from route_claims where app_id = ?`, [appId]);
  await em.execute(`delete from route_claims where app_id = ?`, [appId]);
  await releaseEmptyHosts(em, workspaceId, held.map((r) => r.host));
}

async function releaseEmptyHosts(em: EntityManager, workspaceId: string, hosts: string[]): Promise<void> {
  for (const host of hosts) {
    await em.execute(`delete from route_hosts h where h.host = ? and h.workspace_id = ? and not exists (select 1 from route_claims c where c.host = h.host)`, [host, workspaceId]);
  }
}

/** The claims a release's loco.toml (read as `version`, when its release recorded one) makes in a profile (none for WORKER and CRON). */
export function claimsOfRelease(configText: string, profile: string, slug: string, version?: ConfigVersion): RouteClaim[] {
  return routeClaims(resolveForRender({ config: parseConfig(configText, 'loco.toml', version !== undefined ? { version } : {}), profile, workspace: slug }));
}
