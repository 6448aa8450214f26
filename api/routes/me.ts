// Who am I, and tokens: personal API tokens and five-minute deploy tokens for CI.

import type { FastifyPluginAsync } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import { rejectDeployToken, workspaceAccess } from '../auth/access.ts';
import { issueDeployToken, issuePersonalToken } from '../auth/tokens.ts';
import { name, problemResponses, workspaceParams } from './schemas.ts';

const meRoutes: FastifyPluginAsync = async (app) => {
  app.get('/me', {
    schema: {
      summary: 'The caller and the workspaces they can see',
      response: {
        200: {
          type: 'object',
          properties: {
            user: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } } },
            memberships: { type: 'array', items: { type: 'object', properties: { org: { type: 'string' }, workspace: { type: 'string' }, role: { type: 'string' } } } },
            token: { type: 'object', properties: { kind: { type: 'string' }, app: { type: 'string' } } },
          },
        },
        ...problemResponses,
      },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    // workspace memberships, plus every workspace of an org the user administers (as admin)
    const rows = await app.loco.em().execute<{ org: string; workspace: string; role: string; workspace_id: string }[]>(
      `select o.name as org, w.name as workspace, w.id as workspace_id,
              case when om.role = 'admin' then 'admin' else wm.role end as role
         from workspaces w join orgs o on o.id = w.org_id
         left join workspace_memberships wm on wm.workspace_id = w.id and wm.user_id = ?
         left join org_memberships om on om.org_id = o.id and om.user_id = ?
        where wm.user_id is not null or om.role = 'admin'
        order by o.name, w.name`,
      [principal.userId, principal.userId],
    );
    const visible = principal.tokenKind === 'deploy' ? rows.filter((r) => r.workspace_id === principal.tokenWorkspaceId) : rows;
    return {
      user: { id: principal.userId, name: principal.userName, ...(principal.userEmail ? { email: principal.userEmail } : {}) },
      memberships: visible.map((r) => ({ org: r.org, workspace: r.workspace, role: principal.tokenKind === 'deploy' ? 'deploy' : r.role })),
      token: { kind: principal.tokenKind, ...(principal.tokenApp ? { app: principal.tokenApp } : {}) },
    };
  });

  app.post('/tokens', {
    schema: {
      summary: 'Create a personal API token (shown once)',
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 100 } } },
      response: { 201: { type: 'object', properties: { token: { type: 'string' } } }, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    rejectDeployToken(principal);
    const { name: tokenName } = request.body as { name: string };
    const token = await issuePersonalToken(app.loco.em(), principal.userId, tokenName);
    return reply.code(201).send({ token });
  });

  app.post('/orgs/:org/workspaces/:ws/deploy-tokens', {
    schema: {
      summary: 'Create a deploy token for CI: one app of one workspace, valid five minutes',
      params: workspaceParams,
      body: { type: 'object', required: ['app'], additionalProperties: false, properties: { app: name } },
      response: { 201: { type: 'object', properties: { token: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } } }, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    rejectDeployToken(principal);
    const { org, ws } = request.params as { org: string; ws: string };
    const access = await workspaceAccess(app.loco.em(), principal, org, ws, 'deploy');
    const { app: appName } = request.body as { app: string };
    const { token, expiresAt } = await issueDeployToken(app.loco.em(), principal.userId, access.workspaceId, appName);
    return reply.code(201).send({ token, expiresAt: expiresAt.toISOString() });
  });
};

export default meRoutes;
