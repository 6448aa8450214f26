// GET /orgs/:org/workspaces/:ws/dora?since=30d: the workspace's DORA figures per app and
// profile (api/dora/compute.ts says what each one counts).

import type { FastifyPluginAsync } from 'fastify';
import { LocoError } from '../../generator/errors.ts';
import { workspaceAccess } from '../auth/access.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { computeDora } from '../dora/compute.ts';
import { releaseRecords } from '../dora/records.ts';
import { problemResponses, workspaceParams } from './schemas.ts';

const UNITS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const MAX_MS = 366 * 86_400_000;

/** `30d`, `12h`, `2w` back from now, or an ISO date; a year at most. */
export function windowStart(since: string, now: Date): Date {
  const relative = /^(\d{1,4})([hdw])$/.exec(since);
  const start = relative ? new Date(now.getTime() - Number(relative[1]) * UNITS[relative[2]]) : new Date(since);
  if (Number.isNaN(start.getTime()) || !/^(\d{1,4}[hdw]|\d{4}-\d{2}-\d{2}.*)$/.test(since)) {
    throw new LocoError('usage.since', `since=${JSON.stringify(since)} is not a window`, 'use a number of hours, days or weeks back (12h, 30d, 2w) or a date (2026-11-01)');
  }
  if (now.getTime() - start.getTime() > MAX_MS) throw new LocoError('usage.since', `since=${since} reaches back more than a year`, 'use a window of at most 366d');
  return start;
}

const figures = {
  type: 'object',
  properties: {
    app: { type: 'string' }, profile: { type: 'string' }, deployments: { type: 'integer' }, deploymentFrequencyPerDay: { type: 'number' },
    leadTimeSeconds: { type: 'number', nullable: true }, changeFailures: { type: 'integer' }, changeFailureRate: { type: 'number', nullable: true },
    restores: { type: 'integer' }, timeToRestoreSeconds: { type: 'number', nullable: true },
  },
} as const;

const doraRoutes: FastifyPluginAsync = async (app) => {
  app.get('/orgs/:org/workspaces/:ws/dora', {
    schema: {
      summary: 'DORA figures per app and profile over a window: deployment frequency, lead time, change failure rate, time to restore',
      tags: ['audit'],
      operationId: 'getDora',
      params: workspaceParams,
      querystring: { type: 'object', additionalProperties: false, properties: { since: { type: 'string', maxLength: 40, default: '30d' } } },
      response: {
        200: { type: 'object', properties: { since: { type: 'string' }, until: { type: 'string' }, days: { type: 'number' }, total: figures, apps: { type: 'array', items: figures } } },
        ...problemResponses,
      },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws } = request.params as { org: string; ws: string };
    const { since } = request.query as { since: string };
    const now = new Date();
    const start = windowStart(since, now);
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'read');
    return computeDora(await releaseRecords(em, access.workspaceId, start), { since: start, until: now });
  });
};

export default doraRoutes;
