// Shapes of the Loco REST API (COMMON.md "REST API") as the CLI reads them. The API owns the
// contract; these types mirror it and are checked at the boundary by the client.

import type { components, operations, paths } from './openapi.gen.ts';

/** From the API's own document (api/client/openapi.gen.ts, `npm run generate:client`). */
export type DeploymentStatus = components['schemas']['Deployment']['status'];

export type Deployment = components['schemas']['Deployment'];

/** GET …/apps/:app/secrets: where and with what to seal, and the names already sealed (never values). */
export type SecretsOfProfile = paths['/api/v1/orgs/{org}/workspaces/{ws}/apps/{app}/secrets']['get']['responses'][200]['content']['application/json'];

/** POST …/apps/:app/registry-credential: where `loco deploy` pushes what it builds, and the builder's five-minute login. */
export type RegistryCredential = paths['/api/v1/orgs/{org}/workspaces/{ws}/apps/{app}/registry-credential']['post']['responses'][200]['content']['application/json'];

/** A deployment event (the events route's JSON and each SSE message's data), as the API's document has it. */
export type DeploymentEvent = components['schemas']['Event'];

/**
 * Whether a deployment has reached its outcome: succeeded or failed, or committed with a
 * finish time (no Argo CD configured, so Loco cannot watch further).
 */
export function isFinished(d: Pick<Deployment, 'status' | 'finishedAt'>): boolean {
  return d.status === 'succeeded' || d.status === 'failed' || Boolean(d.finishedAt);
}

/** A custom domain of a workspace (GET …/domains), with its DNS challenge until verified. */
export type Domain = components['schemas']['Domain'];

/** A member of a workspace (GET …/members). */
export interface Member {
  user: string;
  role: string;
  email?: string;
}

export interface Membership {
  org: string;
  workspace: string;
  role: string;
}

export interface Me {
  user: { id: string; name: string; email?: string };
  memberships: Membership[];
  /** The token the request was made with: a personal token, or a deploy token's app@profile scope. */
  token?: operations['getMe']['responses'][200]['content']['application/json']['token'];
}

/** A token as `POST /tokens` and `…/deploy-tokens` answer: the only time its secret is shown. */
export type IssuedToken = operations['postTokens']['responses'][201]['content']['application/json'];

/** A token as `GET /tokens` lists it: never its secret. */
export type TokenSummary = operations['getTokens']['responses'][200]['content']['application/json'][number];

/** An invitation code, shown once to the admin who made it. */
export interface Invitation {
  code: string;
  expiresAt: string;
}

export interface WorkspaceRef {
  org: string;
  workspace: string;
}

export interface AppSummary {
  name: string;
  [extra: string]: unknown;
}

export interface AppStatus {
  app: string;
  profile: string;
  deployment?: Deployment | null;
  sync?: string;
  health?: string;
  revision?: string;
  resources?: { kind: string; name: string; namespace?: string; sync?: string; health?: string; message?: string; [k: string]: unknown }[];
  /** Resources (Pods included) whose health is not Healthy, with Argo CD's reason and message. */
  unhealthy?: { kind: string; name: string; namespace?: string; health: string; message: string }[];
  [extra: string]: unknown;
}

export interface HistoryEntry {
  commit: string;
  time: string;
  actor?: string;
  app?: string;
  profile?: string;
  change?: string;
  image?: string;
  configDigest?: string;
  subject?: string;
  deploymentId?: string;
  outcome?: string;
  [extra: string]: unknown;
}

export interface Promotion {
  id: string;
  org: string;
  workspace: string;
  app: string;
  kind: 'promote' | 'rollback';
  from: string;
  to: string;
  status: 'open' | 'approved' | 'merged' | 'closed' | 'superseded';
  title: string;
  /** Markdown: image, config digest, the source outcome and what changes. */
  body: string;
  branch: string;
  headCommit?: string;
  pullRequest?: { number?: number; url?: string };
  sourceDeploymentId: string;
  /** The source release's outcome; `sourceVerified` false when it ended at committed (no Argo CD saw it run). */
  sourceStatus?: string;
  sourceVerified?: boolean;
  author: string;
  approvals: { user: string; at: string }[];
  approvalsRequired: number;
  deploymentId?: string;
  mergeCommit?: string;
  supersededBy?: string;
  createdAt: string;
  updatedAt: string;
}

/** GET/PUT …/promotion-rules: approvals per profile (unset: prod/production 1, others 0) and emergency rollbacks. */
export interface PromotionRules {
  profiles: Record<string, { approvals: number }>;
  emergencyRollback: boolean;
}

export interface CreateDeploymentBody {
  config: string;
  profile: string;
  image: string;
  idempotencyKey?: string;
  confirmPrune?: boolean;
  dryRun?: boolean;
}

export interface ScaleBody {
  profile: string;
  replicas?: number;
  cpu?: string;
  memory?: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  hint?: string;
  problems?: { code: string; message: string; hint: string; at?: { file?: string; line: number; column: number }; path?: string }[];
  requestId?: string;
}

/** GET …/audit/verify: whether the workspace's git history holds up as an audit trail. */
export interface AuditReport {
  ok: boolean;
  commits: number;
  /** Deployment records in the database. */
  deployments: number;
  /** What git alone holds: deployments its commits name, and how many have their outcome recorded (refs/notes/loco). */
  inGit?: { deployments: number; outcomes: number };
  findings: { code: string; message: string; hint: string; commit?: string; deploymentId?: string }[];
}

/** A workspace as GET /orgs/:org/workspaces lists it (slug: its GitOps repository). */
export interface WorkspaceSummary {
  org: string;
  name: string;
  slug: string;
  role: string;
  createdAt: string;
}

/** DELETE /orgs/:org/workspaces/:ws: the commit that removed every app, and what to remove from Argo CD. */
export interface WorkspaceDeleted {
  deleted: string;
  commit?: string;
  removedApps: string[];
  argocd: { applications: string[]; applicationSet: string; project: string; rbacPolicyKey: string; commands: string[] };
  nextStep: string;
}
