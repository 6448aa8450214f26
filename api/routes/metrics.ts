// GET /metrics: Loco's own metrics in the Prometheus text format (api/metrics.ts). Outside
// /api/v1 and outside user authentication, as scrapers expect; LOCO_METRICS_TOKEN, when set,
// is the bearer token a scraper must send (the Helm chart's NetworkPolicy can fence it instead).

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { LocoError } from '../../generator/errors.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

const metricsRoutes: FastifyPluginAsync = async (app) => {
  const expected = app.loco.options.metricsToken ? digest(`Bearer ${app.loco.options.metricsToken}`) : undefined;
  app.get('/metrics', {
    config: { public: true },
    schema: { summary: "Loco's own metrics (Prometheus text format)", tags: ['operations'], operationId: 'getMetrics', hide: true },
  }, async (request, reply) => {
    if (expected && !timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
      throw new LocoError('auth.metrics-token', 'GET /metrics needs the metrics token', 'send Authorization: Bearer <LOCO_METRICS_TOKEN> (set in the scrape config)');
    }
    const { registry } = app.loco.metrics;
    reply.type(registry.contentType);
    return registry.metrics();
  });
};

export default metricsRoutes;
