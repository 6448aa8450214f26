// Sealed secrets of an app per profile (loco secrets): the certificate and sealing scope the CLI
// needs to seal values on the client, the names and times already set, and set/unset as one
// commit tracked as a deployment. Only ciphertext ever arrives here.

import type { FastifyPluginAsync } from 'fastify';
import { LocoError } from '../../generator/errors.ts';
import { namespaceFor, parseConfig, resolveForRender, sealedSecretName, sealingLabel } from '../../generator/index.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { workspaceAccess } from '../auth/access.ts';
import { createDeployment } from '../deployments/create.ts';
import { overridesPath } from '../deployments/overrides.ts';
import { headOrCreate } from '../deployments/prepare.ts';
import { deploymentJson } from '../deployments/records.ts';
import { sealedValuesAt } from '../deployments/sealed-secrets.ts';
import { refuseRuntimeChange } from '../promotions/protect.ts';
import { ciphertextProblem, readSealingCertificate } from '../secrets/certificate.ts';
import { currentRelease } from './app-settings.ts';
import { loadApp } from './apps.ts';
import { appParams, name, problemResponses } from './schemas.ts';

const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';
const profileQuery = { type: 'object', additionalProperties: false, properties: { profile: { ...name, default: 'default' } } } as const;

const secretsSchema = {
  type: 'object',
  required: ['app', 'profile', 'namespace', 'secretName', 'scope', 'label', 'certificate', 'secrets'],
  properties: {
    app: { type: 'string' }, profile: { type: 'string' },
    namespace: { type: 'string', description: 'namespace of the SealedSecret and of the Secret the controller makes' },
    secretName: { type: 'string' },
    scope: { type: 'string', enum: ['strict'] },
    label: { type: 'string', description: 'RSA-OAEP label to seal with: "<namespace>/<secretName>" (strict scope)' },
    certificate: { type: 'string', description: "the platform's Sealed Secrets certificate (PEM)" },
    secrets: {
      type: 'array', description: 'names and when each was set; never values',
      items: { type: 'object', required: ['name', 'setAt'], properties: { name: { type: 'string' }, setAt: { type: 'string' } } },
    },
  },
} as const;

const secretsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/orgs/:org/workspaces/:ws/apps/:app/secrets', {
    schema: {
      summary: "Sealed secrets of an app in one profile: their names and times (never values), and the certificate and scope to seal new ones with",
      params: appParams, querystring: profileQuery,
      response: { 200: secretsSchema, ...problemResponses },
    },
  }, async (request) => {
    const principal = requirePrincipal(request);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const { profile } = request.query as { profile: string };
    const cert = await readSealingCertificate(app.loco.options.sealedSecretsCert);
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'read', { deployTokenApp: appName });
    await loadApp(em, access, appName);
    const head = await app.loco.store.head(access.slug);
    const values = head ? await sealedValuesAt(app.loco.store, access.slug, head, appName, profile) : {};
    const namespace = namespaceFor(access.slug, appName, profile);
    return {
      app: appName, profile, namespace, secretName: sealedSecretName(appName), scope: 'strict', label: sealingLabel(namespace, appName),
      certificate: cert.pem, secrets: Object.entries(values).map(([n, v]) => ({ name: n, setAt: v.setAt })),
    };
  });

  app.patch('/orgs/:org/workspaces/:ws/apps/:app/secrets', {
    schema: {
      summary: 'Set (already sealed on the client) and unset sealed secrets of an app in one profile: one commit, tracked as a deployment',
      params: appParams, querystring: profileQuery,
      body: {
        type: 'object', additionalProperties: false, minProperties: 1,
        properties: {
          set: { type: 'object', propertyNames: { pattern: ENV_NAME, maxLength: 253 }, additionalProperties: { type: 'string', maxLength: 200000 }, description: 'name → base64 ciphertext in kubeseal\'s format' },
          unset: { type: 'array', items: { type: 'string', pattern: ENV_NAME, maxLength: 253 }, maxItems: 500 },
        },
      },
      response: { 202: { $ref: 'Deployment#' }, ...problemResponses },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const { org, ws, app: appName } = request.params as { org: string; ws: string; app: string };
    const { profile } = request.query as { profile: string };
    const body = request.body as { set?: Record<string, string>; unset?: string[] };
    const set = body.set ?? {};
    const unset = body.unset ?? [];
    const cert = await readSealingCertificate(app.loco.options.sealedSecretsCert);
    for (const [key, ciphertext] of Object.entries(set)) {
      const problem = ciphertextProblem(ciphertext, cert);
      // the value is never echoed: it might be a plain value sent by mistake
      if (problem) throw new LocoError('validation.not-sealed', `the value of ${key} ${problem}`, 'seal values with loco secrets set, which fetches the platform\'s certificate; never send them in plain text');
    }
    const em = app.loco.em();
    const access = await workspaceAccess(em, principal, org, ws, 'deploy', { deployTokenApp: appName });
    refuseRuntimeChange(access, appName, profile, 'secrets');
    const release = await currentRelease(em, access, appName, profile);
    const head = await headOrCreate(app.loco.store, access.slug);
    const current = await sealedValuesAt(app.loco.store, access.slug, head, appName, profile);
    const missing = unset.filter((n) => !Object.hasOwn(current, n) && !Object.hasOwn(set, n));
    if (missing.length) {
      throw new LocoError('not-found.secret', `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a sealed secret of ${appName}@${profile}`, `see the names with loco secrets list --app ${appName} --profile ${profile}`);
    }
    // Refuse a name loco.toml already uses now (400), rather than as a failed deployment later.
    const overrides = (await app.loco.store.readFiles(access.slug, head, overridesPath(appName))).get(overridesPath(appName));
    const spec = resolveForRender({ config: parseConfig(release.configText, 'loco.toml'), profile, workspace: access.slug, ...(overrides !== undefined ? { overrides } : {}) });
    for (const key of Object.keys(set)) {
      const clash = Object.hasOwn(spec.env.variables, key) ? 'Env.Variables' : Object.hasOwn(spec.env.secrets, key) ? 'Env.Secrets' : undefined;
      if (clash) throw new LocoError('config.conflict', `${key} is already in ${clash} of ${appName}'s loco.toml`, `remove ${key} from ${clash} and deploy, or seal it under another name`);
    }
    const names = [...Object.keys(set).map((k) => `set ${k}`), ...unset.map((k) => `unset ${k}`)];
    const { deployment } = await createDeployment(app.loco.em(), app.loco.bus, {
      access, principal, app: appName, profile, changeType: 'secrets', change: { set, unset },
      image: release.image, configText: release.configText, envFile: release.envFile, configDigest: release.configDigest,
      summary: `secrets ${appName}@${profile}: ${names.join(', ')} (requested by ${principal.userName})`,
    });
    app.loco.runner.kick(deployment.id, { workspaceId: deployment.workspaceId });
    const json = deploymentJson(deployment, access.org, access.workspace);
    return reply.code(202).header('location', `/api/v1/deployments/${json.id}`).send(json);
  });
};

export default secretsRoutes;
