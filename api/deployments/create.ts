// Creating a deployment record: the app row on first deploy, idempotency (the same key and
// body give the same deployment; the same key with another body is a conflict), and the first
// event. The runner is kicked by the caller once the record exists.

import { createHash } from 'node:crypto';
import type { EntityDictionary, EntityManager } from '@mikro-orm/postgresql';
import { ulid } from '../ids.ts';
import { LocoError } from '../../generator/errors.ts';
import { Deployment } from '../db/entities.ts';
import { executePrepared } from '../db/prepared.ts';
import { perDatabase } from '../db/batches.ts';
import { RecordBatcher } from './record-batch.ts';
import type { ChangeType, DeploymentStatus } from '../db/entities.ts';
import type { WorkspaceAccess } from '../auth/access.ts';
import type { Principal } from '../auth/authenticate.ts';
import { actorName } from '../auth/authenticate.ts';
import type { EventBus } from './bus.ts';
import type { DeploymentFields, NewEvent } from './records.ts';
import { activeTraceRef } from './trace.ts';
import { claimRows, claimStatement, claimsOfRelease, refuseUntaken, retryClaimRaces, type ClaimOutcome } from '../routing/claims.ts';
import type { RouteClaim } from '../../generator/index.ts';

export interface NewDeployment {
  access: WorkspaceAccess;
  principal: Principal;
  app: string;
  profile: string;
  changeType: ChangeType;
  change?: Record<string, unknown> | null;
  image: string;
  configText: string;
  envFile?: string | null;
  configDigest: string;
  idempotencyKey?: string;
  /** Hash of what the request asked for, compared when the idempotency key repeats. */
  requestHash?: string;
  confirmPrune?: boolean;
  /** Promotions create deployments for a commit already made (a merged pull request). */
  status?: Extract<DeploymentStatus, 'pending' | 'committed'>;
  commit?: string;
  /** The route claims of configText in the profile, when the caller has them already (api/routing/claims.ts). */
  claims?: RouteClaim[];
  /** Shown as the first event. */
  summary: string;
  /** Events after the first, recorded with the deployment (a deploy's config warnings and image events). */
  events?: NewEvent[];
}

export function requestHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

export async function ensureApp(em: EntityManager, workspaceId: string, name: string): Promise<string> {
  // one round trip: the no-op update makes `returning` answer for an existing row too (and waits
  // for a concurrent first insert of the same app instead of missing it)
  const rows = await em.execute<{ id: string }[]>(
    `insert into apps (id, workspace_id, name) values (?, ?, ?) on conflict (workspace_id, name) do update set name = excluded.name returning id`,
    [`app_${ulid()}`, workspaceId, name]);
  return rows[0].id;
}

async function byIdempotencyKey(em: EntityManager, input: NewDeployment): Promise<Deployment | null> {
  if (!input.idempotencyKey) return null;
  const existing = await em.findOne(Deployment, { workspaceId: input.access.workspaceId, idempotencyKey: input.idempotencyKey });
  if (existing && existing.requestHash !== (input.requestHash ?? null)) {
    throw new LocoError('conflict.idempotency-key', `idempotency key ${input.idempotencyKey} was already used for a different request (${existing.id})`, 'use a new idempotency key for a different deployment');
  }
  return existing;
}

/**
 * Creates the deployment (or returns the one this idempotency key made), taking its route claims
 * in the same statement: a claim refused (409) leaves no app row, no deployment and no event.
 * No git lock is held here; the runner takes that later, so the two never wait on each other.
 *
 * One statement does it all (app row, claims, deployment, its events) and is atomic by itself, so
 * the common deploy costs one round trip, with no begin and commit around it: at 200 deploys at
 * once each round trip is CPU on the API's event loop (and on PGlite, the query itself).
 */
export async function createDeployment(em: EntityManager, bus: EventBus, input: NewDeployment): Promise<{ deployment: DeploymentFields; created: boolean }> {
  // No look-up first: a repeated idempotency key fails the insert on deployments_idempotency_idx,
  // and the catch below answers with the deployment it made (or refuses a different body), so the
  // common first request costs no extra round trip.
  const claims = input.claims ?? claimsOfRelease(input.configText, input.profile, input.access.slug);
  const id = `dpl_${ulid()}`;
  // The request's trace (when tracing is on) goes on the first event: the deployment id leads to
  // the trace, and the runner continues it (trace.ts).
  const traceRef = activeTraceRef({ id, workspace: `${input.access.org}/${input.access.workspace}`, app: input.app, profile: input.profile });
  const events: NewEvent[] = [
    { type: input.status ?? 'pending', message: input.summary, data: { change: input.changeType, ...(traceRef ? { trace: traceRef } : {}) } },
    ...(input.events ?? []),
  ];
  // one clock for both, as the entity's onCreate gave them
  const now = new Date().toISOString();
  const appId = `app_${ulid()}`;
  let deployment: DeploymentFields;
  try {
    const alone = async (db: EntityManager) => {
      const statement = recordStatement(input, { id, appId, now }, claims, events);
      return (await executePrepared(db, statement.sql, statement.params))[0];
    };
    // inside a caller's transaction, a savepoint keeps a refused or repeated deploy from aborting it;
    // outside one, the record may share a statement with concurrent ones (record-batch.ts)
    const row = em.isInTransaction()
      ? await retryClaimRaces(() => em.transactional(alone))
      : await batcherFor(em).write({
        appKey: `${input.access.workspaceId}/${input.app}`,
        hosts: [...new Set(claims.map((c) => c.host))],
        id,
        parts: () => ({
          row: batchRow(input, { id, appId, now }, events),
          claims: claimRows(claims),
        }),
        alone: (db) => retryClaimRaces(() => alone(db)),
      });
    // the row as the entity's fields, not a managed entity: nothing changes it through this
    // EntityManager, and em.map's identity-map merge was ~0.5 ms of a ~6 ms deploy request
    deployment = em.getDriver().mapResult(row as EntityDictionary<Deployment>, em.getMetadata().get(Deployment)) as DeploymentFields;
  } catch (error) {
    if (error instanceof LocoError) throw error;
    const refused = refusal(error);
    if (refused) await refuseUntaken(em, refused);
    // a repeated idempotency key (a retry, or two requests with one key at once): answer with the
    // deployment it made (looked up after the failed transaction let go of its connection: PGlite has only one)
    const raced = input.idempotencyKey ? await byIdempotencyKey(em.fork(), input) : null;
    if (raced) return { deployment: raced, created: false };
    throw error;
  }
  bus.notify(deployment.id);
  return { deployment, created: true };
}

