// A workspace's image policy (workspaces.settings.images): its repository prefix, a size cap
// below the platform's, the vulnerability threshold and the waivers (id, reason, expiry) that
// let a known finding through — read by every deploy (api/images/pin.ts). Admins set it.

import type { FastifyPluginAsync } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import { workspaceAccess } from '../auth/access.ts';
import { Workspace } from '../db/entities.ts';
import { DEFAULT_PLATFORM, SEVERITIES, workspaceImagePolicy, type WorkspaceImagePolicy } from '../images/policy.ts';
import { pruneImages } from '../images/retention.ts';
import { problemResponses } from './schemas.ts';

const wsParams = { type: 'object', required: ['org', 'ws'], properties: { org: { type: 'string' }, ws: { type: 'string' } } } as const;

const policySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    prefix: { type: 'string', minLength: 1, maxLength: 300, description: 'required start of image names, e.g. registry.example.com/acme/web/ (default: <registry>/<org>/<workspace>/ for each allowed registry)' },
    maxMb: { type: 'number', minimum: 1, description: 'size cap in MB (10^6 bytes) of the layers for the cluster platform; the smaller of this and LOCO_IMAGE_MAX_MB applies' },
    threshold: { type: 'string', enum: [...SEVERITIES], description: 'findings at or above this severity refuse a deploy (default CRITICAL)' },
    waivers: {
      type: 'array',
      maxItems: 200,
      items: {
        type: 'object',
        required: ['id', 'reason', 'expires'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' },
          reason: { type: 'string', minLength: 3, maxLength: 300 },
          expires: { type: 'string', format: 'date', description: 'last day the waiver holds (UTC)' },
        },
      },
    },
  },
} as const;

const imageRoutes: FastifyPluginAsync = async (app) => {
  app.get('/orgs/:org/workspaces/:ws/image-policy', {
    schema: { summary: "The workspace's image policy", params: wsParams, response: { 200: policySchema, ...problemResponses } },
  }, async (request) => {
    const { org, ws } = request.params as { org: string; ws: string };
    const access = await workspaceAccess(app.loco.em(), requirePrincipal(request), org, ws, 'read');
    return workspaceImagePolicy(access.settings);
  });

  app.put('/orgs/:org/workspaces/:ws/image-policy', {
    schema: { summary: "Replace the workspace's image policy (prefix, size cap, vulnerability threshold, waivers)", params: wsParams, body: policySchema, response: { 200: policySchema, ...problemResponses } },
  }, async (request) => {
    const { org, ws } = request.params as { org: string; ws: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, requirePrincipal(request), org, ws, 'admin');
    const policy = request.body as WorkspaceImagePolicy;
    const workspace = await em.findOneOrFail(Workspace, { id: access.workspaceId });
    workspace.settings = { ...(workspace.settings ?? {}), images: policy };
    await em.flush();
    return policy;
  });

  const entry = { type: 'object', properties: { repository: { type: 'string' }, digest: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } } } as const;
  app.post('/orgs/:org/workspaces/:ws/images/prune', {
    schema: {
      summary: "Delete the workspace's images no recent release references (dry run unless dryRun is false)",
      params: wsParams,
      body: { type: 'object', additionalProperties: false, properties: { keep: { type: 'integer', minimum: 0, maximum: 100, default: 2, description: 'releases kept per app/profile beyond the deployed one' }, dryRun: { type: 'boolean', default: true } } },
      response: { 200: { type: 'object', properties: { dryRun: { type: 'boolean' }, keep: { type: 'integer' }, kept: { type: 'array', items: entry }, deleted: { type: 'array', items: entry } } }, ...problemResponses },
    },
  }, async (request) => {
    const { org, ws } = request.params as { org: string; ws: string };
    const body = (request.body ?? {}) as { keep?: number; dryRun?: boolean };
    const em = app.loco.em();
    const dryRun = body.dryRun !== false;
    const access = await workspaceAccess(em, requirePrincipal(request), org, ws, dryRun ? 'read' : 'admin');
    return pruneImages(em, {
      workspaceId: access.workspaceId, org, workspace: ws, keep: body.keep ?? 2, dryRun,
      settings: app.loco.options.images ?? { registries: null, platform: DEFAULT_PLATFORM }, policy: workspaceImagePolicy(access.settings),
    });
  });
};

export default imageRoutes;
