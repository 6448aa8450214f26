// Protected profiles (prod and production by default; see rules.ts) change by reviewed pull
// request: a promotion, or a rollback PR. These guards refuse the direct routes before anything
// is rendered or recorded, so a refused request leaves no trace but its answer.

import { LocoError } from '../../generator/errors.ts';
import type { WorkspaceAccess } from '../auth/access.ts';
import { promotionRules } from './rules.ts';

const rulesHint = (access: WorkspaceAccess, profile: string) =>
  `a workspace admin can lift the rule: loco promote rules set ${profile} --approvals 0 -w ${access.org}/${access.workspace} (PUT …/promotion-rules)`;

/** A deploy (new image or config) to a protected profile must be a promotion. */
export function refuseDirectDeploy(access: WorkspaceAccess, app: string, profile: string): void {
  if (!promotionRules(access.settings).isProtected(profile)) return;
  throw new LocoError(
    'conflict.protected-profile',
    `${app}@${profile} is protected by review: a new release reaches ${profile} by a promotion pull request, not by a direct deploy`,
    `deploy to another profile first, then: loco promote ${app} --from <that profile> --to ${profile}; or ${rulesHint(access, profile)}`,
  );
}

/** A rollback of a protected profile goes through POST …/apps/:app/rollbacks (a pull request). */
export function refuseDirectRollback(access: WorkspaceAccess, app: string, profile: string, deploymentId: string): void {
  if (!promotionRules(access.settings).isProtected(profile)) return;
  throw new LocoError(
    'conflict.protected-profile',
    `${app}@${profile} is protected by review: a rollback of it is a pull request`,
    `run \`loco rollback ${deploymentId}\` (POST /api/v1/orgs/${access.org}/workspaces/${access.workspace}/apps/${app}/rollbacks), which opens one, or an emergency rollback where the workspace allows it`,
  );
}

/**
 * Env, scale and sealed-secret changes keep the release (same image and config) and are often urgent, so on a
 * protected profile they are allowed to workspace admins only, as in a change-managed team
 * where operators may scale prod but developers may not.
 */
export function refuseRuntimeChange(access: WorkspaceAccess, app: string, profile: string, kind: 'env' | 'scale' | 'secrets'): void {
  if (access.role === 'admin' || !promotionRules(access.settings).isProtected(profile)) return;
  throw new LocoError(
    'conflict.protected-profile',
    `${app}@${profile} is protected by review: ${kind === 'env' ? 'environment variables' : kind === 'secrets' ? 'sealed secrets' : 'the scale'} of it may be changed by workspace admins only (your role is ${access.role})`,
    `ask a workspace admin of ${access.org}/${access.workspace} to make the change, or ${rulesHint(access, profile)}`,
  );
}
