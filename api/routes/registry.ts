// The registry side of `loco deploy` without --image. Loco is the token realm of the platform's
// registry (docs/registry-tokens.md): GET /registry/token answers the docker token protocol
// (Basic auth, the password a Loco token) with a JWT of at most five minutes that grants
// pull/push only on repositories under the caller's workspaces, `<org>/<workspace>/…`.
// POST …/registry-credential gives the CLI where to push and a fresh five-minute deploy token
// for that app to hand to the builder, so the builder never holds the user's own token.

import type { FastifyPluginAsync } from 'fastify';
import type { EntityManager } from '@mikro-orm/postgresql';
import { LocoError } from '../../generator/errors.ts';
import { principalFor, requirePrincipal, type Principal } from '../auth/authenticate.ts';
import { workspaceAccess } from '../auth/access.ts';
import { DEPLOY_TOKEN_TTL_MS, issueDeployToken } from '../auth/tokens.ts';
import { grantedActions, parseScope, repositoryOwner, REGISTRY_TOKEN_MAX_SECONDS, signRegistryToken, type Access, type RegistryTokenIssuer } from '../images/registry-token.ts';
import { appParams, name, problemResponses } from './schemas.ts';

function notConfigured(): LocoError {
  return new LocoError('rejected.no-build-registry', 'this Loco does not issue registry credentials, so it cannot take an image built by loco deploy',
    'ask the platform operator to set LOCO_REGISTRY_TOKEN_KEY and LOCO_REGISTRY_TOKEN_CERT (docs/registry-tokens.md), or pass --image <registry>/<org>/<workspace>/<app>:<tag> with an image you pushed yourself');
}

/** `Basic base64(user:password)` → the password, which is a Loco API token. */
function basicPassword(header: string | undefined): string {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  const decoded = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon < 0 || colon === decoded.length - 1) {
    throw new LocoError('auth.missing-token', 'the registry token service needs a Loco token as the password (Basic auth)', 'log the builder in with any user name and a Loco token as the password: podman login -u loco <registry>');
  }
  return decoded.slice(colon + 1);
}

/** The part of one requested scope the principal may have: nothing outside its workspaces, never delete. */
async function grant(em: EntityManager, principal: Principal, scope: Access): Promise<Access | null> {
  if (scope.type !== 'repository') return null;
  const owner = repositoryOwner(scope.name);
  if (!owner) return null;
  // a deploy token reaches its app's one repository, not names below it
  if (principal.tokenKind === 'deploy' && scope.name !== `${owner.org}/${owner.workspace}/${owner.app}`) return null;
  try {
    const access = await workspaceAccess(em, principal, owner.org, owner.workspace, 'read', { deployTokenApp: owner.app, deployTokenProfile: principal.tokenProfile ?? undefined });
    const actions = grantedActions(scope.actions, access.role);
    return actions.length ? { type: 'repository', name: scope.name, actions } : null;
  } catch (error) {
    // not a member, or a deploy token of another app: the registry answers 401/403, as for a missing grant
    if (error instanceof LocoError && (error.family === 'auth' || error.family === 'not-found')) return null;
    throw error;
  }
}

