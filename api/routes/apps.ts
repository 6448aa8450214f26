// Apps of a workspace: list, get (latest deployment per profile), delete (one commit removing
// the app's files, then its records), status per profile and logs through Argo CD.

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ulid } from '../ids.ts';
import { isLocoError, LocoError } from '../../generator/errors.ts';
import type { LogLine } from '../argocd/index.ts';
import { startSse } from '../http/sse.ts';
import { argoApplicationName, argoProjectName } from '../../generator/names.ts';
import { requirePrincipal, actorName } from '../auth/authenticate.ts';
import { workspaceAccess, type WorkspaceAccess } from '../auth/access.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { App, Deployment } from '../db/entities.ts';
import { subjectFor, trailersFor } from '../deployments/commit.ts';
import { deploymentJson } from '../deployments/records.ts';
import { releaseAppClaims } from '../routing/claims.ts';
import { appParams, name, problemResponses, workspaceParams } from './schemas.ts';

const appSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    profiles: { type: 'array', items: { type: 'object', properties: { profile: { type: 'string' }, deployment: { $ref: 'Deployment#' } } } },
  },
} as const;

export function appNotFound(org: string, ws: string, app: string): LocoError {
  return new LocoError('not-found.app', `app ${app} was not found in ${org}/${ws}`, 'list apps with `loco apps`');
}

async function latestPerProfile(em: EntityManager, appIds: string[]): Promise<Deployment[]> {
  if (appIds.length === 0) return [];
  // distinct on walks deployments_app_profile_idx (app_id, profile, created_at desc)
  const rows = await em.execute<{ id: string }[]>(
    `select distinct on (app_id, profile) id from deployments where app_id in (${appIds.map(() => '?').join(',')}) and change_type <> 'delete'
      order by app_id, profile, created_at desc`,
    appIds,
  );
  return rows.length ? em.find(Deployment, { id: { $in: rows.map((r) => r.id) } }) : [];
}

function appJson(record: App, deployments: Deployment[], access: WorkspaceAccess) {
  return {
    name: record.name,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    profiles: deployments
      .filter((d) => d.appId === record.id)
      .sort((a, b) => a.profile.localeCompare(b.profile))
      .map((d) => ({ profile: d.profile, deployment: deploymentJson(d, access.org, access.workspace) })),
  };
}

/** The app's record, or the not-found error (the same for a foreign workspace's app). */
export async function loadApp(em: EntityManager, access: WorkspaceAccess, appName: string): Promise<App> {
  const record = await em.findOne(App, { workspaceId: access.workspaceId, name: appName });
  if (!record) throw appNotFound(access.org, access.workspace, appName);
  return record;
}

