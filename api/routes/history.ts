// The workspace's history: git commits (newest first) with their trailers, read from the history
// index (api/history/history-index.ts), joined with what the database knows of each deployment's
// outcome and promotion (PR, approver).

import type { FastifyPluginAsync } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import { workspaceAccess } from '../auth/access.ts';
import { outcomeOf, type OutcomeNote } from '../gitops/index.ts';
import { indexedHistory } from '../history/history-index.ts';
import { name, problemResponses, workspaceParams } from './schemas.ts';

const entrySchema = {
  type: 'object',
  properties: {
    commit: { type: 'string' }, parents: { type: 'array', items: { type: 'string' } }, time: { type: 'string' }, subject: { type: 'string' },
    author: { type: 'string' }, actor: { type: 'string' }, app: { type: 'string' }, profile: { type: 'string' }, change: { type: 'string' },
    image: { type: 'string' }, configDigest: { type: 'string' }, deploymentId: { type: 'string' },
    outcome: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' }, finishedAt: { type: 'string' },
    pullRequest: { type: 'object', properties: { number: { type: 'integer' }, url: { type: 'string' }, status: { type: 'string' }, approver: { type: 'string' } } },
  },
} as const;

/**
 * A deployment's outcome from its database row, or else from git's note: the row's approver
 * when the approving user still exists, else the name the approvals (or the note) keep.
 */
function fromRecordOrNote(row: Record<string, unknown> | undefined, note: OutcomeNote | undefined): Record<string, unknown> | undefined {
  if (row) {
    const approvals = (typeof row.approvals === 'string' ? JSON.parse(row.approvals) : row.approvals ?? []) as { user?: string }[];
    return { ...row, approver: row.approver ?? approvals.at(-1)?.user ?? note?.approvedBy?.at(-1) ?? null };
  }
  if (!note) return undefined;
  return { status: note.outcome, reason: note.reason, message: note.message, finished_at: note.finishedAt, approver: note.approvedBy?.at(-1) ?? null };
}

const historyRoutes: FastifyPluginAsync = async (app) => {
  app.get('/orgs/:org/workspaces/:ws/history', {
    schema: {
      summary: 'Who changed what, when, and how it ended: git history joined with deployment outcomes',
      params: workspaceParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          app: name, profile: name, actor: { type: 'string', maxLength: 200 },
          since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        },
      },
      response: { 200: { type: 'array', items: entrySchema }, ...problemResponses },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws } = request.params as { org: string; ws: string };
    const query = request.query as { app?: string; profile?: string; actor?: string; since?: string; until?: string; limit: number };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'read');
    // main's commits from the history index (topped up from git first), not a walk through git
    const entries = await indexedHistory(em, app.loco.store, access.workspaceId, access.slug, query);
    // Git's own record of how each commit's deployment ended: all there is once the records are
    // gone (`loco destroy`, a rebuilt database); the database is newer while one is in flight.
    const notes = await app.loco.store.outcomes(access.slug, entries.map((e) => e.commit));
    const ids = [...new Set(entries.map((e) => e.trailers['Loco-Deployment']).filter(Boolean))];
    const outcomes = new Map<string, Record<string, unknown>>();
    if (ids.length > 0) {
      const rows = await em.execute<Record<string, unknown>[]>(
        `select d.id, d.status, d.reason, d.message, d.finished_at, p.pr_number, p.pr_url, p.status as pr_status, u.name as approver, p.approvals
           from deployments d
           left join promotions p on p.deployment_id = d.id
           left join users u on u.id = p.approver_user_id
          where d.workspace_id = ? and d.id in (${ids.map(() => '?').join(',')})`,
        [access.workspaceId, ...ids],
      );
      for (const row of rows) outcomes.set(row.id as string, row);
    }
    return entries.map((e) => {
      const t = e.trailers;
      const note = outcomeOf(notes.get(e.commit), t['Loco-Deployment']);
      const outcome = fromRecordOrNote(t['Loco-Deployment'] ? outcomes.get(t['Loco-Deployment']) : undefined, note);
      const deploymentId = t['Loco-Deployment'] ?? note?.deploymentId;
      return {
        commit: e.commit, parents: e.parents, time: e.time, subject: e.subject, author: e.author.name,
        ...(t['Loco-Actor'] ? { actor: t['Loco-Actor'] } : {}),
        ...(t['Loco-App'] ? { app: t['Loco-App'] } : {}),
        ...(t['Loco-Profile'] ? { profile: t['Loco-Profile'] } : {}),
        ...(t['Loco-Change'] ? { change: t['Loco-Change'] } : {}),
        ...(t['Loco-Image'] ? { image: t['Loco-Image'] } : {}),
        ...(t['Loco-Config-Digest'] ? { configDigest: t['Loco-Config-Digest'] } : {}),
        ...(deploymentId ? { deploymentId } : {}),
        ...(outcome ? {
          outcome: outcome.status as string,
          ...(outcome.reason ? { reason: outcome.reason as string } : {}),
          ...(outcome.message ? { message: outcome.message as string } : {}),
          ...(outcome.finished_at ? { finishedAt: new Date(outcome.finished_at as string).toISOString() } : {}),
          ...(outcome.pr_number || outcome.pr_url || outcome.approver ? {
            pullRequest: {
              ...(outcome.pr_number ? { number: Number(outcome.pr_number) } : {}), ...(outcome.pr_url ? { url: outcome.pr_url as string } : {}),
              ...(outcome.pr_status ? { status: outcome.pr_status as string } : {}), ...(outcome.approver ? { approver: outcome.approver as string } : {}),
            },
          } : {}),
        } : {}),
      };
    });
  });
};

export default historyRoutes;
