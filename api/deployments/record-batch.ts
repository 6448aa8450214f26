// Deploy records of concurrent requests, written by one statement. In a burst (CI fanning out,
// 200 deploys at once) the record statements queue for the database; on the embedded PGlite
// each one runs its WebAssembly on the API's event loop, and most of its cost is per statement,
// not per row (measured warm, per deployment: 0.98–1.27 ms as single statements, the same
// inserts without the claims 0.49–0.53 ms, and 0.13–0.19 ms for them ten to a statement).
//
// The batch is an optimisation that must never change an answer, so:
// - records wait side by side in a BatchQueue (db/batches.ts: a lone deploy waits for one
//   setImmediate); those that arrive together, or while a statement runs, go together;
// - a batch holds deployments that cannot touch each other's rows: distinct apps, and disjoint
//   hosts wanted. What it writes is then what the same records written one after the other would
//   write. Where they still meet — a host one deployment leaves and another takes (of another
//   workspace: refused by the snapshot; of the same one: the host row stays, as a release and a
//   new claim would leave it), a concurrent replica — the statement is refused or fails, or ends
//   as the serial writes would (test/api/record-batch.test.ts);
// - a batch that fails wrote nothing (one statement), and each of its records is then written
//   alone, in request order, by the single statement, whose refusal or error is the answer.

import type { EntityManager } from '@mikro-orm/postgresql';
import { BatchQueue } from '../db/batches.ts';
import { executePrepared } from '../db/prepared.ts';
import type { claimRows } from '../routing/claims.ts';

/** A record waiting to be written: the parts of the batch statement, and how to write it alone. */
export interface PendingRecord {
  /** (workspace, app): two records of one app never share a batch. */
  appKey: string;
  /** The hosts its claims want (a batch's are disjoint). */
  hosts: string[];
  /** The deployment's id (its row in the batch statement's answer). */
  id: string;
  /** Its parts of the batch statement, made only when it shares one: its row of `input` (batchRow in create.ts) and its claims as rows of `claim_wanted` (k is set by the batch). */
  parts: () => { row: Record<string, unknown>; claims: ReturnType<typeof claimRows> };
  /** Writes it by itself: the single statement, with its own refusals and retries. */
  alone: (em: EntityManager) => Promise<Record<string, unknown>>;
}

interface Waiting {
  record: PendingRecord;
  done: (row: Record<string, unknown>) => void;
  failed: (error: unknown) => void;
}

/** The most records one statement writes. */
const BATCH_MAX = 32;

/** The oldest waiting records that may share a statement; the others keep their places. */
function disjoint(queue: Waiting[]): { batch: Waiting[]; rest: Waiting[] } {
  const batch: Waiting[] = [];
  const rest: Waiting[] = [];
  const apps = new Set<string>();
  const hosts = new Set<string>();
  for (const waiting of queue) {
    const { appKey, hosts: wanted } = waiting.record;
    // once one record is left behind, later records of its app or hosts must wait too: keep
    // everything from the first conflict on for the next statement, in order
    const fits = batch.length < BATCH_MAX && rest.length === 0 && !apps.has(appKey) && !wanted.some((h) => hosts.has(h));
    if (!fits) {
      rest.push(waiting);
      continue;
    }
    batch.push(waiting);
    apps.add(appKey);
    for (const h of wanted) hosts.add(h);
  }
  return { batch, rest };
}

export class RecordBatcher {
  readonly #em: () => EntityManager;
  readonly #queue: BatchQueue<Waiting>;
  /** For tests: records written in shared statements, and records of a failed shared statement written again alone. */
  readonly stats = { batched: 0, fellBack: 0 };

  constructor(em: () => EntityManager, oneConnection = false) {
    this.#em = em;
    this.#queue = new BatchQueue<Waiting>({ take: disjoint, run: (batch) => this.#writeBatch(batch), fail: (w, error) => w.failed(error) }, oneConnection);
  }

  /** Writes the record, alone or with others that wait beside it; its row, or the error of writing it alone. */
  write(record: PendingRecord): Promise<Record<string, unknown>> {
    return new Promise((done, failed) => this.#queue.add({ record, done, failed }));
  }

  async #writeBatch(batch: Waiting[]): Promise<void> {
    const em = this.#em();
    let alone = batch;
    if (batch.length > 1) {
      try {
        const statement = batchStatement(batch.map((w) => w.record));
        const rows = await executePrepared(em, statement.sql, statement.params);
        const byId = new Map(rows.map((r) => [r.id as string, r]));
        // every record has its row; should one not (its app row missing from the join), it was not
        // written, and is written alone below
        alone = [];
        for (const w of batch) {
          const row = byId.get(w.record.id);
          if (row) w.done(row);
          else alone.push(w);
        }
        this.stats.batched += batch.length - alone.length;
      } catch {
        // refused, raced or failed: the statement wrote nothing; each record is written alone below
      }
      this.stats.fellBack += alone.length;
    }
    for (const w of alone) {
      try {
        w.done(await w.record.alone(em));
      } catch (error) {
        w.failed(error);
      }
    }
  }
}

