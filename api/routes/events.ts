// A deployment's events: a JSON array, or Server-Sent Events with `Accept: text/event-stream`
// that follow the deployment until it ends (each event `id: <seq>`, `event: <type>`,
// `data: <Event JSON>`). A reconnecting client sends Last-Event-ID and gets only what it missed.
// The framing is a few lines of text, so it is written here rather than taken from a package.

import type { FastifyPluginAsync } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import { loadDeployment, loadDeploymentFollowing } from '../deployments/load.ts';
import { bindTenant, tenantOfDeployment } from '../http/request-log.ts';
import { eventsAfter, FOLLOWER_PAGE, followerRead } from '../deployments/records.ts';
import type { EventNotice } from '../deployments/bus.ts';
import { startReplicaPoll } from '../deployments/replica-poll.ts';
import { startSse } from '../http/sse.ts';
import { deploymentParams, problemResponses } from './schemas.ts';

/** Events written by another API replica are noticed by this poll; local ones reach followers at once. */
const REPLICA_POLL_MS = 2000;

const eventRoutes: FastifyPluginAsync = async (app) => {
  const stopPoll = startReplicaPoll(app.loco.em, app.loco.bus, app.loco.options.eventPollMs ?? REPLICA_POLL_MS, app.log);
  app.addHook('onClose', async () => stopPoll());
  app.get('/deployments/:id/events', {
    schema: {
      summary: 'Events of a deployment (SSE with Accept: text/event-stream, resumable with Last-Event-ID)',
      params: deploymentParams,
      querystring: { type: 'object', additionalProperties: false, properties: { after: { type: 'integer', minimum: 0 } } },
      headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{0,9}$' } } },
      response: { 200: { type: 'array', items: { $ref: 'Event#' } }, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { id } = request.params as { id: string };
    const em = app.loco.em();
    const lastEventId = request.headers['last-event-id'];
    let after = Number(lastEventId || (request.query as { after?: number }).after || 0);
    if (!String(request.headers.accept ?? '').includes('text/event-stream')) {
      const { deployment, access } = await loadDeployment(em, principal, id, 'read');
      bindTenant(request, reply, tenantOfDeployment(deployment, access));
      return eventsAfter(em, id, after, 10000);
    }

    // subscribed before the first read, so an event appended in between is queued, not missed
    const following = new AbortController();
    const follower = app.loco.bus.follow(id, following.signal);
    let loaded: Awaited<ReturnType<typeof loadDeploymentFollowing>>;
    try {
      await app.loco.deploysFirst.turn(following.signal);
      // the deployment, the caller's access and the first page of events in one statement
      loaded = await loadDeploymentFollowing(em, principal, id, after);
    } catch (error) {
      following.abort();
      throw error;
    }
    const { deployment, access, first } = loaded;
    bindTenant(request, reply, tenantOfDeployment(deployment, access));
    const sse = startSse(request, reply, 'following deployment events');
    sse.gone.addEventListener('abort', () => following.abort(), { once: true });
    try {
      let read = true;
      let preloaded: typeof first | undefined = first;
      while (!sse.gone.aborted) {
        if (read) {
          const state = preloaded ?? await followerRead(em, id, after);
          preloaded = undefined;
          if (state) for (const event of state.events) send(event);
          if (!state || (state.finished && after >= state.lastSeq)) break;
          if (state.events.length === FOLLOWER_PAGE) continue; // a long backlog: read the next page at once
        }
        // A notice that follows on from what was sent goes out as it is, with no query. Anything
        // else — a bare wake-up, a gap, the replica poll saying the deployment is further on than
        // what was sent (events this process did not see) — falls back to the read, which is what
        // decides; events at or before `after` are dropped.
        const notice = await follower.next();
        read = !notice || !sendNotice(notice);
        if (!read && notice!.finished && after >= notice!.lastSeq) break;
      }
    } catch (error) {
      request.log.error({ err: error }, 'event stream failed'); // the request's logger names the deployment
    } finally {
      sse.end(); // aborts sse.gone, which unsubscribes the follower
    }

    function send(event: { seq: number; type: string }): void {
      sse.send(event.type, event, event.seq);
      after = event.seq;
    }

    /** Sends the notice's new events; false when they do not follow on from `after` or leave it short of the notice's last seq (read then). */
    function sendNotice(notice: EventNotice): boolean {
      const fresh = notice.events.filter((e) => e.seq > after);
      if (fresh.some((e, i) => e.seq !== after + 1 + i)) return false;
      fresh.forEach(send);
      return after >= notice.lastSeq;
    }
  });
};

export default eventRoutes;
