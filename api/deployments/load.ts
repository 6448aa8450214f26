// Finding a deployment by id for a caller: a deployment of a workspace the caller cannot see
// answers exactly like a missing one.

import type { EntityDictionary, EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import { executePrepared } from '../db/prepared.ts';
import { accessFromRow, authorize, WORKSPACE_SELECT, workspaceSelect, type AccessOptions, type Need, type WorkspaceAccess } from '../auth/access.ts';
import { perDatabase, rowsByK, SharedReads } from '../db/batches.ts';
import type { Principal } from '../auth/authenticate.ts';
import { Deployment } from '../db/entities.ts';
import { eventFromRow, FOLLOWER_PAGE, type DeploymentFields, type FollowerState } from './records.ts';

export function deploymentNotFound(id: string): LocoError {
  return new LocoError('not-found.deployment', `deployment ${id} was not found`, 'see an app\'s deployments with `loco history <app>`');
}

// The deployment and its workspace as the principal may see it (access.ts's own select, joined
// laterally), in one statement: every status read, event list and rollback asks this; an SSE
// follower asks the same with its first page of events, shared with others (FOLLOWERS_SQL).
const WITH_ACCESS = `from deployments d join lateral (${WORKSPACE_SELECT} where w.id = d.workspace_id) a on true
   where d.id = ?`;
const DEPLOYMENT_WITH_ACCESS = `select d.*, to_jsonb(a) as access ${WITH_ACCESS}`;

/** A deployment as loadDeployment answers it: the row's fields, not an entity the EntityManager manages. */
export type LoadedDeployment = DeploymentFields & Pick<Deployment, 'envFile'>;

export async function loadDeployment(em: EntityManager, principal: Principal, id: string, need: Need): Promise<{ deployment: LoadedDeployment; access: WorkspaceAccess }> {
  const rows = await executePrepared(em, DEPLOYMENT_WITH_ACCESS, [principal.userId, principal.userId, id]);
  if (rows.length === 0) throw deploymentNotFound(id);
  return fromRow(em, principal, id, need, rows[0]);
}

/**
 * Followers' first reads (k, after, user_id, id): each deployment with its access and its first
 * page of events after `after` (what followerRead answers), in one statement for the event
 * streams that start together (db/batches.ts: after a burst of deploys, each `loco deploy` opens
 * its stream; a lone start was ~0.25–0.4 ms of WebAssembly on the embedded database).
 */
const FOLLOWERS_SQL = `select q.k, d.*, to_jsonb(a) as access,
         (select coalesce(jsonb_agg(to_jsonb(e) order by e.seq), '[]'::jsonb)
            from (select deployment_id, seq, time, type, message, data from events
                   where deployment_id = d.id and seq > q.after order by seq limit ${FOLLOWER_PAGE}) e) as backlog
    from jsonb_to_recordset(?::jsonb) as q(k int, after int, user_id text, id text)
    join deployments d on d.id = q.id
    join lateral (${workspaceSelect('q.user_id')} where w.id = d.workspace_id) a on true`;

interface FollowerRead { afterSeq: number; userId: string; id: string }

async function followerRows(em: EntityManager, reads: FollowerRead[]): Promise<Map<number, Record<string, unknown>>> {
  const input = reads.map((r, k) => ({ k, after: r.afterSeq, user_id: r.userId, id: r.id }));
  return rowsByK(await executePrepared(em, FOLLOWERS_SQL, [JSON.stringify(input)]));
}

const followersFor = perDatabase((em, oneConnection) => new SharedReads(em, oneConnection, followerRows));

/**
 * loadDeployment for a follower that reads the events next: the deployment, its access and its
 * first page of events in one statement (an event stream's start was two round trips), shared
 * with the streams that start beside it.
 */
export async function loadDeploymentFollowing(em: EntityManager, principal: Principal, id: string, afterSeq: number): Promise<{ deployment: LoadedDeployment; access: WorkspaceAccess; first: FollowerState }> {
  const found = await followersFor(em).row(em, { afterSeq, userId: principal.userId, id });
  if (!found) throw deploymentNotFound(id);
  const { backlog, ...row } = found;
  const loaded = fromRow(em, principal, id, 'read', row);
  const events = (typeof backlog === 'string' ? JSON.parse(backlog) : backlog) as Record<string, unknown>[];
  return { ...loaded, first: { events: events.map(eventFromRow), finished: row.finished_at !== null, lastSeq: Number(row.last_event_seq) } };
}

/** How many followers' first reads this database answered in shared statements, and how many it read again alone (tests). */
export function followerReadStats(em: EntityManager): Readonly<SharedReads<FollowerRead>['stats']> {
  return followersFor(em).stats;
}

function fromRow(em: EntityManager, principal: Principal, id: string, need: Need, row: Record<string, unknown>): { deployment: LoadedDeployment; access: WorkspaceAccess } {
  const { access: workspace, ...columns } = row;
  // mapped, not merged into the identity map (em.map): no caller changes it through the
  // EntityManager, and the merge was ~0.16 ms of every event stream's start (bench/request-path)
  const deployment = em.getDriver().mapResult(columns as EntityDictionary<Deployment>, em.getMetadata().get(Deployment)) as LoadedDeployment;
  const hidden = () => deploymentNotFound(id);
  const visible = accessFromRow(workspace as Record<string, unknown>);
  if (!visible) throw hidden();
  return { deployment, access: authorize(principal, visible, need, deployTokenReach(deployment, need), hidden) };
}

/** A deploy token reads the deployments of its app and profile; changing one (rollback) needs a personal token. */
function deployTokenReach(deployment: LoadedDeployment, need: Need): AccessOptions {
  return need === 'read' ? { deployTokenApp: deployment.app, deployTokenProfile: deployment.profile } : {};
}

/** Plans the followers' shared read on a connection: run with no reads, it reads nothing (deploy-statements.ts). */
export async function prepareFollowerReads(em: EntityManager): Promise<void> {
  await followersFor(em).prepare(em);
}
