// Promotions as pull requests, and rollbacks that respect review. REST shapes (the CLI's
// `loco promote`, `promote approve|merge|close|list`, `rollback`) — see test/promotion/README.md:
//   POST /orgs/:org/workspaces/:ws/apps/:app/promotions {from, to, deployment?, confirmPrune?} → 201 Promotion
//   GET  /orgs/:org/workspaces/:ws/promotions?app&status&limit                                 → Promotion[]
//   GET  /promotions/:id                                                                         → Promotion
//   POST /promotions/:id/approve                                                                 → Promotion
//   POST /promotions/:id/merge                        → 202 {promotion: Promotion, deployment: Deployment}
//   POST /promotions/:id/close                                                                   → Promotion
//   POST /orgs/:org/workspaces/:ws/apps/:app/rollbacks {deployment, emergency?, confirmPrune?}
//        → 202 {mode: 'direct'|'emergency', deployment} | 201 {mode: 'pull-request', promotion}
//   GET  /orgs/:org/workspaces/:ws/promotion-rules → {profiles: {<p>: {approvals}}, emergencyRollback}
//   PUT  /orgs/:org/workspaces/:ws/promotion-rules (same body; workspace admins)  → the same

import type { FastifyPluginAsync } from 'fastify';
import { LocoError } from '../../generator/errors.ts';
import { rejectDeployToken, workspaceAccess, type WorkspaceAccess } from '../auth/access.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { deploymentJson } from '../deployments/records.ts';
import { openPromotion } from '../promotions/open.ts';
import { listPromotions, promotionJson, type PromotionRow } from '../promotions/records.ts';
import { approvePromotion, closePromotion, loadPromotion, mergePromotion } from '../promotions/review.ts';
import { requestRollback } from '../promotions/rollback.ts';
import { promotionRules } from '../promotions/rules.ts';
import { Deployment, Workspace } from '../db/entities.ts';
import { appParams, name, problemResponses, workspaceParams } from './schemas.ts';

