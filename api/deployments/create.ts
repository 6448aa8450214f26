// Creating a deployment record: the app row on first deploy, idempotency (the same key and
// body give the same deployment; the same key with another body is a conflict), and the first
// event. The runner is kicked by the caller once the record exists.

import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from 'ulid';
import { LocoError } from '../../generator/errors.ts';
import { Deployment } from '../db/entities.ts';
import type { ChangeType, DeploymentStatus } from '../db/entities.ts';
import type { WorkspaceAccess } from '../auth/access.ts';
import type { Principal } from '../auth/authenticate.ts';
import { actorName } from '../auth/authenticate.ts';
import type { EventBus } from './bus.ts';
import { appendEvent } from './records.ts';
import { activeTraceRef } from './trace.ts';
import { claimsOfRelease, takeClaims } from '../routing/claims.ts';
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
 * in the same transaction: a claim refused (409) leaves no app row, no deployment and no event.
 * No git lock is held here; the runner takes that later, so the two never wait on each other.
 */
export async function createDeployment(em: EntityManager, bus: EventBus, input: NewDeployment): Promise<{ deployment: Deployment; created: boolean }> {
  // No look-up first: a repeated idempotency key fails the insert on deployments_idempotency_idx,
  // and the catch below answers with the deployment it made (or refuses a different body), so the
  // common first request costs no extra round trip.
  const claims = input.claims ?? claimsOfRelease(input.configText, input.profile, input.access.slug);
  let deployment: Deployment;
  try {
    deployment = await em.transactional(async (tx) => {
      const appId = await ensureApp(tx, input.access.workspaceId, input.app);
      await takeClaims(tx, { workspaceId: input.access.workspaceId, appId, app: input.app, profile: input.profile, claims });
      const row = tx.create(Deployment, {
        id: `dpl_${ulid()}`,
        workspaceId: input.access.workspaceId,
        appId,
        app: input.app,
        profile: input.profile,
        changeType: input.changeType,
        change: input.change ?? null,
        image: input.image,
        configText: input.configText,
        envFile: input.envFile ?? null,
        configDigest: input.configDigest,
        idempotencyKey: input.idempotencyKey ?? null,
        requestHash: input.requestHash ?? null,
        status: input.status ?? 'pending',
        reason: null,
        message: null,
        nextStep: null,
        commit: input.commit ?? null,
        actor: actorName(input.principal),
        actorUserId: input.principal.userId,
        confirmPrune: Boolean(input.confirmPrune),
        finishedAt: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        lastEventSeq: 0,
      });
      await tx.flush();
      // The request's trace (when tracing is on) goes on the first event: the deployment id leads to
      // the trace, and the runner continues it (trace.ts).
      const traceRef = activeTraceRef({ id: row.id, workspace: `${input.access.org}/${input.access.workspace}`, app: input.app, profile: input.profile });
      await appendEvent(tx, bus, row.id, { type: input.status ?? 'pending', message: input.summary, data: { change: input.changeType, ...(traceRef ? { trace: traceRef } : {}) } });
      return row;
    });
  } catch (error) {
    if (error instanceof LocoError) throw error;
    // a repeated idempotency key (a retry, or two requests with one key at once): answer with the
    // deployment it made (looked up after the failed transaction let go of its connection: PGlite has only one)
    const raced = input.idempotencyKey ? await byIdempotencyKey(em.fork(), input) : null;
    if (raced) return { deployment: raced, created: false };
    throw error;
  }
  bus.notify(deployment.id);
  return { deployment, created: true };
}
