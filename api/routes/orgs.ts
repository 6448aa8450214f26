// Organizations and their workspaces. A workspace is the tenant: one GitOps repository, its
// own members. Creating one makes its repository from the skeleton.

import type { FastifyPluginAsync } from 'fastify';
import { ulid } from '../ids.ts';
import { LocoError } from '../../generator/errors.ts';
import { orgOrWorkspaceNameProblem, workspaceSlug } from '../../generator/names.ts';
import { actorName, requirePrincipal } from '../auth/authenticate.ts';
import { removeWorkspaceApps } from '../deployments/remove-workspace.ts';
import { orgAccess, rejectDeployToken, workspaceAccess } from '../auth/access.ts';
import { Org, OrgMembership, Workspace, WorkspaceMembership } from '../db/entities.ts';
import { name, orgParams, problemResponses, workspaceParams } from './schemas.ts';

function refuseName(kind: 'organization' | 'workspace', value: string): void {
  const problem = orgOrWorkspaceNameProblem(kind, value);
  if (problem) throw new LocoError('validation.invalid-name', problem[0], problem[1]);
}

const orgSchema = { type: 'object', properties: { name: { type: 'string' }, role: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } } } as const;
const workspaceSchema = {
  type: 'object',
  properties: { org: { type: 'string' }, name: { type: 'string' }, slug: { type: 'string' }, role: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } },
} as const;

const workspaceDeletedSchema = {
  type: 'object',
  properties: {
    deleted: { type: 'string' },
    commit: { type: 'string', description: 'the commit on main that removed every app (absent when there were none)' },
    removedApps: { type: 'array', items: { type: 'string' } },
    argocd: {
      type: 'object',
      description: 'what the platform operator removes from Argo CD',
      properties: {
        applications: { type: 'array', items: { type: 'string' } }, applicationSet: { type: 'string' }, project: { type: 'string' },
        rbacPolicyKey: { type: 'string' }, commands: { type: 'array', items: { type: 'string' } },
      },
    },
    nextStep: { type: 'string' },
  },
} as const;

