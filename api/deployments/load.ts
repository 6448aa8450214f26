// Finding a deployment by id for a caller: a deployment of a workspace the caller cannot see
// answers exactly like a missing one.

import type { EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import { workspaceAccessById, type AccessOptions, type Need, type WorkspaceAccess } from '../auth/access.ts';
import type { Principal } from '../auth/authenticate.ts';
import { Deployment } from '../db/entities.ts';

export function deploymentNotFound(id: string): LocoError {
  return new LocoError('not-found.deployment', `deployment ${id} was not found`, 'see an app\'s deployments with `loco history <app>`');
}

export async function loadDeployment(em: EntityManager, principal: Principal, id: string, need: Need): Promise<{ deployment: Deployment; access: WorkspaceAccess }> {
  const deployment = await em.findOne(Deployment, { id });
  if (!deployment) throw deploymentNotFound(id);
  const access = await workspaceAccessById(em, principal, deployment.workspaceId, need, deployTokenReach(deployment, need), () => deploymentNotFound(id));
  return { deployment, access };
}

/** A deploy token reads the deployments of its app and profile; changing one (rollback) needs a personal token. */
function deployTokenReach(deployment: Deployment, need: Need): AccessOptions {
  return need === 'read' ? { deployTokenApp: deployment.app, deployTokenProfile: deployment.profile } : {};
}
