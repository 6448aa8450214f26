// The database model (MikroORM defineEntity, no decorators). Git holds desired state; these
// tables hold who, what happened and outcomes. Foreign keys are plain id columns (declared as
// constraints in the migration) so that every query reads one table or an explicit join.

import { defineEntity, p } from '@mikro-orm/core';
import type { InferEntity } from '@mikro-orm/core';

export const WORKSPACE_ROLES = ['admin', 'deploy', 'read'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];
export const ORG_ROLES = ['admin', 'member'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];
export const DEPLOYMENT_STATUSES = ['pending', 'committed', 'syncing', 'progressing', 'succeeded', 'failed'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];
export const CHANGE_TYPES = ['deploy', 'scale', 'env', 'rollback', 'promote', 'delete', 'secrets'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];
export const PROMOTION_STATUSES = ['open', 'approved', 'merged', 'closed', 'superseded'] as const;
export type PromotionStatus = (typeof PROMOTION_STATUSES)[number];

const now = () => new Date();

export const Org = defineEntity({
  name: 'Org',
  tableName: 'orgs',
  properties: {
    id: p.string().primary(),
    name: p.string().unique(),
    createdAt: p.datetime().onCreate(now),
  },
});
export type Org = InferEntity<typeof Org>;

export const Workspace = defineEntity({
  name: 'Workspace',
  tableName: 'workspaces',
  properties: {
    id: p.string().primary(),
    orgId: () => p.manyToOne(Org).mapToPk().joinColumn('org_id'),
    name: p.string(),
    /** `<org>--<workspace>` (generator/names.ts): the repository and namespace prefix. */
    slug: p.string().unique(),
    /** Per-profile rules and switches for promotions (issue 7), e.g. {"profiles":{"prod":{"approvals":1}}}. */
    settings: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(now),
  },
});
export type Workspace = InferEntity<typeof Workspace>;

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.string().primary(),
    /** Login name (the GitHub login when the user came through GitHub). */
    name: p.string().unique(),
    email: p.string().nullable(),
    githubId: p.string().nullable(),
    createdAt: p.datetime().onCreate(now),
  },
});
export type User = InferEntity<typeof User>;

export const OrgMembership = defineEntity({
  name: 'OrgMembership',
  tableName: 'org_memberships',
  properties: {
    id: p.string().primary(),
    orgId: () => p.manyToOne(Org).mapToPk().joinColumn('org_id'),
    userId: () => p.manyToOne(User).mapToPk().joinColumn('user_id'),
    role: p.enum(ORG_ROLES),
    createdAt: p.datetime().onCreate(now),
  },
});
export type OrgMembership = InferEntity<typeof OrgMembership>;

export const WorkspaceMembership = defineEntity({
  name: 'WorkspaceMembership',
  tableName: 'workspace_memberships',
  properties: {
    id: p.string().primary(),
    workspaceId: () => p.manyToOne(Workspace).mapToPk().joinColumn('workspace_id'),
    userId: () => p.manyToOne(User).mapToPk().joinColumn('user_id'),
    role: p.enum(WORKSPACE_ROLES),
    createdAt: p.datetime().onCreate(now),
  },
});
export type WorkspaceMembership = InferEntity<typeof WorkspaceMembership>;

export const App = defineEntity({
  name: 'App',
  tableName: 'apps',
  properties: {
    id: p.string().primary(),
    workspaceId: () => p.manyToOne(Workspace).mapToPk().joinColumn('workspace_id'),
    name: p.string(),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});
export type App = InferEntity<typeof App>;

export const Deployment = defineEntity({
  name: 'Deployment',
  tableName: 'deployments',
  properties: {
    id: p.string().primary(),
    workspaceId: () => p.manyToOne(Workspace).mapToPk().joinColumn('workspace_id'),
    appId: () => p.manyToOne(App).mapToPk().joinColumn('app_id'),
    app: p.string(),
    profile: p.string(),
    changeType: p.enum(CHANGE_TYPES),
    /** What an env/scale/rollback change does ({set, unset} / {replicas, cpu, memory} / {target}). */
    change: p.json<Record<string, unknown>>().nullable(),
    image: p.string(),
    configText: p.text(),
    /** Text of the dotenv file loco.toml's Env.File names, when it names one. */
    envFile: p.text().nullable(),
    configDigest: p.string(),
    idempotencyKey: p.string().nullable(),
    requestHash: p.string().nullable(),
    status: p.enum(DEPLOYMENT_STATUSES),
    reason: p.string().nullable(),
    message: p.text().nullable(),
    nextStep: p.text().nullable(),
    commit: p.string().nullable(),
    actor: p.string(),
    actorUserId: () => p.manyToOne(User).mapToPk().joinColumn('actor_user_id'),
    confirmPrune: p.boolean().default(false),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
    /** Set once the outcome is final; a deployment without it is still being carried forward. */
    finishedAt: p.datetime().nullable(),
    /** Durable tracking: the API process that carries the deployment forward, until when. */
    leaseOwner: p.string().nullable(),
    leaseExpiresAt: p.datetime().nullable(),
    lastEventSeq: p.integer().default(0),
  },
});
export type Deployment = InferEntity<typeof Deployment>;

export const DeploymentEvent = defineEntity({
  name: 'DeploymentEvent',
  tableName: 'events',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    deploymentId: () => p.manyToOne(Deployment).mapToPk().joinColumn('deployment_id'),
    seq: p.integer(),
    time: p.datetime(),
    type: p.string(),
    message: p.text(),
    data: p.json<Record<string, unknown>>().nullable(),
  },
});
export type DeploymentEvent = InferEntity<typeof DeploymentEvent>;