const appRoutes: FastifyPluginAsync = async (app) => {
  app.get('/orgs/:org/workspaces/:ws/apps', {
    schema: { summary: 'Apps of a workspace with their latest deployment per profile', params: workspaceParams, response: { 200: { type: 'array', items: appSchema }, ...problemResponses } },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws } = request.params as { org: string; ws: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'read');
    const apps = await em.find(App, { workspaceId: access.workspaceId }, { orderBy: { name: 'asc' } });
    const latest = await latestPerProfile(em, apps.map((a) => a.id));
    return apps.map((a) => appJson(a, latest, access));
  });

  app.get('/orgs/:org/workspaces/:ws/apps/:app', {
    schema: { summary: 'One app', params: appParams, response: { 200: appSchema, ...problemResponses } },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'read', { deployTokenApp: appName });
    const record = await loadApp(em, access, appName);
    return appJson(record, await latestPerProfile(em, [record.id]), access);
  });

  app.delete('/orgs/:org/workspaces/:ws/apps/:app', {
    schema: {
      summary: "Delete an app: one commit removing its files from every profile, then its records (workspace admins)",
      params: appParams,
      querystring: { type: 'object', additionalProperties: false, properties: { confirm: { type: 'boolean' } } },
      response: { 200: { type: 'object', properties: { deleted: { type: 'string' }, commit: { type: 'string' }, status: { type: 'string' } } }, ...problemResponses },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'admin');
    const record = await loadApp(em, access, appName);
    if (!(request.query as { confirm?: boolean }).confirm) {
      throw new LocoError('usage.confirm', `deleting ${appName} removes it from every profile; Argo CD then prunes it from the cluster`, 'repeat with ?confirm=true (`loco destroy <app> --yes`)');
    }
    const d = { id: `dpl_${ulid()}`, actor: actorName(principal), app: appName, profile: '*', configDigest: '-', image: '-', changeType: 'delete' as const, change: null };
    const result = await app.loco.runner.exclusive(access.workspaceId, async () => {
      const active = await em.execute<{ id: string }[]>(`select id from deployments where app_id = ? and finished_at is null`, [record.id]);
      app.loco.runner.abort(active.map((r) => r.id));
      const committed = await app.loco.store.applyChange({
        slug: access.slug, scope: [`apps/${appName}/`], files: new Map(), subject: subjectFor(d), trailers: trailersFor(d),
        author: { name: principal.userName, email: principal.userEmail ?? `${principal.userName}@users.noreply.loco` },
      });
      await em.transactional(async (tx) => {
        await releaseAppClaims(tx, access.workspaceId, record.id);
        await tx.execute(`delete from apps where id = ?`, [record.id]);
      });
      return committed;
    });
    return { deleted: appName, commit: result.commit, status: result.status };
  });

  app.get('/orgs/:org/workspaces/:ws/apps/:app/status', {
    schema: {
      summary: 'Status of an app in one profile: latest deployment, and Argo CD sync, health and resources',
      params: appParams,
      querystring: { type: 'object', additionalProperties: false, properties: { profile: { ...name, default: 'default' } } },
      response: {
        200: {
          type: 'object',
          properties: {
            app: { type: 'string' }, profile: { type: 'string' }, deployment: { anyOf: [{ $ref: 'Deployment#' }, { type: 'null' }] },
            url: { type: 'string', description: 'public URL of the app in this profile (routed apps), from its latest deployment' },
            dashboardUrl: { type: 'string', description: "the Application's page in the Argo CD UI (when the API has LOCO_ARGOCD_URL)" },
            sync: { type: 'string' }, health: { type: 'string' }, revision: { type: 'string' }, message: { type: 'string' },
            resources: { type: 'array', items: { type: 'object', additionalProperties: true } },
            unhealthy: { type: 'array', items: { type: 'object', additionalProperties: true } },
          },
        },
        ...problemResponses,
      },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const { profile } = request.query as { profile: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'read', { deployTokenApp: appName, deployTokenProfile: profile });
    const record = await loadApp(em, access, appName);
    const latest = await em.findOne(Deployment, { appId: record.id, profile }, { orderBy: { createdAt: 'desc' } });
    const deployment = latest ? deploymentJson(latest, org, ws) : null;
    const argocd = app.loco.argocd;
    const application = argoApplicationName(access.slug, appName, profile);
    const base = { app: appName, profile, deployment, ...(deployment?.url ? { url: deployment.url } : {}), ...(argocd ? { dashboardUrl: argocd.dashboardUrl(application) } : {}) };
    if (!argocd) {
      return { ...base, sync: 'Unknown', health: 'Unknown', ...(latest?.commit ? { revision: latest.commit } : {}), resources: [], unhealthy: [],
        message: 'No Argo CD is configured (LOCO_ARGOCD_URL), so sync and health are unknown; revision is the latest commit' };
    }
    const status = await argocd.status({ application, project: argoProjectName(access.slug) });
    return { ...base, sync: status.sync, health: status.health, ...(status.revision ? { revision: status.revision } : {}), resources: status.resources, unhealthy: status.unhealthy };
  });

  app.get('/orgs/:org/workspaces/:ws/apps/:app/logs', {
    schema: {
      summary: "Log lines of an app's pods in one profile, through Argo CD",
      params: appParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          profile: { ...name, default: 'default' }, tail: { type: 'integer', minimum: 1, maximum: 10000, default: 100 }, since: { type: 'integer', minimum: 1 },
          follow: { type: 'boolean', default: false, description: 'with Accept: text/event-stream: keep streaming new lines (SSE `log` events; an `error` event carries a problem)' },
        },
      },
      response: { 200: { type: 'array', items: { type: 'object', properties: { pod: { type: 'string' }, time: { type: 'string' }, line: { type: 'string' } } } }, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const { profile, tail, since, follow } = request.query as { profile: string; tail: number; since?: number; follow: boolean };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'read', { deployTokenApp: appName, deployTokenProfile: profile });
    await loadApp(em, access, appName);
    const argocd = app.loco.argocd;
    if (!argocd) throw new LocoError('unavailable.argocd', 'logs come from Argo CD, and no Argo CD is configured', 'set LOCO_ARGOCD_URL and LOCO_ARGOCD_TOKEN on the API, or read logs with kubectl');
    const ref = { application: argoApplicationName(access.slug, appName, profile), project: argoProjectName(access.slug) };
    if (!follow || !String(request.headers.accept ?? '').includes('text/event-stream')) return argocd.logs(ref, { tail, ...(since ? { since } : {}) });
    followLogs(request, reply, (signal) => argocd.followLogs(ref, { tail, ...(since ? { since } : {}), signal }));
  });
};

export default appRoutes;

/**
 * Streams log lines as Server-Sent Events (`event: log`, data {pod, time, line}) until the
 * client leaves or Argo CD ends the stream (the pods ended). A failure after the head is an
 * `event: error` with the problem's code, message and hint; internal error text stays in the log.
 */
function followLogs(request: FastifyRequest, reply: FastifyReply, open: (signal: AbortSignal) => AsyncGenerator<LogLine>): void {
  const sse = startSse(request, reply, 'following log lines', 'logs');
  void (async () => {
    try {
      for await (const line of open(sse.gone)) sse.send('log', line);
    } catch (error) {
      if (sse.gone.aborted) return;
      const known = isLocoError(error);
      if (!known) request.log.error({ err: error }, 'log stream failed');
      sse.send('error', known
        ? { code: error.code, message: error.message, hint: error.hint }
        : { code: 'internal', message: `internal error, request id ${request.id}`, hint: 'try again; if it persists, ask your Loco operator to check the API log' });
    } finally {
      sse.end();
    }
  })();
}
