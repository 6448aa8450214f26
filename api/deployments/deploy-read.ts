// A deploy's one read before its insert: the caller's access to the workspace (workspaceAccess)
// together with the custom domains its hosts need (hostDomains), once two round trips. In a
// burst the reads of concurrent deploys share one statement (db/batches.ts): on the embedded
// PGlite a lone read was ~0.35–0.55 ms of WebAssembly on the API's event loop, most of it per
// statement, and 200 of them queued in front of every 202.
//
// A shared read answers each deploy with its own row (k), as if read alone a moment later; a
// shared statement that fails is read again deploy by deploy, so each hears its own error.

import type { EntityManager } from '@mikro-orm/postgresql';
import { accessOfRow, workspaceSelect, type AccessOptions, type Need, type WorkspaceAccess } from '../auth/access.ts';
import type { Principal } from '../auth/authenticate.ts';
import { BatchQueue, oldest, perDatabase } from '../db/batches.ts';
import { executePrepared } from '../db/prepared.ts';
import { domainColumns, domainsFromRow, type HostDomains } from '../routing/custom-domains.ts';

interface Read {
  userId: string;
  org: string;
  workspace: string;
  hosts: string[];
}

interface Waiting {
  read: Read;
  done: (row: Record<string, unknown> | undefined) => void;
  failed: (error: unknown) => void;
}

/** The most reads one statement answers. */
const READ_MAX = 64;

/** The reads `input` (a jsonb array of k, user_id, org, ws, hosts), one row per visible workspace, with its k. */
const READS_SQL = `select q.k, a.*, ${domainColumns({ sql: 'a.id', params: [] }, { sql: 'q.hosts' }).sql}
  from jsonb_to_recordset(?::jsonb) as q(k int, user_id text, org text, ws text, hosts jsonb)
  cross join lateral (${workspaceSelect('q.user_id')} where o.name = q.org and w.name = q.ws) a`;

async function readRows(em: EntityManager, reads: Read[]): Promise<Map<number, Record<string, unknown>>> {
  const input = reads.map((r, k) => ({ k, user_id: r.userId, org: r.org, ws: r.workspace, hosts: r.hosts }));
  const rows = await executePrepared(em, READS_SQL, [JSON.stringify(input)]);
  return new Map(rows.map((row) => [row.k as number, row]));
}

class DeployReads {
  readonly #em: () => EntityManager;
  readonly #queue: BatchQueue<Waiting>;
  /** For tests: reads answered by a shared statement, and reads of a failed shared statement read again alone. */
  readonly stats = { shared: 0, readAgain: 0 };

  constructor(em: () => EntityManager, oneConnection: boolean) {
    this.#em = em;
    this.#queue = new BatchQueue<Waiting>({ take: (queue) => oldest(queue, READ_MAX), run: (batch) => this.#run(batch), fail: (w, error) => w.failed(error) }, oneConnection);
  }

  row(read: Read): Promise<Record<string, unknown> | undefined> {
    return new Promise((done, failed) => this.#queue.add({ read, done, failed }));
  }

  async #run(batch: Waiting[]): Promise<void> {
    const em = this.#em();
    if (batch.length > 1) {
      try {
        const rows = await readRows(em, batch.map((w) => w.read));
        batch.forEach((w, k) => w.done(rows.get(k)));
        this.stats.shared += batch.length;
        return;
      } catch {
        // read again one by one below: each deploy hears its own error
        this.stats.readAgain += batch.length;
      }
    }
    for (const w of batch) {
      try {
        w.done((await readRows(em, [w.read])).get(0));
      } catch (error) {
        w.failed(error);
      }
    }
  }
}

const readsFor = perDatabase((em, oneConnection) => new DeployReads(em, oneConnection));

/** workspaceAccess (404/403 as it answers them) for `org/ws`, with the HostDomains of `hosts`. */
export async function accessWithHostDomains(em: EntityManager, principal: Principal, org: string, workspace: string, hosts: string[], need: Need, options: AccessOptions):
  Promise<{ access: WorkspaceAccess; domains: HostDomains }> {
  const read = { userId: principal.userId, org, workspace, hosts };
  // inside a caller's transaction the read belongs to it
  const row = em.isInTransaction() ? (await readRows(em, [read])).get(0) : await readsFor(em).row(read);
  const access = accessOfRow(principal, row, org, workspace, need, options);
  return { access, domains: domainsFromRow(row!) };
}

/** How many deploy reads this database's batcher answered in shared statements, and how many it read again alone (tests). */
export function deployReadStats(em: EntityManager): Readonly<DeployReads['stats']> {
  return readsFor(em).stats;
}

/** Plans the shared read on a connection: run with no reads, it reads nothing (deploy-statements.ts). */
export async function prepareDeployReads(em: EntityManager): Promise<void> {
  await readRows(em, []);
}
