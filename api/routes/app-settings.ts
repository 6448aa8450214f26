// Runtime settings of an app per profile: env variables and scale. Each change edits
// apps/<app>/overrides.toml and re-renders the profile's overlay as one commit (no image
// rebuild), recorded and tracked as a deployment with change type env or scale.

import { recordedConfigVersion } from '../deployments/release-version.ts';
import { claimsOfRelease } from '../routing/claims.ts';
import type { FastifyPluginAsync } from 'fastify';
import type { EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import { effectiveEnv, parseConfig } from '../../generator/index.ts';
import { requirePrincipal, type Principal } from '../auth/authenticate.ts';
import { workspaceAccess, type WorkspaceAccess } from '../auth/access.ts';
import { Deployment } from '../db/entities.ts';
import { createDeployment } from '../deployments/create.ts';
import { applyOverrideChange, overridesPath, overrideVariables, type OverrideChange } from '../deployments/overrides.ts';
import { headOrCreate } from '../deployments/prepare.ts';
import { otherAppsAt } from '../deployments/other-apps.ts';
import { deploymentJson } from '../deployments/records.ts';
import type { LocoServices } from '../services.ts';
import { loadApp } from './apps.ts';
import { refuseRuntimeChange } from '../promotions/protect.ts';
import { appParams, name, problemResponses } from './schemas.ts';

const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';
const profileQuery = { type: 'object', additionalProperties: false, properties: { profile: { ...name, default: 'default' } } } as const;

/** The release an env/scale change re-renders: the latest committed deployment of the app/profile. */
export async function currentRelease(em: EntityManager, access: WorkspaceAccess, appName: string, profile: string): Promise<Deployment> {
  const record = await loadApp(em, access, appName);
  const release = await em.findOne(Deployment, { appId: record.id, profile, commit: { $ne: null }, changeType: { $ne: 'delete' } }, { orderBy: { createdAt: 'desc' } });
  if (!release) {
    throw new LocoError('conflict.not-deployed', `${appName} has not been deployed to ${profile} yet`, `deploy it first: loco deploy --profile ${profile}`);
  }
  return release;
}

async function recordChange(
  loco: LocoServices, access: WorkspaceAccess, principal: Principal, release: Deployment, kind: 'env' | 'scale', change: OverrideChange, summary: string,
) {
  // validate the edit now against the current file, so a bad value is a 400 rather than a failed deployment
  const head = await headOrCreate(loco.store, access.slug);
  const path = overridesPath(release.app);
  const version = await recordedConfigVersion(loco.store, access.slug, head, release.app, release.profile);
  applyOverrideChange((await loco.store.readFiles(access.slug, head, path)).get(path) ?? '', release.profile, kind, change, release.configText, version);
  const em = loco.em();
  const { deployment } = await createDeployment(em, loco.bus, {
    access, principal, app: release.app, profile: release.profile, changeType: kind, change: { ...change },
    claims: claimsOfRelease(release.configText, release.profile, access.slug, version),
    image: release.image, configText: release.configText, envFile: release.envFile, configDigest: release.configDigest, summary,
  });
  loco.runner.kick(deployment.id, { workspaceId: deployment.workspaceId });
  return deploymentJson(deployment, access.org, access.workspace);
}

const appSettingsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/orgs/:org/workspaces/:ws/apps/:app/env', {
    schema: {
      summary: 'Env variables of an app in one profile: the runtime overrides, and the effective environment with each source',
      params: appParams,
      querystring: profileQuery,
      response: {
        200: {
          type: 'object',
          properties: {
            app: { type: 'string' }, profile: { type: 'string' },
            variables: { type: 'object', additionalProperties: { type: 'string' }, description: 'the runtime overrides (loco env set) only' },
            environment: {
              type: 'array', description: "the effective environment of the latest release, each variable with its source; secrets as references",
              items: {
                type: 'object', required: ['name', 'source'],
                properties: {
                  name: { type: 'string' }, source: { type: 'string', enum: ['loco.toml', 'profile', 'overrides', 'Env.File', 'loco'] }, value: { type: 'string' },
                  secret: { type: 'object', properties: { name: { type: 'string' }, key: { type: 'string' } } },
                },
              },
            },
          },
        },
        ...problemResponses,
      },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const { profile } = request.query as { profile: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'read');
    const record = await loadApp(em, access, appName);
    const head = await app.loco.store.head(access.slug);
    const path = overridesPath(appName);
    const text = head ? (await app.loco.store.readFiles(access.slug, head, path)).get(path) : undefined;
    const release = await em.findOne(Deployment, { appId: record.id, profile, commit: { $ne: null }, changeType: { $ne: 'delete' } }, { orderBy: { createdAt: 'desc' } });
    const environment = release && head ? effectiveEnv({
      config: parseConfig(release.configText, 'loco.toml'), configText: release.configText, profile, image: release.image, workspace: access.slug, ...(app.loco.options.endpoints ?? {}),
      otherApps: await otherAppsAt(app.loco.store, access.slug, head, appName, profile),
      ...(text !== undefined ? { overrides: text } : {}), ...(release.envFile !== null ? { envFile: release.envFile } : {}),
    }) : [];
    return { app: appName, profile, variables: overrideVariables(text, profile), environment };
  });

  app.patch('/orgs/:org/workspaces/:ws/apps/:app/env', {
    schema: {
      summary: 'Set and unset env variables of an app in one profile: one commit, tracked as a deployment',
      params: appParams,
      querystring: profileQuery,
      body: {
        type: 'object', additionalProperties: false, minProperties: 1,
        properties: {
          set: { type: 'object', propertyNames: { pattern: ENV_NAME }, additionalProperties: { type: 'string', maxLength: 65536 } },
          unset: { type: 'array', items: { type: 'string', pattern: ENV_NAME }, maxItems: 500 },
        },
      },
      response: { 202: { $ref: 'Deployment#' }, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const { profile } = request.query as { profile: string };
    const body = request.body as { set?: Record<string, string>; unset?: string[] };
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'deploy');
    refuseRuntimeChange(access, appName, profile, 'env');
    const release = await currentRelease(em, access, appName, profile);
    const keys = [...Object.keys(body.set ?? {}).map((k) => `set ${k}`), ...(body.unset ?? []).map((k) => `unset ${k}`)];
    const json = await recordChange(app.loco, access, principal, release, 'env', { set: body.set ?? {}, unset: body.unset ?? [] },
      `env ${appName}@${profile}: ${keys.join(', ') || 'no change'} (requested by ${principal.userName})`);
    return reply.code(202).header('location', `/api/v1/deployments/${json.id}`).send(json);
  });

  app.post('/orgs/:org/workspaces/:ws/apps/:app/scale', {
    schema: {
      summary: 'Scale an app in one profile (replicas, CPU, memory): one commit, tracked as a deployment',
      params: appParams,
      body: {
        type: 'object', required: ['profile'], additionalProperties: false, minProperties: 2,
        properties: {
          profile: name,
          replicas: { type: 'integer', minimum: 0, maximum: 1000 },
          // no pattern: the overrides check names a bad quantity and the fix (a pattern would answer with the regex)
          cpu: { type: 'string', maxLength: 20, description: 'e.g. 500m or 2' },
          memory: { type: 'string', maxLength: 20, description: 'e.g. 512Mi or 2Gi' },
        },
      },
      response: { 202: { $ref: 'Deployment#' }, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const { profile, ...change } = request.body as { profile: string } & OverrideChange;
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'deploy');
    refuseRuntimeChange(access, appName, profile, 'scale');
    const release = await currentRelease(em, access, appName, profile);
    const what = Object.entries(change).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    const json = await recordChange(app.loco, access, principal, release, 'scale', change, `scale ${appName}@${profile}: ${what} (requested by ${principal.userName})`);
    return reply.code(202).header('location', `/api/v1/deployments/${json.id}`).send(json);
  });
};

export default appSettingsRoutes;
