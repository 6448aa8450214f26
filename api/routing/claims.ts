// Route claims: who may route which traffic on the shared Gateway. Taken in the statement that
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
import { ulid } from '../ids.ts';
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
 * Must run inside the deploy's transaction: the host rows it locks stay locked until it commits,
 * and a refusal (thrown after the statement) must roll back what the statement wrote.
 */
export async function takeClaims(em: EntityManager, request: ClaimRequest, options: { dryRun?: boolean } = {}): Promise<void> {
  const { workspaceId, appId, profile, claims } = request;
  if (options.dryRun) {
    for (const host of hostsOf(claims).sort()) {
      const owner = await em.execute<{ workspace_id: string }[]>(`select workspace_id from route_hosts where host = ?`, [host]);
      if (owner.length && owner[0].workspace_id !== workspaceId) throw hostTaken(host);
    }
    for (const claim of claims) {
      const holder = await em.execute<{ app: string; profile: string }[]>(
        `select app, profile from route_claims where host = ? and protocol = ? and path_prefix = ? and workspace_id = ? and not (app = ? and profile = ?)`,
        [claim.host, claim.protocol, claim.pathPrefix, workspaceId, request.app, profile]);
      if (holder.length) throw routeTaken(claim, holder[0]);
    }
    return;
  }
  if (!appId) throw new Error('takeClaims needs the app row');
  const statement = claimStatement(request, { sql: '?::text', params: [appId] });
  // in a savepoint, so a statement PostgreSQL aborted for a race (retryClaimRaces) can run again in the caller's transaction
  const rows = await retryClaimRaces(() => em.transactional((tx) => tx.execute<ClaimOutcome[]>(`with ${statement.ctes} select ${statement.outcome}`, [...statement.cteParams, ...statement.outcomeParams])));
  await refuseUntaken(em, rows[0]);
}

/**
 * Races between claim statements of one workspace that PostgreSQL settles by aborting one statement, which
 * then wrote nothing and is run again (with a new snapshot, which sees what the other wrote):
 * - two deploys moving routes between the same hosts in opposite directions can lock those host
 *   rows in opposite orders (40P01, deadlock);
 * - a deploy leaving a host deletes its row while another app takes a route on it: the claim's
 *   key to its host row (route_claims_host_fkey) refuses the delete (23503).
 */
export async function retryClaimRaces<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const raced = (error as { code?: string }).code === '40P01' || refusedByHostKey(error);
      if (!raced || attempt === 3) throw error;
    }
  }
}

/** The claim's key to its host row refused a statement: the host row it deletes still has a claim (23503). */
function refusedByHostKey(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === '23503' && constraint === 'route_claims_host_fkey';
}

/** What a claim statement answers: the first host another workspace owns, the first claim it could not take. */
export interface ClaimOutcome {
  claim_host_taken: string | null;
  claim_route_taken: string | { host: string; protocol: 'http' | 'grpc'; pathPrefix: string; app: string | null; profile: string | null } | null;
}

/**
 * Taking an app/profile's claims as common table expressions of one statement, so a deploy takes
 * them in the statement that records it (api/deployments/create.ts) instead of one round trip per
 * host and claim. `appId` is SQL for the app's id (a parameter, or a sibling CTE's row) and its
 * parameters. `ctes` go after `with`, `outcome` in a select list (ClaimOutcome), each with its
 * parameters. The CTEs write even when they refuse: takeClaims runs them in the caller's
 * transaction and refuseUntaken's throw rolls it back; a deploy's statement raises loco_refuse
 * instead, which undoes the statement by itself.
 *
 * Sub-statements of one statement see one snapshot, not each other's writes, so:
 * - the host rows are upserted with a no-op update: it inserts a free host and locks and returns
 *   a taken one (its owner decides, as the unique key decides a race of two first claims);
 * - the app/profile's own claims on the keys it claims again are kept (updated in place: new id,
 *   new time, as the delete and insert made them), the others deleted — deleting and re-inserting
 *   one key in one statement would collide with itself;
 * - a host the app/profile leaves is released when no claim but its own was on it;
 * - no claim is written on a host of another workspace: the claim's key to its host row
 *   (route_claims_host_fkey) would fail the statement before its outcome says why.
 */
/** Claims as the rows of a statement's `claim_wanted` (each with a new id): claimStatement's, and a record batch's (api/deployments/record-batch.ts). */
export function claimRows(claims: RouteClaim[]): { id: string; host: string; protocol: string; path_prefix: string }[] {
  return claims.map((c) => ({ id: `rcl_${ulid()}`, host: c.host, protocol: c.protocol, path_prefix: c.pathPrefix }));
}

