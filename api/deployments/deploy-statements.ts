// The shared statements of a burst of deploys (deploy-read.ts, record-batch.ts, and the event
// streams' first read, load.ts), planned once at start, before the API listens. Their first
// parse and plan is large (the record batch is a CTE of a dozen parts): on the embedded PGlite,
// where it runs in WebAssembly on the event loop, it was 37–60 ms for the record batch and
// 18–25 ms for the read, paid inside the first burst after a start while every deploy of it
// waited. Run with empty input, each reads and writes nothing.
//
// On PostgreSQL this plans them on one connection of the pool; the others plan on first use, on
// the server's cores, not the API's.

import type { EntityManager } from '@mikro-orm/postgresql';
import { prepareDeployReads } from './deploy-read.ts';
import { prepareFollowerReads } from './load.ts';
import { prepareRecordBatch } from './record-batch.ts';

export async function prepareDeployStatements(em: EntityManager): Promise<void> {
  await prepareDeployReads(em);
  await prepareRecordBatch(em);
  await prepareFollowerReads(em);
}
