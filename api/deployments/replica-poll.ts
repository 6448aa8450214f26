// Followers here learn of events another API replica wrote from one poll for all of them: every
// interval, one query reads where each followed deployment stands (its last seq, whether it has
// finished), and the bus hands that to its followers; a follower that is behind reads its events.
// Events this process writes reach followers at once over the bus and need no poll.

import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type { EventBus } from './bus.ts';

/** Starts the poll; the returned function stops it, once a poll in flight is done (the database closes next). */
export function startReplicaPoll(em: () => EntityManager, bus: EventBus, intervalMs: number, log: FastifyBaseLogger): () => Promise<void> {
  let running: Promise<void> | undefined;
  const poll = async () => {
    const ids = bus.followed();
    if (running || ids.length === 0) return;
    running = read(ids);
    await running;
  };
  const read = async (ids: string[]) => {
    try {
      const rows = await em().execute<{ id: string; last_event_seq: number; finished: boolean }[]>(
        `select id, last_event_seq, finished_at is not null as finished from deployments where id in (select jsonb_array_elements_text(?::jsonb))`,
        [JSON.stringify(ids)],
      );
      const standing = new Set<string>();
      for (const row of rows) {
        standing.add(row.id);
        bus.publish(row.id, { events: [], finished: Boolean(row.finished), lastSeq: Number(row.last_event_seq) });
      }
      // a deployment that is gone (its workspace was deleted): its followers read, find nothing and end
      for (const id of ids) if (!standing.has(id)) bus.notify(id);
    } catch (error) {
      log.warn({ err: error }, 'the event followers\' replica poll failed; it runs again next interval');
    } finally {
      running = undefined;
    }
  };
  const timer = setInterval(() => void poll(), intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
