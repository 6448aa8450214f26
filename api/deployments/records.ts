// Deployment records and their events. Event sequence numbers come from a counter on the
// deployment row, bumped in the same statement that inserts the event, so concurrent writers
// (the tracker, a superseding deployment) never collide and followers can resume by number.

import type { EntityManager } from '@mikro-orm/postgresql';
import type { Deployment, DeploymentStatus } from '../db/entities.ts';
import { workspaceSlug } from '../../generator/names.ts';
import type { EventBus } from './bus.ts';
import { releaseUrl } from './app-url.ts';

export interface DeploymentJson {
  id: string;
  org: string;
  workspace: string;
  app: string;
  profile: string;
  change: string;
  status: DeploymentStatus;
  reason?: string;
  message?: string;
  nextStep?: string;
  image: string;
  configDigest: string;
  commit?: string;
  /** Public URL of the app in this profile, as this deployment's loco.toml routes it. */
  url?: string;
  actor: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface EventJson {
  seq: number;
  deploymentId: string;
  time: string;
  type: string;
  message: string;
  data?: Record<string, unknown>;
}

/** What a deployment says when no Argo CD follows it. */
export const NO_ARGOCD = 'No Argo CD is configured (LOCO_ARGOCD_URL is unset), so Loco does not follow the rollout: the deployment ends at committed.';

export const ACTIVE_STATUSES: DeploymentStatus[] = ['pending', 'committed', 'syncing', 'progressing'];

const iso = (value: unknown): string => new Date(value as string).toISOString();

export function deploymentJson(d: Deployment, org: string, workspace: string): DeploymentJson {
  const url = d.changeType === 'delete' ? undefined : releaseUrl(d.configText, d.profile, workspaceSlug(org, workspace));
  return {
    id: d.id,
    org,
    workspace,
    app: d.app,
    profile: d.profile,
    change: d.changeType,
    status: d.status,
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.message ? { message: d.message } : {}),
    ...(d.nextStep ? { nextStep: d.nextStep } : {}),
    image: d.image,
    configDigest: d.configDigest,
    ...(d.commit ? { commit: d.commit } : {}),
    ...(url ? { url } : {}),
    actor: d.actor,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
    ...(d.finishedAt ? { finishedAt: iso(d.finishedAt) } : {}),
  };
}

function eventFromRow(row: Record<string, unknown>): EventJson {
  return {
    seq: Number(row.seq),
    deploymentId: row.deployment_id as string,
    time: iso(row.time),
    type: row.type as string,
    message: row.message as string,
    ...(row.data ? { data: (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Record<string, unknown> } : {}),
  };
}

export interface NewEvent {
  type: string;
  message: string;
  data?: Record<string, unknown>;
}

/** Appends an event (next sequence number) and wakes the followers of the deployment. */
export async function appendEvent(em: EntityManager, bus: EventBus, deploymentId: string, event: NewEvent): Promise<EventJson> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `with s as (update deployments set last_event_seq = last_event_seq + 1, updated_at = now() where id = ? returning last_event_seq)
     insert into events (deployment_id, seq, time, type, message, data)
     select ?, last_event_seq, clock_timestamp(), ?, ?, ?::jsonb from s
     returning deployment_id, seq, time, type, message, data`,
    [deploymentId, deploymentId, event.type, event.message, event.data ? JSON.stringify(event.data) : null],
  );
  bus.notify(deploymentId);
  return eventFromRow(rows[0]);
}

export async function eventsAfter(em: EntityManager, deploymentId: string, afterSeq: number, limit = 500): Promise<EventJson[]> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `select deployment_id, seq, time, type, message, data from events where deployment_id = ? and seq > ? order by seq limit ?`,
    [deploymentId, afterSeq, limit],
  );
  return rows.map(eventFromRow);
}

export interface StatusChange {
  status: DeploymentStatus;
  reason?: string | null;
  message?: string | null;
  nextStep?: string | null;
  commit?: string;
  /** Marks the outcome final (terminal). */
  finished?: boolean;
  /** When it finished (default: the transaction's time); the same time git's outcome note says. */
  finishedAt?: Date;
}

/**
 * Moves an unfinished deployment to a new status and appends the matching event, in one
 * transaction. Returns false (and writes nothing) when the deployment had already finished —
 * e.g. it was superseded while its tracker was still reporting.
 */
export async function changeStatus(em: EntityManager, bus: EventBus, deploymentId: string, change: StatusChange, event: NewEvent): Promise<boolean> {
  const changed = await em.transactional(async (tx) => {
    const rows = await tx.execute<Record<string, unknown>[]>(
      `update deployments set status = ?, reason = coalesce(?, reason), message = coalesce(?, message), next_step = coalesce(?, next_step),
              commit = coalesce(?, commit), finished_at = case when ? then coalesce(?::timestamptz, now()) else finished_at end, updated_at = now(),
              lease_owner = case when ? then null else lease_owner end, lease_expires_at = case when ? then null else lease_expires_at end
        where id = ? and finished_at is null
        returning id, app, profile, change_type,
          (select o.name || '/' || w.name from workspaces w join orgs o on o.id = w.org_id where w.id = deployments.workspace_id) as workspace,
          extract(epoch from now() - created_at) as since_request,
          (select extract(epoch from now() - min(e.time)) from events e where e.deployment_id = deployments.id and e.type = 'committed') as since_commit`,
      [change.status, change.reason ?? null, change.message ?? null, change.nextStep ?? null, change.commit ?? null,
        Boolean(change.finished), change.finishedAt?.toISOString() ?? null, Boolean(change.finished), Boolean(change.finished), deploymentId],
    );
    if (rows.length === 0) return undefined;
    await appendEvent(tx, bus, deploymentId, event);
    return rows[0];
  });
  if (!changed) return false;
  bus.notify(deploymentId);
  bus.statusChanged({
    deploymentId,
    workspace: String(changed.workspace), app: String(changed.app), profile: String(changed.profile), changeType: String(changed.change_type),
    status: change.status, reason: change.reason ?? null, finished: Boolean(change.finished),
    sinceRequestSeconds: Number(changed.since_request),
    ...(changed.since_commit === null || changed.since_commit === undefined ? {} : { sinceCommitSeconds: Number(changed.since_commit) }),
  });
  return true;
}