const registryRoutes: FastifyPluginAsync = async (app) => {
  const now = () => new Date(app.loco.clock.now());
  const issuer = (): RegistryTokenIssuer => {
    const found = app.loco.options.images?.tokenIssuer;
    if (!found) throw notConfigured();
    return found;
  };

  app.get('/registry/token', {
    config: { public: true },
    schema: {
      summary: "The registry's token realm (docker token protocol): Basic auth with a Loco token as the password; grants pull/push under the caller's workspaces for at most 5 minutes",
      querystring: {
        type: 'object',
        properties: {
          service: { type: 'string', maxLength: 300 },
          scope: { type: 'array', items: { type: 'string', maxLength: 500 }, maxItems: 20, description: 'repository:<org>/<workspace>/<app>:push,pull (repeatable)' },
          account: { type: 'string', maxLength: 200 },
          client_id: { type: 'string', maxLength: 200 },
          offline_token: { type: 'string', maxLength: 10 },
        },
      },
      response: {
        200: { type: 'object', properties: { token: { type: 'string' }, access_token: { type: 'string' }, expires_in: { type: 'integer' }, issued_at: { type: 'string' } } },
        ...problemResponses,
      },
    },
  }, async (request) => {
    const signer = issuer();
    const query = request.query as { service?: string; scope?: string[] };
    if (query.service && query.service !== signer.service) {
      throw new LocoError('validation.registry-service', `Loco issues tokens for the registry service ${JSON.stringify(signer.service)}, not ${JSON.stringify(query.service)}`,
        'set the registry\'s auth.token.service to the same name as LOCO_REGISTRY_TOKEN_SERVICE (default: the registry host)');
    }
    const at = now();
    const principal = await principalFor(app.loco.em, `Bearer ${basicPassword(request.headers.authorization)}`, at);
    const em = app.loco.em();
    const access: Access[] = [];
    // scopes come as repeated parameters; some clients join several with spaces in one
    for (const text of (query.scope ?? []).flatMap((s) => s.split(' ')).filter(Boolean)) {
      const scope = parseScope(text);
      const granted = scope ? await grant(em, principal, scope) : null;
      if (granted) access.push(granted);
    }
    // never outlive the Loco token it was exchanged for
    const left = principal.tokenExpiresAt ? (principal.tokenExpiresAt.getTime() - at.getTime()) / 1000 : REGISTRY_TOKEN_MAX_SECONDS;
    const signed = signRegistryToken(signer, { subject: principal.userName, access, now: at, ttlSeconds: Math.min(REGISTRY_TOKEN_MAX_SECONDS, left) });
    request.log.info({ user: principal.userName, token: principal.tokenId, access: access.map((a) => `${a.name}:${a.actions.join(',')}`) }, 'registry token issued');
    return { token: signed.token, access_token: signed.token, expires_in: signed.expiresIn, issued_at: signed.issuedAt };
  });

  app.post('/orgs/:org/workspaces/:ws/apps/:app/registry-credential', {
    schema: {
      summary: 'Where loco deploy pushes the image it builds for this app, and a five-minute deploy token for the builder to log in to the registry with',
      params: appParams,
      body: { type: 'object', required: ['profile'], additionalProperties: false, properties: { profile: name } },
      response: {
        200: {
          type: 'object',
          required: ['registry', 'repository', 'plainHttp', 'username', 'password', 'expiresAt'],
          properties: {
            registry: { type: 'string', description: 'host[:port] of the registry' },
            repository: { type: 'string', description: '<registry>/<org>/<workspace>/<app>' },
            plainHttp: { type: 'boolean', description: 'the registry is reached over plain HTTP (listed as http://… in LOCO_IMAGE_REGISTRIES)' },
            username: { type: 'string' },
            password: { type: 'string', description: 'a deploy token for this app and profile, valid 5 minutes; the registry exchanges it at GET /api/v1/registry/token' },
            expiresAt: { type: 'string', format: 'date-time' },
          },
        },
        ...problemResponses,
      },
    },
  }, async (request) => {
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const { profile } = request.body as { profile: string };
    const principal = requirePrincipal(request);
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'deploy', { deployTokenApp: appName, deployTokenProfile: profile });
    const signer = issuer();
    const at = now();
    const left = principal.tokenExpiresAt ? principal.tokenExpiresAt.getTime() - at.getTime() : DEPLOY_TOKEN_TTL_MS;
    const issued = await issueDeployToken(em, { userId: principal.userId, workspaceId: access.workspaceId, app: appName, profile }, { now: at, ttlMs: Math.min(DEPLOY_TOKEN_TTL_MS, left) });
    return {
      registry: signer.registry.host,
      repository: `${signer.registry.host}/${org}/${ws}/${appName}`,
      plainHttp: signer.registry.plainHttp,
      username: 'loco',
      password: issued.token,
      expiresAt: issued.expiresAt.toISOString(),
    };
  });
};

export default registryRoutes;
