// Workspace members and their roles (admin / deploy / read). Adding a user by name creates the
// user when unknown; with GitHub sign-in on, the name is a GitHub login, resolved to the
// account's id at once, so that person's sign-in (linked by id only) lands in the right workspaces;
// a user who has no working token yet also gets an invitation code to log in with
// (`loco login --invite`), and `…/invitations` makes a new code for a member who lost theirs.

import type { FastifyPluginAsync } from 'fastify';
import { ulid } from '../ids.ts';
import { LocoError } from '../../generator/errors.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { workspaceAccess, type WorkspaceAccess } from '../auth/access.ts';
import { createInvitation, hasUsableToken, INVITATION_MAX_SECONDS } from '../auth/invitations.ts';
import { gitHubAccountByLogin, type GitHubApi } from '../auth/github-identity.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { User, WorkspaceMembership, WORKSPACE_ROLES, type WorkspaceRole } from '../db/entities.ts';
import { problemResponses, workspaceParams } from './schemas.ts';

const userName = { type: 'string', pattern: '^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$', description: 'a user name (GitHub login)' } as const;
/** DESIGN.md calls the roles deployer and viewer; the API stores them as deploy and read. */
const ROLE_NAMES: Record<string, WorkspaceRole> = { deployer: 'deploy', viewer: 'read' };

