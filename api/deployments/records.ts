// Deployment records and their events. Event sequence numbers come from a counter on the
// deployment row, bumped in the same statement that inserts the event, so concurrent writers
// (the tracker, a superseding deployment) never collide and followers can resume by number.

import { executePrepared } from '../db/prepared.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Deployment, DeploymentStatus } from '../db/entities.ts';
import { workspaceSlug } from '../../generator/names.ts';
import type { EventBus } from './bus.ts';
import type { EventJson } from './event-json.ts';
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

/** What a deployment says when no Argo CD follows it. */
export const NO_ARGOCD = 'No Argo CD is configured (LOCO_ARGOCD_URL is unset), so Loco does not follow the rollout: the deployment ends at committed.';

export const ACTIVE_STATUSES: DeploymentStatus[] = ['pending', 'committed', 'syncing', 'progressing'];

const iso = (value: unknown): string => new Date(value as string).toISOString();

/** The fields of a deployment its JSON is made of: an entity, or a row as createDeployment maps it. */
export type DeploymentFields = Pick<Deployment, 'id' | 'workspaceId' | 'app' | 'profile' | 'changeType' | 'status' | 'reason' | 'message' | 'nextStep'
  | 'image' | 'configDigest' | 'configText' | 'commit' | 'actor' | 'createdAt' | 'updatedAt' | 'finishedAt'>;

/** `known.url`: the caller resolved the config already (a deploy's checks), so it is not parsed again here. */
export function deploymentJson(d: DeploymentFields, org: string, workspace: string, known?: { url: string | undefined }): DeploymentJson {
  const url = d.changeType === 'delete' ? undefined : known ? known.url : releaseUrl(d.configText, d.profile, workspaceSlug(org, workspace));
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

export function eventFromRow(row: Record<string, unknown>): EventJson {
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

/** Inserts an event with the next sequence number; says whether the deployment had finished (as this statement saw it). */
async function insertEvent(em: EntityManager, deploymentId: string, event: NewEvent): Promise<{ appended: EventJson; finished: boolean }> {
  const rows = await executePrepared(em,
    `with s as (update deployments set last_event_seq = last_event_seq + 1, updated_at = now() where id = ? returning last_event_seq, finished_at),
          e as (insert into events (deployment_id, seq, time, type, message, data)
                select ?, last_event_seq, clock_timestamp(), ?, ?, ?::jsonb from s
                returning deployment_id, seq, time, type, message, data)
     select e.*, s.finished_at is not null as finished from e, s`,
    [deploymentId, deploymentId, event.type, event.message, event.data ? JSON.stringify(event.data) : null],
  );
  return { appended: eventFromRow(rows[0]), finished: Boolean(rows[0].finished) };
}

/**
 * Appends an event (next sequence number) and hands it to the followers of the deployment. Inside
 * a transaction it tells nobody — the event could still roll back, and before the commit a
 * follower's read would not see it — so the transaction's owner notifies after its commit.
 */
export async function appendEvent(em: EntityManager, bus: EventBus, deploymentId: string, event: NewEvent): Promise<EventJson> {
  const { appended, finished } = await insertEvent(em, deploymentId, event);
  if (!em.isInTransaction()) bus.publish(deploymentId, { events: [appended], finished, lastSeq: appended.seq });
  return appended;
}

export async function eventsAfter(em: EntityManager, deploymentId: string, afterSeq: number, limit = 500): Promise<EventJson[]> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `select deployment_id, seq, time, type, message, data from events where deployment_id = ? and seq > ? order by seq limit ?`,
    [deploymentId, afterSeq, limit],
  );
  return rows.map(eventFromRow);
}

/** The most events a follower reads at once. */
export const FOLLOWER_PAGE = 500;

export interface FollowerState {
  events: EventJson[];
  finished: boolean;
  lastSeq: number;
}

