// The audit: verify that git history and the database agree, and rebuild a workspace's
// records from its repository. REST shapes (test/promotion/README.md):
//   GET  /orgs/:org/workspaces/:ws/audit/verify            → {ok, commits, deployments, findings[]}
//   POST /orgs/:org/workspaces/:ws/admin/rebuild-from-git  → {apps, deployments, promotions, claims, skipped[]} (org admin)

import type { FastifyPluginAsync } from 'fastify';
import { orgAccess, workspaceAccess } from '../auth/access.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { rebuildWorkspace, verifyWorkspace } from '../audit/workspace-audit.ts';
import { problemResponses, workspaceParams } from './schemas.ts';

const finding = {
  type: 'object',
  required: ['code', 'message', 'hint'],
  properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' }, commit: { type: 'string' }, deploymentId: { type: 'string' } },
} as const;

const skipped = { type: 'array', items: { type: 'object', properties: { commit: { type: 'string' }, reason: { type: 'string' } } } } as const;

const auditRoutes: FastifyPluginAsync = async (app) => {
  app.get('/orgs/:org/workspaces/:ws/audit/verify', {
    schema: {
      summary: 'Check the audit trail: history linear from the skeleton commit, valid trailers on every commit, git and database agree',
      params: workspaceParams,
      response: {
        200: {
          type: 'object',
          properties: {
            ok: { type: 'boolean' }, commits: { type: 'integer' },
            deployments: { type: 'integer', description: 'deployment records in the database' },
            inGit: {
              type: 'object', description: 'what git alone holds: deployments named by commits on main, and how many have their outcome recorded (refs/notes/loco)',
              properties: { deployments: { type: 'integer' }, outcomes: { type: 'integer' } },
            },
            findings: { type: 'array', items: finding },
          },
        },
        ...problemResponses,
      },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws } = request.params as { org: string; ws: string };
    const access = await workspaceAccess(app.loco.em(), principal, org, ws, 'read');
    return verifyWorkspace(app.loco, access);
  });

  app.post('/orgs/:org/workspaces/:ws/admin/rebuild-from-git', {
    schema: {
      summary: "Recreate a workspace's apps, deployments and merged promotions from its GitOps repository (org admins; empty workspace only)",
      params: workspaceParams,
      response: {
        200: { type: 'object', properties: { apps: { type: 'integer' }, deployments: { type: 'integer' }, promotions: { type: 'integer' }, claims: { type: 'integer' }, skipped } },
        ...problemResponses,
      },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws } = request.params as { org: string; ws: string };
    const em = app.loco.em();
    // the workspace first, so a stranger learns nothing (404) before the org-admin check (403)
    const access = await workspaceAccess(em, principal, org, ws, 'read');
    await orgAccess(em, principal, org, 'admin');
    return rebuildWorkspace(app.loco, access, principal);
  });
};

export default auditRoutes;
