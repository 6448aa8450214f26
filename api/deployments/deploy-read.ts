// A deploy's one read before its insert: the caller's access to the workspace (workspaceAccess)
// together with the custom domains its hosts need (hostDomains), once two round trips. In a
// burst the reads of concurrent deploys share one statement (db/batches.ts): on the embedded
// PGlite a lone read was ~0.35–0.55 ms of WebAssembly on the API's event loop, most of it per
// statement, and 200 of them queued in front of every 202.
//
// Each deploy gets its own row, and its own error should the shared statement fail (SharedReads).

import type { EntityManager } from '@mikro-orm/postgresql';
import { accessOfRow, workspaceSelect, type AccessOptions, type Need, type WorkspaceAccess } from '../auth/access.ts';
import type { Principal } from '../auth/authenticate.ts';
import { perDatabase, rowsByK, SharedReads } from '../db/batches.ts';
import { executePrepared } from '../db/prepared.ts';
import { domainColumns, domainsFromRow, type HostDomains } from '../routing/custom-domains.ts';

interface Read {
  userId: string;
  org: string;
  workspace: string;
  hosts: string[];
}

/** The reads `input` (a jsonb array of k, user_id, org, ws, hosts), one row per visible workspace, with its k. */
const READS_SQL = `select q.k, a.*, ${domainColumns({ sql: 'a.id', params: [] }, { sql: 'q.hosts' }).sql}
  from jsonb_to_recordset(?::jsonb) as q(k int, user_id text, org text, ws text, hosts jsonb)
  cross join lateral (${workspaceSelect('q.user_id')} where o.name = q.org and w.name = q.ws) a`;

async function readRows(em: EntityManager, reads: Read[]): Promise<Map<number, Record<string, unknown>>> {
  const input = reads.map((r, k) => ({ k, user_id: r.userId, org: r.org, ws: r.workspace, hosts: r.hosts }));
  return rowsByK(await executePrepared(em, READS_SQL, [JSON.stringify(input)]));
}

const readsFor = perDatabase((em, oneConnection) => new SharedReads(em, oneConnection, readRows));

/** workspaceAccess (404/403 as it answers them) for `org/ws`, with the HostDomains of `hosts`. */
export async function accessWithHostDomains(em: EntityManager, principal: Principal, org: string, workspace: string, hosts: string[], need: Need, options: AccessOptions):
  Promise<{ access: WorkspaceAccess; domains: HostDomains }> {
  const row = await readsFor(em).row(em, { userId: principal.userId, org, workspace, hosts });
  const access = accessOfRow(principal, row, org, workspace, need, options);
  return { access, domains: domainsFromRow(row!) };
}

/** How many deploy reads this database's batcher answered in shared statements, and how many it read again alone (tests). */
export function deployReadStats(em: EntityManager): Readonly<SharedReads<Read>['stats']> {
  return readsFor(em).stats;
}

/** Plans the shared read on a connection: run with no reads, it reads nothing (deploy-statements.ts). */
export async function prepareDeployReads(em: EntityManager): Promise<void> {
  await readsFor(em).prepare(em);
}
