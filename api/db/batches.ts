// Work of concurrent requests gathered into shared statements (in deployments/: the deploy's
// record, record-batch.ts; its access read, deploy-read.ts; an event stream's first read,
// load.ts). On the embedded PGlite most of a statement's cost is per statement, not per row, and
// it runs on the API's event loop; on PostgreSQL each is a round trip. In a burst (CI fanning out,
// 200 deploys at once) the requests' statements would otherwise queue for the database one by one.
//
// The first item that finds the queue idle waits for the I/O callbacks of the current turn of the
// event loop (one setImmediate): a request's statements may all resolve in microtasks (PGlite
// answers in-process), so the requests of a burst would otherwise each run to their end before
// the next one starts, and never wait side by side. Items that arrive while a batch runs go in
// the next one. On a database of one connection (the embedded PGlite), where statements queue
// anyway, a burst is gathered for a moment longer: the first item that arrives within BURST_MS of
// the last batch waits GATHER_MS for others (measured in bench:deploy's first burst, PGlite:
// main-thread CPU to the last 202 520/650/560/450 -> 500/430/330/380 ms with 10 and 3 ms; then
// 20 and 5 ms against those, p99 to 202 418/402/418/484 -> 396/336/406/444 ms). With a pool the
// statements overlap, and waiting only adds latency (PostgreSQL: p99 to 202 a little worse).

import type { EntityManager } from '@mikro-orm/postgresql';

export interface BatchPolicy<T> {
  /** The oldest waiting items that may share a statement (at least one), and the rest, in order. */
  take(queue: T[]): { batch: T[]; rest: T[] };
  /** Runs one batch; settles each of its items. */
  run(batch: T[]): Promise<void>;
  /** `run` threw before it settled its items (no EntityManager: the database is closing). */
  fail(item: T, error: unknown): void;
}

/** A batch that ended less than this long ago means the items are coming in a burst. */
const BURST_MS = 20;
/** In a burst, how long the first waiting item lets others join it. */
const GATHER_MS = 5;

export class BatchQueue<T> {
  readonly #policy: BatchPolicy<T>;
  #queue: T[] = [];
  #running = false;
  /** When the last batch ended (performance.now()). */
  #lastEnded = Number.NEGATIVE_INFINITY;
  readonly #gather: boolean;

  /** `gather`: wait GATHER_MS for others in a burst (a database of one connection, `oneConnection`). */
  constructor(policy: BatchPolicy<T>, gather = false) {
    this.#policy = policy;
    this.#gather = gather;
  }

  add(item: T): void {
    this.#queue.push(item);
    if (this.#running) return;
    this.#running = true;
    if (this.#gather && performance.now() - this.#lastEnded < BURST_MS) setTimeout(() => void this.#drain(), GATHER_MS);
    else setImmediate(() => void this.#drain());
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const { batch, rest } = this.#policy.take(this.#queue);
        this.#queue = rest;
        try {
          await this.#policy.run(batch);
        } catch (error) {
          for (const item of batch) this.#policy.fail(item, error);
        }
      }
    } finally {
      this.#running = false;
      this.#lastEnded = performance.now();
    }
  }
}

/** The oldest `max` items, for batches whose items never conflict. */
export function oldest<T>(queue: T[], max: number): { batch: T[]; rest: T[] } {
  return { batch: queue.slice(0, max), rest: queue.slice(max) };
}

/**
 * One `T` per database (its MikroORM driver, which every fork shares), made with an
 * EntityManager of its own: not the first caller's, whose identity map would live as long as
 * the batcher. A batcher only runs statements through it (executePrepared) and maps no entity,
 * so one fork serves all.
 */
export function perDatabase<T>(make: (em: () => EntityManager, oneConnection: boolean) => T): (em: EntityManager) => T {
  const made = new WeakMap<object, T>();
  return (em) => {
    const driver = em.getDriver();
    let it = made.get(driver);
    if (it === undefined) {
      const root = em.fork();
      made.set(driver, (it = make(() => root, em.config.get('pool')?.max === 1)));
    }
    return it;
  };
}

type Row = Record<string, unknown>;

/** A read waiting for its row. */
interface WaitingRead<I> {
  input: I;
  done: (row: Row | undefined) => void;
  failed: (error: unknown) => void;
}

/**
 * Reads of concurrent requests answered by one statement. `read(em, inputs)` answers the row of
 * each input that has one, by its index (k); each waiter gets its own row, as if read alone a
 * moment later. A shared statement that fails is read again input by input, so each caller
 * hears its own error.
 */
export class SharedReads<I> {
  readonly #em: () => EntityManager;
  readonly #read: (em: EntityManager, inputs: I[]) => Promise<Map<number, Row>>;
  readonly #queue: BatchQueue<WaitingRead<I>>;
  /** For tests: reads answered by a shared statement, and reads of a failed shared statement read again alone. */
  readonly stats = { shared: 0, readAgain: 0 };

  constructor(em: () => EntityManager, oneConnection: boolean, read: (em: EntityManager, inputs: I[]) => Promise<Map<number, Row>>, max = 64) {
    this.#em = em;
    this.#read = read;
    this.#queue = new BatchQueue({ take: (queue) => oldest(queue, max), run: (batch) => this.#run(batch), fail: (w, error) => w.failed(error) }, oneConnection);
  }

  /** The row of `input` as `em` reads it: inside the caller's transaction alone (the read belongs to it), else shared. */
  async row(em: EntityManager, input: I): Promise<Row | undefined> {
    if (em.isInTransaction()) return (await this.#read(em, [input])).get(0);
    return new Promise((done, failed) => this.#queue.add({ input, done, failed }));
  }

  /** Plans the statement on a connection: run with no inputs, it reads nothing (deploy-statements.ts). */
  async prepare(em: EntityManager): Promise<void> {
    await this.#read(em, []);
  }

  async #run(batch: WaitingRead<I>[]): Promise<void> {
    const em = this.#em();
    if (batch.length > 1) {
      try {
        const rows = await this.#read(em, batch.map((w) => w.input));
        batch.forEach((w, k) => w.done(rows.get(k)));
        this.stats.shared += batch.length;
        return;
      } catch {
        this.stats.readAgain += batch.length;
      }
    }
    for (const w of batch) {
      try {
        w.done((await this.#read(em, [w.input])).get(0));
      } catch (error) {
        w.failed(error);
      }
    }
  }
}

/** The rows of a shared read's statement by their `k` column (dropped from each row). */
export function rowsByK(rows: Row[]): Map<number, Row> {
  return new Map(rows.map(({ k, ...row }) => [k as number, row]));
}
