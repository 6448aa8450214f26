// GitHub webhooks: POST /api/v1/webhooks/github (public; authenticated by X-Hub-Signature-256
// with LOCO_GITHUB_WEBHOOK_SECRET). `pull_request` closed events of promotion pull requests
// mark them merged (and start tracking the deployment of the merge commit) or closed.
// Answers 200 {handled, …}; 401 on a bad signature; 503 when no secret is configured.

import type { FastifyPluginAsync } from 'fastify';
import { LocoError } from '../../generator/errors.ts';
import { handlePullRequestEvent, isValidSignature, type PullRequestEvent } from '../promotions/webhook.ts';

const webhookRoutes: FastifyPluginAsync = async (app) => {
  // The signature covers the exact bytes GitHub sent: keep the raw text (this plugin only).
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 25 * 1024 * 1024 }, (_request, body, done) => done(null, body));

  app.post('/webhooks/github', {
    config: { public: true },
    schema: { summary: 'GitHub webhook deliveries (pull_request events of promotions)', hide: false },
  }, async (request) => {
    const secret = process.env.LOCO_GITHUB_WEBHOOK_SECRET;
    if (!secret) {
      throw new LocoError('unavailable.webhook-secret', 'GitHub webhooks are not configured on this Loco', 'set LOCO_GITHUB_WEBHOOK_SECRET to the secret of the repository webhook');
    }
    const raw = typeof request.body === 'string' ? request.body : '';
    if (!isValidSignature(secret, raw, request.headers['x-hub-signature-256'] as string | undefined)) {
      throw new LocoError('auth.webhook-signature', 'the webhook signature (X-Hub-Signature-256) does not match', 'check that the webhook secret on GitHub equals LOCO_GITHUB_WEBHOOK_SECRET');
    }
    const event = request.headers['x-github-event'];
    if (event === 'ping') return { handled: false, reason: 'pong' };
    if (event !== 'pull_request') return { handled: false, reason: `event ${String(event)} needs nothing` };
    let payload: PullRequestEvent;
    try {
      payload = JSON.parse(raw) as PullRequestEvent;
    } catch {
      throw new LocoError('validation.webhook', 'the webhook body is not JSON', 'set the webhook content type to application/json on GitHub');
    }
    if (!payload?.repository?.name || typeof payload.pull_request?.number !== 'number') {
      throw new LocoError('validation.webhook', 'the pull_request event lacks repository.name or pull_request.number', 'resend the delivery from the repository webhook settings');
    }
    return handlePullRequestEvent(app.loco, payload);
  });
};

export default webhookRoutes;