export function claimStatement(request: Omit<ClaimRequest, 'appId'>, appId: { sql: string; params: unknown[] }): { ctes: string; cteParams: unknown[]; outcome: string; outcomeParams: unknown[] } {
  const { workspaceId, app, profile, claims } = request;
  const params: unknown[] = [];
  // appends a fragment's parameters in the order its placeholders appear
  const sql = (text: string, ...values: unknown[]) => { params.push(...values); return text; };
  const appSql = () => sql(appId.sql, ...appId.params);
  const wanted = claimRows(claims).map((c, i) => ({ k: i + 1, ...c }));
  const ctes = [
    sql(`claim_wanted as (select * from jsonb_to_recordset(?::jsonb) as x(k int, id text, host text, protocol text, path_prefix text))`, JSON.stringify(wanted)),
    // sorted (as JS sorts), so two deploys locking several hosts lock them in one order
    sql(`claim_hosts as (insert into route_hosts (host, workspace_id) select host, ?::text from (select distinct host from claim_wanted) d order by host collate "C"
       on conflict (host) do update set workspace_id = route_hosts.workspace_id returning host, workspace_id)`, workspaceId),
    `claim_freed as (delete from route_hosts h where h.workspace_id = ${sql('?::text', workspaceId)}
       and h.host in (select host from route_claims where workspace_id = ${sql('?::text', workspaceId)} and app_id = ${appSql()} and profile = ${sql('?::text', profile)}
                      except select host from claim_wanted)
       and not exists (select 1 from route_claims c where c.host = h.host and not (c.workspace_id = ${sql('?::text', workspaceId)} and c.app_id = ${appSql()} and c.profile = ${sql('?::text', profile)})))`,
    `claim_dropped as (delete from route_claims where workspace_id = ${sql('?::text', workspaceId)} and app_id = ${appSql()} and profile = ${sql('?::text', profile)}
       and (host, protocol, path_prefix) not in (select host, protocol, path_prefix from claim_wanted))`,
    `claim_taken as (insert into route_claims (id, host, protocol, path_prefix, workspace_id, app_id, app, profile)
       select id, host, protocol, path_prefix, ${sql('?::text', workspaceId)}, ${appSql()}, ${sql('?::text', app)}, ${sql('?::text', profile)} from claim_wanted
        where host in (select host from claim_hosts where workspace_id = ${sql('?::text', workspaceId)}) order by k
       on conflict (host, protocol, path_prefix) do update set id = excluded.id, created_at = now()
         where route_claims.workspace_id = excluded.workspace_id and route_claims.app_id = excluded.app_id and route_claims.profile = excluded.profile
       returning host, protocol, path_prefix)`,
  ].join(',\n');
  const cteParams = params.splice(0);
  const outcome = `(select host from claim_hosts where workspace_id <> ${sql('?::text', workspaceId)} order by host collate "C" limit 1) as claim_host_taken,
    (select json_build_object('host', w.host, 'protocol', w.protocol, 'pathPrefix', w.path_prefix, 'app', c.app, 'profile', c.profile)
       from claim_wanted w
       -- lateral, with limit 1 so the planner keeps it a lookup by key, made only for a route not
       -- taken (as a plain join, every deploy hashed all claims of all workspaces)
       left join lateral (select app, profile from route_claims c where c.host = w.host and c.protocol = w.protocol and c.path_prefix = w.path_prefix limit 1) c on true
      where not exists (select 1 from claim_taken t where t.host = w.host and t.protocol = w.protocol and t.path_prefix = w.path_prefix)
      order by w.k limit 1) as claim_route_taken`;
  return { ctes, cteParams, outcome, outcomeParams: params };
}

/** Throws the refusal a claim statement's outcome holds: a host of another workspace first, then the first route held by another app/profile. */
export async function refuseUntaken(em: EntityManager, outcome: ClaimOutcome): Promise<void> {
  if (outcome.claim_host_taken) throw hostTaken(outcome.claim_host_taken);
  if (!outcome.claim_route_taken) return;
  const refused = typeof outcome.claim_route_taken === 'string' ? JSON.parse(outcome.claim_route_taken) as Exclude<ClaimOutcome['claim_route_taken'], string | null> : outcome.claim_route_taken;
  const claim: RouteClaim = { host: refused.host, protocol: refused.protocol, pathPrefix: refused.pathPrefix };
  if (refused.app !== null && refused.profile !== null) throw routeTaken(claim, { app: refused.app, profile: refused.profile });
  // the holder committed after the statement's snapshot: a fresh read names it
  const holder = await em.execute<{ app: string; profile: string }[]>(`select app, profile from route_claims where host = ? and protocol = ? and path_prefix = ?`, [claim.host, claim.protocol, claim.pathPrefix]);
  throw routeTaken(claim, holder[0] ?? { app: 'another app', profile: '?' });
}

/** Destroying an app frees every claim it held, in all profiles, and the hosts left empty. */
export async function releaseAppClaims(em: EntityManager, workspaceId: string, appId: string): Promise<void> {
  const held = await em.execute<{ host: string }[]>(`select distinct host from route_claims where app_id = ?`, [appId]);
  await em.execute(`delete from route_claims where app_id = ?`, [appId]);
  await releaseEmptyHosts(em, workspaceId, held.map((r) => r.host));
}

/**
 * Each delete in a savepoint: another app of the workspace may have taken a route on the host
 * since this statement's snapshot, and the claim's key to the host row (route_claims_host_fkey)
 * then refuses the delete. That host is in use, so it is kept.
 */
async function releaseEmptyHosts(em: EntityManager, workspaceId: string, hosts: string[]): Promise<void> {
  for (const host of hosts) {
    try {
      await em.transactional((tx) => tx.execute(`delete from route_hosts h where h.host = ? and h.workspace_id = ? and not exists (select 1 from route_claims c where c.host = h.host)`, [host, workspaceId]));
    } catch (error) {
      if (!refusedByHostKey(error)) throw error;
    }
  }
}

/** The claims a release's loco.toml (read as `version`, when its release recorded one) makes in a profile (none for WORKER and CRON). */
export function claimsOfRelease(configText: string, profile: string, slug: string, version?: ConfigVersion): RouteClaim[] {
  return routeClaims(resolveForRender({ config: parseConfig(configText, 'loco.toml', version !== undefined ? { version } : {}), profile, workspace: slug }));
}