export const Promotion = defineEntity({
  name: 'Promotion',
  tableName: 'promotions',
  properties: {
    id: p.string().primary(),
    workspaceId: () => p.manyToOne(Workspace).mapToPk().joinColumn('workspace_id'),
    appId: () => p.manyToOne(App).mapToPk().joinColumn('app_id'),
    app: p.string(),
    sourceDeploymentId: () => p.manyToOne(Deployment).mapToPk().joinColumn('source_deployment_id'),
    fromProfile: p.string(),
    toProfile: p.string(),
    branch: p.string(),
    prNumber: p.integer().nullable(),
    prUrl: p.string().nullable(),
    status: p.enum(PROMOTION_STATUSES),
    authorUserId: () => p.manyToOne(User).mapToPk().joinColumn('author_user_id'),
    approverUserId: () => p.manyToOne(User).mapToPk().joinColumn('approver_user_id').nullable(),
    /** The deployment that tracks the merge commit in the target profile. */
    deploymentId: () => p.manyToOne(Deployment).mapToPk().joinColumn('deployment_id').nullable(),
    mergeCommit: p.string().nullable(),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});
export type Promotion = InferEntity<typeof Promotion>;

export const ApiToken = defineEntity({
  name: 'ApiToken',
  tableName: 'api_tokens',
  properties: {
    id: p.string().primary(),
    userId: () => p.manyToOne(User).mapToPk().joinColumn('user_id'),
    name: p.string(),
    kind: p.enum(['personal', 'deploy'] as const),
    /** sha256 of the token; the token itself is shown once and never stored. */
    hash: p.string().unique(),
    workspaceId: () => p.manyToOne(Workspace).mapToPk().joinColumn('workspace_id').nullable(),
    app: p.string().nullable(),
    /** Deploy tokens only: the one profile of `app` they may deploy. */
    profile: p.string().nullable(),
    expiresAt: p.datetime().nullable(),
    /** Updated at most once a minute (a write per request would double the cost of a read). */
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(now),
  },
});
export type ApiToken = InferEntity<typeof ApiToken>;

export const Invitation = defineEntity({
  name: 'Invitation',
  tableName: 'invitations',
  properties: {
    id: p.string().primary(),
    workspaceId: () => p.manyToOne(Workspace).mapToPk().joinColumn('workspace_id'),
    userId: () => p.manyToOne(User).mapToPk().joinColumn('user_id'),
    role: p.enum(WORKSPACE_ROLES),
    /** sha256 of the code; the code itself is shown once to the inviting admin. */
    hash: p.string().unique(),
    invitedByUserId: () => p.manyToOne(User).mapToPk().joinColumn('invited_by_user_id'),
    expiresAt: p.datetime(),
    redeemedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(now),
  },
});
export type Invitation = InferEntity<typeof Invitation>;

/** The workspace a host belongs to (api/routing/claims.ts): no other workspace may route on it. */
export const RouteHost = defineEntity({
  name: 'RouteHost',
  tableName: 'route_hosts',
  properties: {
    host: p.string().primary(),
    workspaceId: () => p.manyToOne(Workspace).mapToPk().joinColumn('workspace_id'),
    createdAt: p.datetime().onCreate(now),
  },
});
export type RouteHost = InferEntity<typeof RouteHost>;

/** One (host, protocol, path prefix) an app/profile's route takes; unique, so a race has one winner. */
export const RouteClaim = defineEntity({
  name: 'RouteClaim',
  tableName: 'route_claims',
  properties: {
    id: p.string().primary(),
    host: p.string(),
    protocol: p.enum(['http', 'grpc'] as const),
    /** HTTP path prefix, or `/<grpc service>` (`/` = every service). */
    pathPrefix: p.string(),
    workspaceId: () => p.manyToOne(Workspace).mapToPk().joinColumn('workspace_id'),
    appId: () => p.manyToOne(App).mapToPk().joinColumn('app_id'),
    app: p.string(),
    profile: p.string(),
    createdAt: p.datetime().onCreate(now),
  },
});
export type RouteClaim = InferEntity<typeof RouteClaim>;

/** A domain outside the platform's base domains that a workspace proves it controls by a DNS TXT record. */
export const CustomDomain = defineEntity({
  name: 'CustomDomain',
  tableName: 'custom_domains',
  properties: {
    id: p.string().primary(),
    workspaceId: () => p.manyToOne(Workspace).mapToPk().joinColumn('workspace_id'),
    domain: p.string(),
    token: p.string(),
    verifiedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(now),
  },
});
export type CustomDomain = InferEntity<typeof CustomDomain>;

export const entities = [Org, Workspace, User, OrgMembership, WorkspaceMembership, App, Deployment, DeploymentEvent, Promotion, ApiToken, Invitation, RouteHost, RouteClaim, CustomDomain];
