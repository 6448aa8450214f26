// How a caller without a token gets one: `loco login` through GitHub's device flow (when
// LOCO_GITHUB_CLIENT_ID is configured), or `loco login --invite` with an invitation code an admin
// handed out. These routes are public.

import type { FastifyPluginAsync } from 'fastify';
import { LocoError } from '../../generator/errors.ts';
import { pollDeviceFlow, startDeviceFlow } from '../auth/github-device.ts';
import { redeemInvitation } from '../auth/invitations.ts';
import { problemResponses } from './schemas.ts';

const notConfigured = () =>
  new LocoError('unavailable.github-login', 'GitHub login is not configured on this Loco API', 'ask the operator to set LOCO_GITHUB_CLIENT_ID, or log in with a token: loco login --token');

const authRoutes: FastifyPluginAsync = async (app) => {
  app.post('/auth/github/device', {
    config: { public: true },
    schema: {
      summary: 'Start a GitHub device-flow login',
      response: {
        200: { type: 'object', properties: { deviceCode: { type: 'string' }, userCode: { type: 'string' }, verificationUri: { type: 'string' }, expiresIn: { type: 'integer' }, interval: { type: 'integer' } } },
        ...problemResponses,
      },
    },
  }, async () => {
    const settings = app.loco.options.githubOAuth;
    if (!settings) throw notConfigured();
    return startDeviceFlow(settings);
  });

  app.post('/auth/github/token', {
    config: { public: true },
    schema: {
      summary: 'Poll a GitHub device-flow login; on success returns a Loco API token',
      body: { type: 'object', required: ['deviceCode'], additionalProperties: false, properties: { deviceCode: { type: 'string', minLength: 1, maxLength: 200 } } },
      response: {
        200: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['pending', 'slow_down', 'complete'] }, interval: { type: 'integer' }, token: { type: 'string' },
            user: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } } },
          },
        },
        ...problemResponses,
      },
    },
  }, async (request) => {
    const settings = app.loco.options.githubOAuth;
    if (!settings) throw notConfigured();
    return pollDeviceFlow(settings, app.loco.em(), (request.body as { deviceCode: string }).deviceCode);
  });

  app.post('/auth/invitations/redeem', {
    config: { public: true },
    schema: {
      summary: 'Redeem an invitation code (once, before it expires) for the invited user\'s first personal token',
      body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: { type: 'string', minLength: 1, maxLength: 200 } } },
      response: {
        201: {
          type: 'object',
          required: ['token', 'expiresAt', 'user', 'org', 'workspace', 'role'],
          properties: {
            token: { type: 'string', description: 'the secret; shown in this answer only' }, expiresAt: { type: 'string', format: 'date-time' },
            user: { type: 'string' }, org: { type: 'string' }, workspace: { type: 'string' }, role: { type: 'string' },
          },
        },
        ...problemResponses,
      },
    },
  }, async (request, reply) => {
    const redeemed = await redeemInvitation(app.loco.em(), (request.body as { code: string }).code.trim(), new Date(app.loco.clock.now()));
    const { token, ...rest } = redeemed;
    return reply.code(201).send({ token: token.token, expiresAt: token.expiresAt.toISOString(), ...rest });
  });
};

export default authRoutes;
