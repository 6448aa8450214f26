// Finding a deployment by id for a caller: a deployment of a workspace the caller cannot see
// answers exactly like a missing one.

import type { EntityDictionary, EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import { executePrepared } from '../db/prepared.ts';
import { accessFromRow, authorize, WORKSPACE_SELECT, type AccessOptions, type Need, type WorkspaceAccess } from '../auth/access.ts';
import type { Principal } from '../auth/authenticate.ts';
import { Deployment } from '../db/entities.ts';
import { eventFromRow, FOLLOWER_PAGE, type DeploymentFields, type FollowerState } from './records.ts';

export function deploymentNotFound(id: string): LocoError {
  return new LocoError('not-found.deployment', `deployment ${id} was not found`, 'see an app\'s deployments with `loco history <app>`');
}

// The deployment and its workspace as the principal may see it (access.ts's own select, joined
// laterally), in one statement: every status read, event list and rollback asks this; an SSE
// follower asks it with its first page of events (DEPLOYMENT_WITH_BACKLOG).
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

/** The first page of events after `afterSeq`, read with the deployment (what followerRead answers). */
const DEPLOYMENT_WITH_BACKLOG = `select d.*, to_jsonb(a) as access,
         (select coalesce(jsonb_agg(to_jsonb(e) order by e.seq), '[]'::jsonb)
            from (select deployment_id, seq, time, type, message, data from events
                   where deployment_id = d.id and seq > ? order by seq limit ${FOLLOWER_PAGE}) e) as backlog
    ${WITH_ACCESS}`;

/**
 * loadDeployment for a follower that reads the events next: the deployment, its access and its
 * first page of events in one statement (an event stream's start was two round trips, each
 * ~0.3 ms on the embedded database, 200 times over in a burst of deploys).
 */
export async function loadDeploymentFollowing(em: EntityManager, principal: Principal, id: string, afterSeq: number): Promise<{ deployment: LoadedDeployment; access: WorkspaceAccess; first: FollowerState }> {
  const rows = await executePrepared(em, DEPLOYMENT_WITH_BACKLOG, [afterSeq, principal.userId, principal.userId, id]);
  if (rows.length === 0) throw deploymentNotFound(id);
  const { backlog, ...row } = rows[0];
  const loaded = fromRow(em, principal, id, 'read', row);
  const events = (typeof backlog === 'string' ? JSON.parse(backlog) : backlog) as Record<string, unknown>[];
  return { ...loaded, first: { events: events.map(eventFromRow), finished: row.finished_at !== null, lastSeq: Number(row.last_event_seq) } };
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
