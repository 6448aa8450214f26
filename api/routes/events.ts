// A deployment's events: a JSON array, or Server-Sent Events with `Accept: text/event-stream`
// that follow the deployment until it ends (each event `id: <seq>`, `event: <type>`,
// `data: <Event JSON>`). A reconnecting client sends Last-Event-ID and gets only what it missed.
// The framing is a few lines of text, so it is written here rather than taken from a package.

import type { FastifyPluginAsync } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import { loadDeployment } from '../deployments/load.ts';
import { bindTenant, tenantOfDeployment } from '../http/request-log.ts';
import { eventsAfter } from '../deployments/records.ts';
import { startSse } from '../http/sse.ts';
import { deploymentParams, problemResponses } from './schemas.ts';

/** Events written by another API replica are noticed by this poll; local ones wake followers at once. */
const REPLICA_POLL_MS = 2000;

const eventRoutes: FastifyPluginAsync = async (app) => {
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
    const { deployment, access } = await loadDeployment(em, principal, id, 'read');
    bindTenant(request, reply, tenantOfDeployment(deployment, access));
    const lastEventId = request.headers['last-event-id'];
    let after = Number(lastEventId || (request.query as { after?: number }).after || 0);
    if (!String(request.headers.accept ?? '').includes('text/event-stream')) return eventsAfter(em, id, after, 10000);

    const sse = startSse(request, reply, 'following deployment events');
    try {
      while (!sse.gone.aborted) {
        // subscribe before reading, so an event appended in between still wakes us
        const woke = app.loco.bus.wait(id, REPLICA_POLL_MS, sse.gone);
        const rows = await em.execute<{ finished_at: unknown; last_event_seq: number }[]>(`select finished_at, last_event_seq from deployments where id = ?`, [id]);
        const events = await eventsAfter(em, id, after);
        for (const event of events) {
          sse.send(event.type, event, event.seq);
          after = event.seq;
        }
        const state = rows[0];
        if (!state || (state.finished_at && after >= Number(state.last_event_seq))) break;
        if (events.length < 500) await woke;
      }
    } catch (error) {
      request.log.error({ err: error }, 'event stream failed'); // the request's logger names the deployment
    } finally {
      sse.end();
    }
  });
};

export default eventRoutes;
