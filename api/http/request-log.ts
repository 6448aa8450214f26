// The tenant of a request's log lines: every line fastify writes for a request (errors, "request
// completed") names the workspace, app, profile and deployment it concerns, as soon as the route's
// params and body say so or the handler has loaded the deployment.

import type { FastifyReply, FastifyRequest } from 'fastify';

export interface TenantLogFields {
  /** `<org>/<workspace>`, as the runner's and the status-change lines write it */
  workspace?: string;
  app?: string;
  profile?: string;
  deploymentId?: string;
}

const DEPLOYMENT_ROUTE = /^\/api\/v1\/deployments\/:id(\/|$)/;

/** What a request's route, params, query and body say about its tenant (a `profile` only when it is a name). */
export function tenantOfRequest(route: string | undefined, params: unknown, query: unknown, body: unknown): TenantLogFields {
  const p = (params ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const profile = text((query as Record<string, unknown> | undefined)?.profile) ?? text((body as Record<string, unknown> | undefined)?.profile);
  const fields: TenantLogFields = {};
  if (text(p.org) && text(p.ws)) fields.workspace = `${p.org}/${p.ws}`;
  if (text(p.app)) fields.app = p.app as string;
  if (profile) fields.profile = profile;
  if (route && DEPLOYMENT_ROUTE.test(route) && text(p.id)) fields.deploymentId = p.id as string;
  return fields;
}

/** A deployment's tenant, once a handler has it. */
export function tenantOfDeployment(d: { id: string; app: string; profile: string }, access: { org: string; workspace: string }): TenantLogFields {
  return { workspace: `${access.org}/${access.workspace}`, app: d.app, profile: d.profile, deploymentId: d.id };
}

/**
 * Adds the fields the request's logger does not carry yet to its later lines (reply.log too:
 * fastify writes "request completed" through it). Bound keys are skipped, as pino would repeat them.
 */
export function bindTenant(request: FastifyRequest, reply: FastifyReply, fields: TenantLogFields): void {
  // pino's loggers have bindings(); the silent logger of `logger: false` has none and binds nothing
  const bound = (request.log as { bindings?: () => Record<string, unknown> }).bindings?.() ?? {};
  const added = Object.fromEntries(Object.entries(fields).filter(([key, value]) => value !== undefined && !(key in bound)));
  if (Object.keys(added).length > 0) request.log = reply.log = request.log.child(added);
}
