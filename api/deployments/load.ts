// Finding a deployment by id for a caller: a deployment of a workspace the caller cannot see
// answers exactly like a missing one.

import type { EntityDictionary, EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import { executePrepared } from '../db/prepared.ts';
import { accessFromRow, authorize, type AccessOptions, type Need, type WorkspaceAccess } from '../auth/access.ts';
import type { Principal } from '../auth/authenticate.ts';
import { Deployment } from '../db/entities.ts';

export function deploymentNotFound(id: string): LocoError {
  return new LocoError('not-found.deployment', `deployment ${id} was not found`, 'see an app\'s deployments with `loco history <app>`');
}

// The deployment and its workspace as the principal may see it, in one statement (every SSE
// follower and status read asks this); the workspace's columns carry an `a_` prefix.
const DEPLOYMENT_WITH_ACCESS = `select d.*, w.name as a_name, w.slug as a_slug, w.settings as a_settings, w.org_id as a_org_id,
         o.name as a_org_name, wm.role as a_ws_role, om.role as a_org_role
    from deployments d join workspaces w on w.id = d.workspace_id join orgs o on o.id = w.org_id
    left join workspace_memberships wm on wm.workspace_id = w.id and wm.user_id = ?
    left join org_memberships om on om.org_id = o.id and om.user_id = ?
   where d.id = ?`;

export async function loadDeployment(em: EntityManager, principal: Principal, id: string, need: Need): Promise<{ deployment: Deployment; access: WorkspaceAccess }> {
  const rows = await executePrepared(em, DEPLOYMENT_WITH_ACCESS, [principal.userId, principal.userId, id]);
  if (rows.length === 0) throw deploymentNotFound(id);
  const columns: Record<string, unknown> = {};
  const workspace: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rows[0])) {
    if (key.startsWith('a_')) workspace[key.slice(2)] = value;
    else columns[key] = value;
  }
  const deployment = em.map(Deployment, columns as EntityDictionary<Deployment>);
  const hidden = () => deploymentNotFound(id);
  const visible = accessFromRow({ ...workspace, id: deployment.workspaceId });
  if (!visible) throw hidden();
  return { deployment, access: authorize(principal, visible, need, deployTokenReach(deployment, need), hidden) };
}

/** A deploy token reads the deployments of its app and profile; changing one (rollback) needs a personal token. */
function deployTokenReach(deployment: Deployment, need: Need): AccessOptions {
  return need === 'read' ? { deployTokenApp: deployment.app, deployTokenProfile: deployment.profile } : {};
}
