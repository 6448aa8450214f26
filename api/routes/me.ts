// Who am I, and tokens: personal API tokens (90 days unless asked otherwise) and deploy tokens
// for CI (one app and profile, five minutes unless asked otherwise). A secret is in the answer
// that creates it and nowhere else; lists show names, scopes and dates.

import type { FastifyPluginAsync } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import { rejectDeployToken, workspaceAccess } from '../auth/access.ts';
import { createPersonalToken, DEPLOY_TOKEN_MAX_SECONDS, issueDeployToken, listTokens, PERSONAL_TOKEN_MAX_SECONDS, revokeToken } from '../auth/tokens.ts';
import { name, problemResponses, workspaceParams } from './schemas.ts';

const tokenName = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f]+$', description: 'a name to recognise the token by in `loco tokens list`' } as const;
const issuedToken = {
  type: 'object',
  required: ['id', 'name', 'token', 'expiresAt'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, token: { type: 'string', description: 'the secret; shown in this answer only' }, expiresAt: { type: 'string', format: 'date-time' } },
} as const;
const tokenSummary = {
  type: 'object',
  required: ['id', 'name', 'kind', 'scope', 'status', 'createdAt'],
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string', enum: ['personal', 'deploy'] },
    scope: { type: 'string', description: '"personal", or "<org>/<workspace> <app>@<profile>" for a deploy token' },
    status: { type: 'string', enum: ['active', 'expired'] },
    createdAt: { type: 'string', format: 'date-time' }, expiresAt: { type: 'string', format: 'date-time', nullable: true }, lastUsedAt: { type: 'string', format: 'date-time', nullable: true },
  },
} as const;

const meRoutes: FastifyPluginAsync = async (app) => {
  const now = () => new Date(app.loco.clock.now());

  app.get('/me', {
    schema: {
      summary: 'The caller, the workspaces they can see, and the token they used',
      response: {
        200: {
          type: 'object',
          properties: {
            user: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } } },
            memberships: { type: 'array', items: { type: 'object', properties: { org: { type: 'string' }, workspace: { type: 'string' }, role: { type: 'string' } } } },
            token: {
              type: 'object',
              properties: {
                id: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string' }, app: { type: 'string' }, profile: { type: 'string' },
                scope: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' },
              },
            },
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
    const deploy = principal.tokenKind === 'deploy';
    const visible = deploy ? rows.filter((r) => r.workspace_id === principal.tokenWorkspaceId) : rows;
    const scope = deploy && visible[0] ? `${visible[0].org}/${visible[0].workspace} ${principal.tokenApp}@${principal.tokenProfile ?? '*'}` : 'personal';
    return {
      user: { id: principal.userId, name: principal.userName, ...(principal.userEmail ? { email: principal.userEmail } : {}) },
      memberships: visible.map((r) => ({ org: r.org, workspace: r.workspace, role: deploy ? 'deploy' : r.role })),
      token: {
        id: principal.tokenId, name: principal.tokenName, kind: principal.tokenKind, scope,
        ...(principal.tokenApp ? { app: principal.tokenApp } : {}), ...(principal.tokenProfile ? { profile: principal.tokenProfile } : {}),
        ...(principal.tokenExpiresAt ? { expiresAt: principal.tokenExpiresAt.toISOString() } : {}),
      },
    };
  });

  app.post('/tokens', {
    schema: {
      summary: 'Create a personal API token (the secret is shown once)',
      body: {
        type: 'object', required: ['name'], additionalProperties: false,
        properties: { name: tokenName, expiresInSeconds: { type: 'integer', minimum: 60, maximum: PERSONAL_TOKEN_MAX_SECONDS, description: 'lifetime; 90 days when unset' } },
      },
      response: { 201: issuedToken, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    rejectDeployToken(principal);
    const body = request.body as { name: string; expiresInSeconds?: number };
    const issued = await createPersonalToken(app.loco.em(), principal.userId, body.name, { now: now(), ...(body.expiresInSeconds ? { ttlMs: body.expiresInSeconds * 1000 } : {}) });
    return reply.code(201).send({ ...issued, expiresAt: issued.expiresAt.toISOString() });
  });

  app.get('/tokens', {
    schema: { summary: 'Your tokens that are not revoked (never their secrets)', response: { 200: { type: 'array', items: tokenSummary }, ...problemResponses } },
  }, async (request) => {
    const principal = requirePrincipal(request);
    rejectDeployToken(principal);
    return listTokens(app.loco.em(), principal.userId, now());
  });

  app.delete('/tokens/:token', {
    schema: {
      summary: 'Revoke one of your tokens, by id or name',
      params: { type: 'object', required: ['token'], properties: { token: { ...tokenName, description: 'the token\'s id (tok_…) or name' } } },
      response: { 200: { type: 'object', properties: { revoked: { type: 'string' }, name: { type: 'string' } } }, ...problemResponses },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    rejectDeployToken(principal);
    const revoked = await revokeToken(app.loco.em(), principal.userId, (request.params as { token: string }).token, now());
    app.principals.forgetToken(revoked.id); // refused from the next request on, in this process
    return { revoked: revoked.id, name: revoked.name };
  });

  app.post('/orgs/:org/workspaces/:ws/deploy-tokens', {
    schema: {
      summary: 'Create a deploy token for CI: it deploys one app in one profile, for five minutes unless asked otherwise',
      params: workspaceParams,
      body: {
        type: 'object', required: ['app', 'profile'], additionalProperties: false,
        properties: { app: name, profile: name, expiresInSeconds: { type: 'integer', minimum: 60, maximum: DEPLOY_TOKEN_MAX_SECONDS, description: 'lifetime; 5 minutes when unset' } },
      },
      response: { 201: issuedToken, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    rejectDeployToken(principal);
    const { org, ws } = request.params as { org: string; ws: string };
    const access = await workspaceAccess(app.loco.em(), principal, org, ws, 'deploy');
    const body = request.body as { app: string; profile: string; expiresInSeconds?: number };
    const issued = await issueDeployToken(app.loco.em(), { userId: principal.userId, workspaceId: access.workspaceId, app: body.app, profile: body.profile },
      { now: now(), ...(body.expiresInSeconds ? { ttlMs: body.expiresInSeconds * 1000 } : {}) });
    return reply.code(201).send({ ...issued, expiresAt: issued.expiresAt.toISOString() });
  });
};

export default meRoutes;