/** What a follower reads, in one snapshot: the events after `afterSeq` and whether the deployment has ended; undefined when it is gone. */
export async function followerRead(em: EntityManager, deploymentId: string, afterSeq: number, limit = FOLLOWER_PAGE): Promise<FollowerState | undefined> {
  const rows = await executePrepared(em,
    `select d.finished_at is not null as finished, d.last_event_seq, e.deployment_id, e.seq, e.time, e.type, e.message, e.data
       from deployments d
       left join lateral (select deployment_id, seq, time, type, message, data from events where deployment_id = d.id and seq > ? order by seq limit ?) e on true
      where d.id = ?
      order by e.seq`,
    [afterSeq, limit, deploymentId],
  );
  if (rows.length === 0) return undefined;
  return { events: rows.filter((r) => r.seq !== null).map(eventFromRow), finished: Boolean(rows[0].finished), lastSeq: Number(rows[0].last_event_seq) };
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
  const result = await em.transactional(async (tx) => {
    const rows = await executePrepared(tx,
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
    return { row: rows[0], ...(await insertEvent(tx, deploymentId, event)) };
  });
  if (!result) return false;
  const { row: changed, appended, finished } = result;
  // committed now — unless the caller's own transaction holds this one, which could still roll back
  if (em.isInTransaction()) bus.notify(deploymentId);
  else bus.publish(deploymentId, { events: [appended], finished, lastSeq: appended.seq });
  bus.statusChanged({
    deploymentId,
    workspace: String(changed.workspace), app: String(changed.app), profile: String(changed.profile), changeType: String(changed.change_type),
    status: change.status, reason: change.reason ?? null, finished: Boolean(change.finished),
    sinceRequestSeconds: Number(changed.since_request),
    ...(changed.since_commit === null || changed.since_commit === undefined ? {} : { sinceCommitSeconds: Number(changed.since_commit) }),
  });
  return true;
}

/**
 * Events of many deployments in one statement; `k` numbers each deployment's events from 1, in
 * order. Returns the inserted rows, by deployment and seq, each with whether its deployment had finished.
 */
async function insertEvents(em: EntityManager, events: { deployment_id: string; k: number; type: string; message: string; data: unknown }[]): Promise<Record<string, unknown>[]> {
  if (events.length === 0) return [];
  // each deployment's counter moves by its number of events; the events take the numbers in between
  return executePrepared(em,
    `with input as (select * from jsonb_to_recordset(?::jsonb) as x(deployment_id text, k int, type text, message text, data jsonb)),
          counts as (select deployment_id, count(*)::int as n from input group by deployment_id),
          bumped as (update deployments d set last_event_seq = d.last_event_seq + c.n, updated_at = now() from counts c where d.id = c.deployment_id returning d.id, d.last_event_seq, c.n, d.finished_at),
          inserted as (insert into events (deployment_id, seq, time, type, message, data)
            select i.deployment_id, b.last_event_seq - b.n + i.k, clock_timestamp(), i.type, i.message, i.data from input i join bumped b on b.id = i.deployment_id order by i.deployment_id, i.k
            returning deployment_id, seq, time, type, message, data)
     select inserted.*, b.finished_at is not null as finished from inserted join bumped b on b.id = inserted.deployment_id order by inserted.deployment_id, inserted.seq`,
    [JSON.stringify(events)],
  );
}

/** appendEvent for many deployments' events at once (a group commit's preflight findings): one statement, then the followers get them. */
export async function appendEvents(em: EntityManager, bus: EventBus, items: { deploymentId: string; event: NewEvent }[]): Promise<void> {
  const k = new Map<string, number>();
  const rows = items.map(({ deploymentId, event }) => {
    const n = (k.get(deploymentId) ?? 0) + 1;
    k.set(deploymentId, n);
    return { deployment_id: deploymentId, k: n, type: event.type, message: event.message, data: event.data ?? null };
  });
  publishAppended(em, bus, [...k.keys()], await insertEvents(em, rows));
}

/** One deployment's part of a batch: events appended first (`rendered`), then its status change and event. */
export interface BatchStatusChange {
  deploymentId: string;
  before?: NewEvent[];
  change: StatusChange;
  event: NewEvent;
}

/**
 * changeStatus for a group commit's deployments: their status changes in one statement, then all
 * their events (the `before` ones of every deployment, the status event of those that changed) in
 * one more, in one transaction. Returns the ids whose status changed (the rest had finished).
 */
export async function changeStatuses(em: EntityManager, bus: EventBus, items: BatchStatusChange[]): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const rows = await em.transactional(async (tx) => {
    const updates = items.map((i) => ({
      id: i.deploymentId, status: i.change.status, reason: i.change.reason ?? null, message: i.change.message ?? null, next_step: i.change.nextStep ?? null,
      commit: i.change.commit ?? null, finished: Boolean(i.change.finished), finished_at: i.change.finishedAt?.toISOString() ?? null,
    }));
    const changed = await executePrepared(tx,
      `with input as (select * from jsonb_to_recordset(?::jsonb) as x(id text, status text, reason text, message text, next_step text, commit text, finished boolean, finished_at timestamptz))
       update deployments d set status = i.status, reason = coalesce(i.reason, d.reason), message = coalesce(i.message, d.message), next_step = coalesce(i.next_step, d.next_step),
              commit = coalesce(i.commit, d.commit), finished_at = case when i.finished then coalesce(i.finished_at, now()) else d.finished_at end, updated_at = now(),
              lease_owner = case when i.finished then null else d.lease_owner end, lease_expires_at = case when i.finished then null else d.lease_expires_at end
         from input i
        where d.id = i.id and d.finished_at is null
        returning d.id, d.app, d.profile, d.change_type,
          (select o.name || '/' || w.name from workspaces w join orgs o on o.id = w.org_id where w.id = d.workspace_id) as workspace,
          extract(epoch from now() - d.created_at) as since_request`,
      [JSON.stringify(updates)],
    );
    const ids = new Set(changed.map((r) => String(r.id)));
    const events = items.flatMap((i) => [...(i.before ?? []), ...(ids.has(i.deploymentId) ? [i.event] : [])].map((e, k) => ({
      deployment_id: i.deploymentId, k: k + 1, type: e.type, message: e.message, data: e.data ?? null,
    })));
    return { changed, appended: await insertEvents(tx, events) };
  });
  const changedIds = new Set<string>();
  for (const row of rows.changed) {
    const id = String(row.id);
    changedIds.add(id);
    const item = items.find((i) => i.deploymentId === id)!;
    bus.statusChanged({
      deploymentId: id, workspace: String(row.workspace), app: String(row.app), profile: String(row.profile), changeType: String(row.change_type),
      status: item.change.status, reason: item.change.reason ?? null, finished: Boolean(item.change.finished), sinceRequestSeconds: Number(row.since_request),
    });
  }
  publishAppended(em, bus, items.map((i) => i.deploymentId), rows.appended);
  return changedIds;
}

/** Hands each deployment's committed events to its followers (a bare notify when a caller's transaction holds ours). */
function publishAppended(em: EntityManager, bus: EventBus, ids: string[], rows: Record<string, unknown>[]): void {
  const byDeployment = Map.groupBy(rows, (r) => String(r.deployment_id));
  for (const id of new Set(ids)) {
    const mine = byDeployment.get(id);
    if (!mine || em.isInTransaction()) {
      bus.notify(id);
      continue;
    }
    const events = mine.map(eventFromRow);
    bus.publish(id, { events, finished: Boolean(mine[0].finished), lastSeq: events[events.length - 1].seq });
  }
}
