// Record ids: ULIDs (time first, so ids sort by creation), whose randomness comes from a pooled
// buffer. ulid's own generator asks the OS for one byte per character — 16 calls per id, a few
// ids per deploy — which showed in the profile of a burst of deploys.

import { randomFillSync } from 'node:crypto';
import { ulid as ulidOf } from 'ulid';

const pool = new Uint8Array(4096);
let at = pool.length;

function pooledRandom(): number {
  if (at === pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  return pool[at++] / 256;
}

/** A new ULID (as `ulid()` of the ulid package, drawing on the pool). */
export function ulid(): string {
  return ulidOf(undefined, pooledRandom);
}
