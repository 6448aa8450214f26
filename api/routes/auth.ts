// `loco login` through GitHub's device flow (when LOCO_GITHUB_CLIENT_ID is configured). These
// two routes are public: they are how a caller gets a token.

import type { FastifyPluginAsync } from 'fastify';
import { LocoError } from '../../generator/errors.ts';
import { pollDeviceFlow, startDeviceFlow } from '../auth/github-device.ts';
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
};

export default authRoutes;
