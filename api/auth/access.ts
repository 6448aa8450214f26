// Authorization from membership roles. The rule that matters most: a user who is not a member
// of a workspace learns nothing about it — a foreign workspace, app or deployment answers
// exactly like a missing one (404 with the same text), never 403.
// Org admins act as admins of every workspace of their org.

import type { EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import type { OrgRole, WorkspaceRole } from '../db/entities.ts';
import type { Principal } from './authenticate.ts';
import { executePrepared } from '../db/prepared.ts';

export type Need = WorkspaceRole;
const RANK: Record<WorkspaceRole, number> = { read: 1, deploy: 2, admin: 3 };

export interface WorkspaceAccess {
  orgId: string;
  org: string;
  workspaceId: string;
  workspace: string;
  slug: string;
  settings: Record<string, unknown>;
  role: WorkspaceRole;
}

export interface AccessOptions {
  /** Deploy tokens may use this route, for this app. */
  deployTokenApp?: string;
  /** The profile the request concerns; a deploy token scoped to another profile (or to one, when unset) is refused. */
  deployTokenProfile?: string | undefined;
}

/** What a deploy token may touch, in the words of the refusal: "web@dev". */
function deployScope(principal: Principal): string {
  return `${principal.tokenApp}@${principal.tokenProfile ?? '*'}`;
}

/** The 403 for a deploy token used outside its scope: names the scope and the way out. */
export function outsideDeployScope(principal: Principal): LocoError {
  return new LocoError('auth.forbidden', `this deploy token may only deploy ${deployScope(principal)} and read those deployments and their events`,
    'use a personal token (`loco login`) for anything else, or create a deploy token for what you deploy: loco tokens create --deploy --app <app> --profile <profile>');
}

export function workspaceNotFound(org: string, workspace: string): LocoError {
  return new LocoError('not-found.workspace', `workspace ${org}/${workspace} was not found`, 'check the name: `loco workspace list` shows the workspaces you can see');
}

export function orgNotFound(org: string): LocoError {
  return new LocoError('not-found.org', `organization ${org} was not found`, 'check the name: `loco whoami` lists the organizations of your workspaces');
}

function effectiveRole(wsRole: unknown, orgRole: unknown): WorkspaceRole | null {
  if (orgRole === 'admin') return 'admin';
  return (wsRole as WorkspaceRole | null) ?? null;
}

/** Checks the principal's role (and deploy-token scope) against what the route needs. */
export function authorize(principal: Principal, access: WorkspaceAccess, need: Need, options: AccessOptions, hidden: () => LocoError): WorkspaceAccess {
  if (principal.tokenKind === 'deploy') {
    if (principal.tokenWorkspaceId !== access.workspaceId) throw hidden();
    if (options.deployTokenApp === undefined) throw outsideDeployScope(principal);
    if (options.deployTokenApp !== principal.tokenApp) throw outsideDeployScope(principal);
    // Tokens made before profiles were scoped (profile null) keep their app-wide reach.
    if (principal.tokenProfile !== null && options.deployTokenProfile !== principal.tokenProfile) throw outsideDeployScope(principal);
    if (RANK[access.role] < RANK.deploy) {
      throw new LocoError('auth.forbidden', `the token's owner no longer has deploy rights in ${access.org}/${access.workspace}`, 'ask a workspace admin for the deploy role');
    }
    access = { ...access, role: 'deploy' };
  }
  if (RANK[access.role] < RANK[need]) {
    throw new LocoError('auth.forbidden', `your role in ${access.org}/${access.workspace} is ${access.role}; this needs ${need}`, `ask a workspace admin for the ${need} role`);
  }
  return access;
}

export function accessFromRow(row: Record<string, unknown>): WorkspaceAccess | null {
  const role = effectiveRole(row.ws_role, row.org_role);
  if (!role) return null;
  return {
    orgId: row.org_id as string,
    org: row.org_name as string,
    workspaceId: row.id as string,
    workspace: row.name as string,
    slug: row.slug as string,
    settings: (row.settings as Record<string, unknown>) ?? {},
    role,
  };
}

/**
 * A workspace with the roles of the user `userId` (an SQL expression) in it, as accessFromRow
 * reads them. Callers add the `where` (or join it laterally, load.ts).
 */
export function workspaceSelect(userId: string): string {
  return `select w.id, w.name, w.slug, w.settings, w.org_id, o.name as org_name, wm.role as ws_role, om.role as org_role
   from workspaces w join orgs o on o.id = w.org_id
   left join workspace_memberships wm on wm.workspace_id = w.id and wm.user_id = ${userId}
   left join org_memberships om on om.org_id = o.id and om.user_id = ${userId}`;
}

/** workspaceSelect with the principal's user id as its two parameters. */
export const WORKSPACE_SELECT = workspaceSelect('?');

/** The workspace `org/ws` as the principal may see it, or 404/403. One indexed query. */
export async function workspaceAccess(
  em: EntityManager,
  principal: Principal,
  org: string,
  workspace: string,
  need: Need,
  options: AccessOptions = {},
): Promise<WorkspaceAccess> {
  const rows = await executePrepared(em, `${WORKSPACE_SELECT} where o.name = ? and w.name = ?`, [principal.userId, principal.userId, org, workspace]);
  return accessOfRow(principal, rows[0], org, workspace, need, options);
}

/** The access a row of workspaceSelect for `org/ws` grants (undefined: no such row), or 404/403. */
export function accessOfRow(principal: Principal, row: Record<string, unknown> | undefined, org: string, workspace: string, need: Need, options: AccessOptions): WorkspaceAccess {
  const visible = row ? accessFromRow(row) : null;
  const hidden = () => workspaceNotFound(org, workspace);
  if (!visible) throw hidden();
  return authorize(principal, visible, need, options, hidden);
}

/** Access to the workspace of a record found by id (deployment, promotion); 404 `hidden` when not visible. */
export async function workspaceAccessById(
  em: EntityManager,
  principal: Principal,
  workspaceId: string,
  need: Need,
  options: AccessOptions,
  hidden: () => LocoError,
): Promise<WorkspaceAccess> {
  const rows = await executePrepared(em, `${WORKSPACE_SELECT} where w.id = ?`, [principal.userId, principal.userId, workspaceId]);
  const access = rows[0] ? accessFromRow(rows[0]) : null;
  if (!access) throw hidden();
  return authorize(principal, access, need, options, hidden);
}

export interface OrgAccess {
  orgId: string;
  org: string;
  role: OrgRole;
}

/**
 * The org as the principal may see it: org members, and members of any of its workspaces
 * (as 'member'). Deploy tokens have no org-level access.
 */
export async function orgAccess(em: EntityManager, principal: Principal, org: string, need: OrgRole): Promise<OrgAccess> {
  if (principal.tokenKind === 'deploy') throw outsideDeployScope(principal);
  const rows = await em.execute<Record<string, unknown>[]>(
    `select o.id, o.name, om.role,
            exists (select 1 from workspace_memberships wm join workspaces w on w.id = wm.workspace_id
                     where wm.user_id = ? and w.org_id = o.id) as in_workspace
       from orgs o left join org_memberships om on om.org_id = o.id and om.user_id = ?
      where o.name = ?`,
    [principal.userId, principal.userId, org],
  );
  const row = rows[0];
  const role = (row?.role as OrgRole | null) ?? (row?.in_workspace ? 'member' : null);
  if (!row || !role) throw orgNotFound(org);
  if (need === 'admin' && role !== 'admin') {
    throw new LocoError('auth.forbidden', `your role in organization ${org} is ${role}; this needs admin`, 'ask an org admin');
  }
  return { orgId: row.id as string, org: row.name as string, role };
}

export function rejectDeployToken(principal: Principal): void {
  if (principal.tokenKind === 'deploy') throw outsideDeployScope(principal);
}