export const promotionSchema = {
  $id: 'Promotion',
  type: 'object',
  required: ['id', 'org', 'workspace', 'app', 'kind', 'from', 'to', 'status', 'title', 'body', 'branch', 'sourceDeploymentId', 'author', 'approvals', 'approvalsRequired', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' }, org: { type: 'string' }, workspace: { type: 'string' }, app: { type: 'string' },
    kind: { type: 'string', enum: ['promote', 'rollback'] }, from: { type: 'string' }, to: { type: 'string' },
    status: { type: 'string', enum: ['open', 'approved', 'merged', 'closed', 'superseded'] },
    title: { type: 'string' }, body: { type: 'string', description: 'markdown: image, config digest, source outcome, what changes' },
    branch: { type: 'string' }, headCommit: { type: 'string' },
    pullRequest: { type: 'object', properties: { number: { type: 'integer' }, url: { type: 'string' } } },
    sourceDeploymentId: { type: 'string' },
    sourceStatus: { type: 'string', description: "the source release's outcome (committed: no Argo CD saw it run)" },
    sourceVerified: { type: 'boolean', description: 'false when the source outcome was not verified (it ended at committed, without Argo CD)' },
    author: { type: 'string' },
    approvals: { type: 'array', items: { type: 'object', properties: { user: { type: 'string' }, at: { type: 'string', format: 'date-time' } } } },
    approvalsRequired: { type: 'integer' },
    deploymentId: { type: 'string' }, mergeCommit: { type: 'string' }, supersededBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const promotionRef = { $ref: 'Promotion#' } as const;
const deploymentRef = { $ref: 'Deployment#' } as const;
const promotionParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;
const responses = { ...problemResponses, 502: { $ref: 'Problem#' } } as const;

const json = (p: PromotionRow, access: WorkspaceAccess) => promotionJson(p, access.org, access.workspace, promotionRules(access.settings).approvalsFor(p.to));

const promotionRoutes: FastifyPluginAsync = async (app) => {
  app.addSchema(promotionSchema);

  app.post('/orgs/:org/workspaces/:ws/apps/:app/promotions', {
    schema: {
      summary: 'Promote the release that succeeded in one profile to another, as a pull request',
      params: appParams,
      body: {
        type: 'object', required: ['from', 'to'], additionalProperties: false,
        properties: { from: name, to: name, deployment: { type: 'string', maxLength: 64, description: 'a specific release of `from` (default: the latest)' }, confirmPrune: { type: 'boolean' } },
      },
      response: { 201: promotionRef, ...responses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    rejectDeployToken(principal);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const body = request.body as { from: string; to: string; deployment?: string; confirmPrune?: boolean };
    const access = await workspaceAccess(app.loco.em(), principal, org, ws, 'deploy');
    const promotion = await openPromotion(app.loco, access, principal, { app: appName, ...body });
    return reply.code(201).header('location', `/api/v1/promotions/${promotion.id}`).send(json(promotion, access));
  });

  app.get('/orgs/:org/workspaces/:ws/promotions', {
    schema: {
      summary: 'Promotions of a workspace, newest first',
      params: workspaceParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { app: name, status: { type: 'string', enum: ['open', 'approved', 'merged', 'closed', 'superseded'] }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
      },
      response: { 200: { type: 'array', items: promotionRef }, ...responses },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws } = request.params as { org: string; ws: string };
    const query = request.query as { app?: string; status?: string; limit: number };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'read');
    return (await listPromotions(em, access.workspaceId, query)).map((p) => json(p, access));
  });

  app.get('/promotions/:id', {
    schema: { summary: 'One promotion', params: promotionParams, response: { 200: promotionRef, ...responses } },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { promotion, access } = await loadPromotion(app.loco.em(), principal, (request.params as { id: string }).id, 'read');
    return json(promotion, access);
  });

  app.post('/promotions/:id/approve', {
    schema: { summary: 'Approve a promotion (a member with deploy rights other than its author)', params: promotionParams, response: { 200: promotionRef, ...responses } },
  }, async (request) => {
    const { promotion, access } = await approvePromotion(app.loco, requirePrincipal(request), (request.params as { id: string }).id);
    return json(promotion, access);
  });

  app.post('/promotions/:id/merge', {
    schema: {
      summary: "Merge an approved promotion into main as one commit and track the target profile's deployment",
      params: promotionParams,
      response: { 202: { type: 'object', properties: { promotion: promotionRef, deployment: deploymentRef } }, ...responses },
    },
  }, async (request, reply) => {
    const { promotion, access, deployment } = await mergePromotion(app.loco, requirePrincipal(request), (request.params as { id: string }).id);
    return reply.code(202).header('location', `/api/v1/deployments/${deployment.id}`).send({ promotion: json(promotion, access), deployment: deploymentJson(deployment, access.org, access.workspace) });
  });

  app.post('/promotions/:id/close', {
    schema: { summary: 'Close a promotion without merging it', params: promotionParams, response: { 200: promotionRef, ...responses } },
  }, async (request) => {
    const { promotion, access } = await closePromotion(app.loco, requirePrincipal(request), (request.params as { id: string }).id);
    return json(promotion, access);
  });

  app.post('/orgs/:org/workspaces/:ws/apps/:app/rollbacks', {
    schema: {
      summary: "Roll a profile back to a deployment's files: a commit, or a pull request on a profile protected by review",
      params: appParams,
      body: {
        type: 'object', required: ['deployment'], additionalProperties: false,
        properties: { deployment: { type: 'string', maxLength: 64 }, emergency: { type: 'boolean' }, confirmPrune: { type: 'boolean' } },
      },
      response: {
        201: { type: 'object', properties: { mode: { type: 'string', enum: ['pull-request'] }, promotion: promotionRef } },
        202: { type: 'object', properties: { mode: { type: 'string', enum: ['direct', 'emergency'] }, deployment: deploymentRef } },
        ...responses,
      },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    rejectDeployToken(principal);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const body = request.body as { deployment: string; emergency?: boolean; confirmPrune?: boolean };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'deploy');
    const target = await em.findOne(Deployment, { id: body.deployment, workspaceId: access.workspaceId, app: appName });
    if (!target) throw new LocoError('not-found.deployment', `deployment ${body.deployment} of ${appName} was not found`, `list them with \`loco history ${appName}\``);
    const result = await requestRollback(app.loco, access, principal, target, body);
    if (result.mode === 'pull-request') {
      return reply.code(201).header('location', `/api/v1/promotions/${result.promotion.id}`).send({ mode: result.mode, promotion: json(result.promotion, access) });
    }
    return reply.code(202).header('location', `/api/v1/deployments/${result.deployment.id}`).send({ mode: result.mode, deployment: deploymentJson(result.deployment, access.org, access.workspace) });
  });
};

const rulesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    profiles: {
      type: 'object',
      propertyNames: { pattern: name.pattern },
      additionalProperties: { type: 'object', required: ['approvals'], additionalProperties: false, properties: { approvals: { type: 'integer', minimum: 0, maximum: 10 } } },
    },
    emergencyRollback: { type: 'boolean' },
  },
} as const;

const ruleRoutes: FastifyPluginAsync = async (app) => {
  const rulesOf = (settings: Record<string, unknown>) => ({
    profiles: (settings.profiles ?? {}) as Record<string, { approvals: number }>,
    emergencyRollback: settings.emergencyRollback === true,
  });

  app.get('/orgs/:org/workspaces/:ws/promotion-rules', {
    schema: { summary: 'Approvals each profile needs (default: prod/production 1, others 0) and whether emergency rollbacks may skip review', params: workspaceParams, response: { 200: rulesSchema, ...responses } },
  }, async (request) => {
    const { org, ws } = request.params as { org: string; ws: string };
    const access = await workspaceAccess(app.loco.em(), requirePrincipal(request), org, ws, 'read');
    return rulesOf(access.settings);
  });

  app.put('/orgs/:org/workspaces/:ws/promotion-rules', {
    schema: { summary: 'Set the promotion rules of a workspace (workspace admins)', params: workspaceParams, body: rulesSchema, response: { 200: rulesSchema, ...responses } },
  }, async (request) => {
    const principal = requirePrincipal(request);
    rejectDeployToken(principal);
    const { org, ws } = request.params as { org: string; ws: string };
    const body = request.body as { profiles?: Record<string, { approvals: number }>; emergencyRollback?: boolean };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'admin');
    const workspace = await em.findOneOrFail(Workspace, { id: access.workspaceId });
    workspace.settings = { ...workspace.settings, ...(body.profiles ? { profiles: body.profiles } : {}), ...(body.emergencyRollback !== undefined ? { emergencyRollback: body.emergencyRollback } : {}) };
    await em.flush();
    return rulesOf(workspace.settings);
  });
};

const routes: FastifyPluginAsync = async (app) => {
  await app.register(promotionRoutes);
  await app.register(ruleRoutes);
};

export default routes;