const orgRoutes: FastifyPluginAsync = async (app) => {
  app.get('/orgs', {
    schema: { summary: 'Organizations the caller belongs to', response: { 200: { type: 'array', items: orgSchema }, ...problemResponses } },
  }, async (request) => {
    const principal = requirePrincipal(request);
    rejectDeployToken(principal);
    const rows = await app.loco.em().execute<{ createdAt: string }[]>(
      `select o.name, coalesce(om.role, 'member') as role, o.created_at as "createdAt"
         from orgs o left join org_memberships om on om.org_id = o.id and om.user_id = ?
        where om.user_id is not null
           or exists (select 1 from workspace_memberships wm join workspaces w on w.id = wm.workspace_id where wm.user_id = ? and w.org_id = o.id)
        order by o.name`,
      [principal.userId, principal.userId],
    );
    return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() }));
  });

  app.post('/orgs', {
    schema: {
      summary: 'Create an organization (the caller becomes its admin)',
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name } },
      response: { 201: orgSchema, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    rejectDeployToken(principal);
    const { name: orgName } = request.body as { name: string };
    refuseName('organization', orgName);
    const em = app.loco.em();
    if (await em.count(Org, { name: orgName })) {
      throw new LocoError('conflict.org-exists', `organization ${orgName} already exists`, 'pick another name');
    }
    const org = em.create(Org, { id: `org_${ulid()}`, name: orgName });
    em.create(OrgMembership, { id: `mem_${ulid()}`, orgId: org.id, userId: principal.userId, role: 'admin' });
    await em.flush();
    return reply.code(201).send({ name: org.name, role: 'admin', createdAt: org.createdAt });
  });

  app.get('/orgs/:org', {
    schema: { summary: 'One organization', params: orgParams, response: { 200: orgSchema, ...problemResponses } },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org } = request.params as { org: string };
    const access = await orgAccess(app.loco.em(), principal, org, 'member');
    const record = await app.loco.em().findOneOrFail(Org, { id: access.orgId });
    return { name: record.name, role: access.role, createdAt: record.createdAt };
  });

  app.get('/orgs/:org/workspaces', {
    schema: { summary: 'Workspaces of an organization that the caller can see', params: orgParams, response: { 200: { type: 'array', items: workspaceSchema }, ...problemResponses } },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org } = request.params as { org: string };
    const access = await orgAccess(app.loco.em(), principal, org, 'member');
    const rows = await app.loco.em().execute<{ createdAt: string }[]>(
      `select ? as org, w.name, w.slug, case when ? = 'admin' then 'admin' else wm.role end as role, w.created_at as "createdAt"
         from workspaces w left join workspace_memberships wm on wm.workspace_id = w.id and wm.user_id = ?
        where w.org_id = ? and (wm.user_id is not null or ? = 'admin')
        order by w.name`,
      [access.org, access.role, principal.userId, access.orgId, access.role],
    );
    return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() }));
  });

  app.post('/orgs/:org/workspaces', {
    schema: {
      summary: 'Create a workspace and its GitOps repository (org admins)',
      params: orgParams,
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name } },
      response: { 201: workspaceSchema, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { org } = request.params as { org: string };
    const em = app.loco.em();
    const access = await orgAccess(em, principal, org, 'admin');
    const { name: wsName } = request.body as { name: string };
    refuseName('workspace', wsName);
    if (await em.count(Workspace, { orgId: access.orgId, name: wsName })) {
      throw new LocoError('conflict.workspace-exists', `workspace ${org}/${wsName} already exists`, 'pick another name');
    }
    const slug = workspaceSlug(org, wsName);
    if (await em.count(Workspace, { slug })) {
      throw new LocoError('conflict.workspace-slug', `the repository name ${slug} is already taken by another org/workspace pair`, 'pick another workspace name');
    }
    await app.loco.store.ensureRepository(slug);
    const ws = em.create(Workspace, { id: `ws_${ulid()}`, orgId: access.orgId, name: wsName, slug, settings: {} });
    em.create(WorkspaceMembership, { id: `mem_${ulid()}`, workspaceId: ws.id, userId: principal.userId, role: 'admin' });
    await em.flush();
    return reply.code(201).send({ org, name: ws.name, slug, role: 'admin', createdAt: ws.createdAt });
  });

  app.get('/orgs/:org/workspaces/:ws', {
    schema: { summary: 'One workspace', params: workspaceParams, response: { 200: workspaceSchema, ...problemResponses } },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws } = request.params as { org: string; ws: string };
    const access = await workspaceAccess(app.loco.em(), principal, org, ws, 'read');
    const record = await app.loco.em().findOneOrFail(Workspace, { id: access.workspaceId });
    return { org, name: ws, slug: access.slug, role: access.role, createdAt: record.createdAt };
  });

  app.delete('/orgs/:org/workspaces/:ws', {
    schema: {
      summary: 'Delete a workspace: one commit removing every app from its repository (which stays, as the record of what was deployed), then its records; says what to remove from Argo CD',
      params: workspaceParams,
      querystring: { type: 'object', additionalProperties: false, properties: { confirm: { type: 'boolean' } } },
      response: { 200: workspaceDeletedSchema, ...problemResponses },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws } = request.params as { org: string; ws: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'admin');
    if (!(request.query as { confirm?: boolean }).confirm) {
      throw new LocoError('usage.confirm', `deleting ${org}/${ws} removes all its apps, deployments and members from Loco`, 'repeat with ?confirm=true');
    }
    // after every commit already queued for this repository, so nothing lands after the removal
    const removal = await app.loco.runner.exclusive(access.workspaceId, async () => {
      const active = await em.execute<{ id: string }[]>(`select id from deployments where workspace_id = ? and finished_at is null`, [access.workspaceId]);
      app.loco.runner.abort(active.map((r) => r.id));
      const removed = await removeWorkspaceApps(app.loco.store, {
        slug: access.slug, org, workspace: ws, actor: actorName(principal),
        author: { name: principal.userName, email: principal.userEmail ?? `${principal.userName}@users.noreply.loco` },
      });
      await em.execute(`delete from workspaces where id = ?`, [access.workspaceId]);
      return removed;
    });
    const { argocd } = removal;
    return {
      deleted: `${org}/${ws}`, ...(removal.commit ? { commit: removal.commit } : {}), removedApps: removal.apps, argocd,
      nextStep: `Argo CD: ApplicationSet ${argocd.applicationSet} deletes ${argocd.applications.length ? argocd.applications.join(', ') : 'no Applications'} once it reads main; then remove ApplicationSet ${argocd.applicationSet}, AppProject ${argocd.project} and the ${argocd.rbacPolicyKey} key of argocd-rbac-cm (argocd.commands)`,
    };
  });
};

export default orgRoutes;