/**
 * The statement that records a deployment: the app row (first deploy), the route claims
 * (claimStatement), the deployment row and its events numbered 1..n, so last_event_seq starts at n.
 * Its main select answers the deployment row, or, when a claim was refused, raises loco_refuse
 * with the claims' outcome, which undoes everything the statement wrote.
 */
function recordStatement(input: NewDeployment, ids: RecordIds, claims: RouteClaim[], events: NewEvent[]): { sql: string; params: unknown[] } {
  const { id, appId, now } = ids;
  const workspaceId = input.access.workspaceId;
  const claimSql = claimStatement({ workspaceId, app: input.app, profile: input.profile, claims }, { sql: '(select id from app_row)', params: [] });
  const sql = `with app_row as (insert into apps (id, workspace_id, name) values (?, ?, ?) on conflict (workspace_id, name) do update set name = excluded.name returning id),
    ${claimSql.ctes},
    dpl as (insert into deployments (id, workspace_id, app_id, app, profile, change_type, change, image, config_text, env_file, config_digest, idempotency_key, request_hash,
                                     status, commit, actor, actor_user_id, confirm_prune, created_at, updated_at, last_event_seq)
      select ?::text, ?::text, app_row.id, ?::text, ?::text, ?::text, ?::jsonb, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text,
             ?::text, ?::text, ?::text, ?::text, ?::boolean, ?::timestamptz, ?::timestamptz, ?::int from app_row
      returning *),
    evt as (insert into events (deployment_id, seq, time, type, message, data)
      select dpl.id, e.k, clock_timestamp(), e.type, e.message, e.data from dpl cross join jsonb_to_recordset(?::jsonb) as e(k int, type text, message text, data jsonb) order by e.k),
    outcome as (select ${claimSql.outcome})
    select dpl.* from dpl, outcome
     where case when outcome.claim_host_taken is null and outcome.claim_route_taken is null then true else loco_refuse(to_jsonb(outcome)) end`;
  const params = [
    appId, workspaceId, input.app,
    ...claimSql.cteParams,
    id, workspaceId, input.app, input.profile, input.changeType, input.change ? JSON.stringify(input.change) : null, input.image, input.configText, input.envFile ?? null,
    input.configDigest, input.idempotencyKey ?? null, input.requestHash ?? null,
    input.status ?? 'pending', input.commit ?? null, actorName(input.principal), input.principal.userId, Boolean(input.confirmPrune), now, now, events.length,
    JSON.stringify(eventRows(events)),
    ...claimSql.outcomeParams,
  ];
  return { sql, params };
}

/** What a record is written with, the same whether it goes alone or in a batch. */
interface RecordIds {
  id: string;
  /** The app row's id, should this deploy create it. */
  appId: string;
  /** created_at and updated_at. */
  now: string;
}

/** The record as a row of the batch statement's input (record-batch.ts), holding what recordStatement's parameters hold. */
function batchRow(input: NewDeployment, ids: RecordIds, events: NewEvent[]): Record<string, unknown> {
  return {
    id: ids.id, new_app_id: ids.appId, workspace_id: input.access.workspaceId, app: input.app, profile: input.profile, change_type: input.changeType,
    change: input.change ?? null, image: input.image, config_text: input.configText, env_file: input.envFile ?? null, config_digest: input.configDigest,
    idempotency_key: input.idempotencyKey ?? null, request_hash: input.requestHash ?? null, status: input.status ?? 'pending', commit: input.commit ?? null,
    actor: actorName(input.principal), actor_user_id: input.principal.userId, confirm_prune: Boolean(input.confirmPrune), created_at: ids.now,
    last_event_seq: events.length, events: eventRows(events),
  };
}

/** A deployment's first events as rows numbered 1..n (last_event_seq is n), for either statement. */
function eventRows(events: NewEvent[]): { k: number; type: string; message: string; data: unknown }[] {
  return events.map((e, i) => ({ k: i + 1, type: e.type, message: e.message, data: e.data ?? null }));
}

/** One record batcher per database. */
const batcherFor = perDatabase((em, oneConnection) => new RecordBatcher(em, oneConnection));

/** SQLSTATE of loco_refuse (api/db/migrations/Migration20261202030000_refuse.ts). */
const REFUSED_SQLSTATE = 'LC409';

/** The claims' outcome a statement refused with (loco_refuse's detail), or undefined for any other error. */
function refusal(error: unknown): ClaimOutcome | undefined {
  const { code, detail } = error as { code?: string; detail?: string };
  if (code !== REFUSED_SQLSTATE || typeof detail !== 'string') return undefined;
  return JSON.parse(detail) as ClaimOutcome;
}

/** How many deploy records this database's batcher wrote in shared statements, and how many it had to write again alone (tests). */
export function recordBatchStats(em: EntityManager): Readonly<RecordBatcher['stats']> {
  return batcherFor(em).stats;
}