const INPUT_COLUMNS = `k int, id text, new_app_id text, workspace_id text, app text, profile text, change_type text, change jsonb, image text, config_text text,
  env_file text, config_digest text, idempotency_key text, request_hash text, status text, commit text, actor text, actor_user_id text,
  confirm_prune boolean, created_at timestamptz, last_event_seq int, events jsonb`;

/**
 * The statement for a batch: the single record statement of create.ts (recordStatement) and the
 * claims of routing/claims.ts (claimStatement), set-based over the batch's deployments. Any
 * refusal raises loco_refuse, which undoes the statement; the records are then written alone,
 * and the single statement says which one was refused and why.
 */
function batchStatement(records: PendingRecord[]): { sql: string; params: unknown[] } {
  const parts = records.map((r) => r.parts());
  const input = parts.map((p, k) => ({ ...p.row, k }));
  const wanted = parts.flatMap((p, k) => p.claims.map((c, n) => ({ ...c, k, n })));
  const sql = `with input as (select * from jsonb_to_recordset(?::jsonb) as x(${INPUT_COLUMNS})),
    app_row as (insert into apps (id, workspace_id, name) select new_app_id, workspace_id, app from input order by k
      on conflict (workspace_id, name) do update set name = excluded.name returning id, workspace_id, name),
    d as (select i.*, a.id as app_id from input i join app_row a on a.workspace_id = i.workspace_id and a.name = i.app),
    claim_wanted as (select * from jsonb_to_recordset(?::jsonb) as x(k int, n int, id text, host text, protocol text, path_prefix text)),
    claim_hosts as (insert into route_hosts (host, workspace_id)
      select h.host, h.workspace_id from (select distinct w.host, i.workspace_id from claim_wanted w join input i on i.k = w.k) h order by h.host collate "C"
      on conflict (host) do update set workspace_id = route_hosts.workspace_id returning host, workspace_id),
    claim_freed as (delete from route_hosts h using d
      where h.workspace_id = d.workspace_id
        and h.host in (select c.host from route_claims c where c.workspace_id = d.workspace_id and c.app_id = d.app_id and c.profile = d.profile
                       except select w.host from claim_wanted w where w.k = d.k)
        and not exists (select 1 from route_claims c where c.host = h.host and not (c.workspace_id = d.workspace_id and c.app_id = d.app_id and c.profile = d.profile))),
    claim_dropped as (delete from route_claims rc using d
      where rc.workspace_id = d.workspace_id and rc.app_id = d.app_id and rc.profile = d.profile
        and (rc.host, rc.protocol, rc.path_prefix) not in (select w.host, w.protocol, w.path_prefix from claim_wanted w where w.k = d.k)),
    claim_taken as (insert into route_claims (id, host, protocol, path_prefix, workspace_id, app_id, app, profile)
      select w.id, w.host, w.protocol, w.path_prefix, d.workspace_id, d.app_id, d.app, d.profile from claim_wanted w join d on d.k = w.k
       where w.host in (select ch.host from claim_hosts ch where ch.workspace_id = d.workspace_id) order by w.k, w.n
      on conflict (host, protocol, path_prefix) do update set id = excluded.id, created_at = now()
        where route_claims.workspace_id = excluded.workspace_id and route_claims.app_id = excluded.app_id and route_claims.profile = excluded.profile
      returning host, protocol, path_prefix),
    dpl as (insert into deployments (id, workspace_id, app_id, app, profile, change_type, change, image, config_text, env_file, config_digest, idempotency_key, request_hash,
                                     status, commit, actor, actor_user_id, confirm_prune, created_at, updated_at, last_event_seq)
      select id, workspace_id, app_id, app, profile, change_type, change, image, config_text, env_file, config_digest, idempotency_key, request_hash,
             status, commit, actor, actor_user_id, confirm_prune, created_at, created_at, last_event_seq from d order by k
      returning *),
    evt as (insert into events (deployment_id, seq, time, type, message, data)
      select dpl.id, e.k, clock_timestamp(), e.type, e.message, e.data from dpl join input i on i.id = dpl.id
        cross join jsonb_to_recordset(i.events) as e(k int, type text, message text, data jsonb) order by i.k, e.k),
    refused as (select exists (select 1 from claim_hosts ch join claim_wanted w on w.host = ch.host join input i on i.k = w.k where ch.workspace_id <> i.workspace_id)
                    or exists (select 1 from claim_wanted w where not exists (select 1 from claim_taken t where t.host = w.host and t.protocol = w.protocol and t.path_prefix = w.path_prefix)) as any)
    select dpl.* from dpl, refused where case when refused.any then loco_refuse('{"batch":true}'::jsonb) else true end`;
  return { sql, params: [JSON.stringify(input), JSON.stringify(wanted)] };
}

/** Plans the batch statement on a connection: run with no records, it writes nothing (deploy-statements.ts). */
export async function prepareRecordBatch(em: EntityManager): Promise<void> {
  const statement = batchStatement([]);
  await executePrepared(em, statement.sql, statement.params);
}