const memberSchema = { type: 'object', properties: { user: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } } } as const;
const invitationSchema = {
  type: 'object',
  required: ['code', 'expiresAt'],
  description: 'shown once: the invited user runs `loco login --api <url> --invite <code>`; single use',
  properties: { code: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
} as const;
const addedSchema = { type: 'object', properties: { ...memberSchema.properties, invitation: invitationSchema } } as const;
const roleSchema = { type: 'string', enum: [...WORKSPACE_ROLES, ...Object.keys(ROLE_NAMES)], description: 'admin, deploy or read (deployer and viewer are accepted for deploy and read)' } as const;

/** A user added by a name Loco does not know yet: without GitHub sign-in a local name, with it the GitHub account of that login. */
async function newMember(github: GitHubApi | undefined, em: EntityManager, name: string): Promise<User> {
  if (!github) return em.create(User, { id: `usr_${ulid()}`, name, email: null, githubId: null });
  const account = await gitHubAccountByLogin(github, name);
  if (!account) throw new LocoError('not-found.github-user', `GitHub has no user ${name}`, 'members are added by their GitHub login: check its spelling on github.com');
  // signed in before under another login (renamed since): the same person
  const linked = await em.findOne(User, { githubId: account.id });
  return linked ?? em.create(User, { id: `usr_${ulid()}`, name, email: account.email, githubId: account.id });
}

const memberRoutes: FastifyPluginAsync = async (app) => {
  app.get('/orgs/:org/workspaces/:ws/members', {
    schema: { summary: 'Members of a workspace', params: workspaceParams, response: { 200: { type: 'array', items: memberSchema }, ...problemResponses } },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws } = request.params as { org: string; ws: string };
    const access = await workspaceAccess(app.loco.em(), principal, org, ws, 'read');
    const rows = await app.loco.em().execute<{ user: string; email: string | null; role: string }[]>(
      `select u.name as user, u.email, m.role from workspace_memberships m join users u on u.id = m.user_id where m.workspace_id = ? order by u.name`,
      [access.workspaceId],
    );
    return rows.map((r) => ({ user: r.user, role: r.role, ...(r.email ? { email: r.email } : {}) }));
  });

  app.post('/orgs/:org/workspaces/:ws/members', {
    schema: {
      summary: 'Add a member or change their role (workspace admins); a user without a working token also gets an invitation code',
      params: workspaceParams,
      body: { type: 'object', required: ['user', 'role'], additionalProperties: false, properties: { user: userName, role: roleSchema } },
      response: { 200: addedSchema, 201: addedSchema, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { org, ws } = request.params as { org: string; ws: string };
    const { user, role: asked } = request.body as { user: string; role: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'admin');
    const { target, role, created } = await setMembership(em, app.loco.options.githubOAuth, access, user, ROLE_NAMES[asked] ?? (asked as WorkspaceRole));
    const now = new Date(app.loco.clock.now());
    const invitation = (await hasUsableToken(em, target.id, now))
      ? null
      : await createInvitation(em, { workspaceId: access.workspaceId, userId: target.id, role, invitedByUserId: principal.userId }, now);
    return reply.code(created ? 201 : 200).send({
      user, role, ...(target.email ? { email: target.email } : {}),
      ...(invitation ? { invitation: { code: invitation.code, expiresAt: invitation.expiresAt.toISOString() } } : {}),
    });
  });

  app.post('/orgs/:org/workspaces/:ws/invitations', {
    schema: {
      summary: 'A new invitation code for a user (workspace admins): adds them as a member when they are not one',
      params: workspaceParams,
      body: {
        type: 'object', required: ['user'], additionalProperties: false,
        properties: { user: userName, role: { ...roleSchema, description: `${roleSchema.description}; a new member gets deploy when unset, a member keeps their role` }, expiresInSeconds: { type: 'integer', minimum: 60, maximum: INVITATION_MAX_SECONDS, description: 'how long the code works; 7 days when unset' } },
      },
      response: { 201: { type: 'object', required: ['user', 'role', 'invitation'], properties: { user: { type: 'string' }, role: { type: 'string' }, invitation: invitationSchema } }, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { org, ws } = request.params as { org: string; ws: string };
    const body = request.body as { user: string; role?: string; expiresInSeconds?: number };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'admin');
    const { target, role } = await setMembership(em, app.loco.options.githubOAuth, access, body.user, body.role ? (ROLE_NAMES[body.role] ?? (body.role as WorkspaceRole)) : undefined);
    const now = new Date(app.loco.clock.now());
    const invitation = await createInvitation(em, { workspaceId: access.workspaceId, userId: target.id, role, invitedByUserId: principal.userId }, now,
      body.expiresInSeconds ? body.expiresInSeconds * 1000 : undefined);
    return reply.code(201).send({ user: body.user, role, invitation: { code: invitation.code, expiresAt: invitation.expiresAt.toISOString() } });
  });

  app.delete('/orgs/:org/workspaces/:ws/members/:user', {
    schema: {
      summary: 'Remove a member (workspace admins)',
      params: { type: 'object', required: ['org', 'ws', 'user'], properties: { ...workspaceParams.properties, user: userName } },
      response: { 200: { type: 'object', properties: { removed: { type: 'string' } } }, ...problemResponses },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws, user } = request.params as { org: string; ws: string; user: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'admin');
    const target = await em.findOne(User, { name: user });
    const membership = target ? await em.findOne(WorkspaceMembership, { workspaceId: access.workspaceId, userId: target.id }) : null;
    if (!membership) throw new LocoError('not-found.member', `${user} is not a member of ${org}/${ws}`, 'list members with `loco members`');
    if (membership.role === 'admin') await refuseLastAdmin(em, access.workspaceId, org, ws);
    await em.remove(membership).flush();
    return { removed: user };
  });
};

/** Makes `user` (created when unknown) a member with `role`; without a role a member keeps theirs and a new one gets deploy. */
async function setMembership(em: Em, github: GitHubApi | undefined, access: WorkspaceAccess, user: string, role: WorkspaceRole | undefined): Promise<{ target: User; role: WorkspaceRole; created: boolean }> {
  const target = (await em.findOne(User, { name: user })) ?? (await newMember(github, em, user));
  const membership = await em.findOne(WorkspaceMembership, { workspaceId: access.workspaceId, userId: target.id });
  if (membership) {
    if (role && membership.role === 'admin' && role !== 'admin') await refuseLastAdmin(em, access.workspaceId, access.org, access.workspace);
    if (role) membership.role = role;
  } else {
    em.create(WorkspaceMembership, { id: `mem_${ulid()}`, workspaceId: access.workspaceId, userId: target.id, role: role ?? 'deploy' });
  }
  await em.flush();
  return { target, role: membership?.role ?? role ?? 'deploy', created: !membership };
}

type Em = ReturnType<import('fastify').FastifyInstance['loco']['em']>;

async function refuseLastAdmin(em: Em, workspaceId: string, org: string, ws: string): Promise<void> {
  if ((await em.count(WorkspaceMembership, { workspaceId, role: 'admin' })) <= 1) {
    throw new LocoError('conflict.last-admin', `this would leave ${org}/${ws} without an admin`, 'make another member admin first');
  }
}

export default memberRoutes;
