// GitHub's pull_request webhook: a promotion merged (or closed) on GitHub. The signature
// (X-Hub-Signature-256, HMAC-SHA256 of the raw body with LOCO_GITHUB_WEBHOOK_SECRET) is checked
// in constant time before anything is read; a merge starts tracking the target profile's
// deployment of the merge commit.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { LocoError } from '../../generator/errors.ts';
import { User, Workspace } from '../db/entities.ts';
import type { LocoServices } from '../services.ts';
import { newDeploymentId, trackLanded } from './land.ts';
import { findPromotionByPullRequest, transition } from './records.ts';

/** True when `signature` ("sha256=<hex>") is the HMAC of `payload` under `secret`. */
export function isValidSignature(secret: string, payload: string, signature: string | undefined): boolean {
  if (!signature || !signature.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface PullRequestEvent {
  action: string;
  repository: { name: string; owner?: { login?: string } };
  pull_request: { number: number; merged?: boolean; merge_commit_sha?: string | null; merged_by?: { login?: string } | null; head?: { ref?: string } };
}

export type WebhookOutcome = { handled: false; reason: string } | { handled: true; promotion: string; status: string; deploymentId?: string };

export async function handlePullRequestEvent(loco: LocoServices, event: PullRequestEvent): Promise<WebhookOutcome> {
  if (event.action !== 'closed') return { handled: false, reason: `action ${event.action} needs nothing` };
  const em = loco.em();
  const workspace = await em.findOne(Workspace, { slug: event.repository.name });
  if (!workspace) return { handled: false, reason: 'not a Loco workspace repository' };
  const github = loco.options.github;
  if (github && event.repository.owner?.login && event.repository.owner.login !== github.org) return { handled: false, reason: 'repository of another organization' };
  const promotion = await findPromotionByPullRequest(em, workspace.id, event.pull_request.number);
  if (!promotion) return { handled: false, reason: 'not a Loco promotion' };
  if (promotion.status !== 'open' && promotion.status !== 'approved') {
    return { handled: false, reason: `promotion ${promotion.id} is already ${promotion.status}` };
  }
  if (!event.pull_request.merged) {
    await transition(em, promotion.id, ['open', 'approved'], 'closed');
    return { handled: true, promotion: promotion.id, status: 'closed' };
  }
  const commit = event.pull_request.merge_commit_sha;
  if (!commit || !/^[0-9a-f]{40}$/.test(commit)) {
    throw new LocoError('validation.webhook', 'the pull_request event has no merge_commit_sha', 'resend the delivery from the repository webhook settings');
  }
  return loco.runner.exclusive(workspace.id, async () => {
    // the merge commit is on GitHub's main: reading it fetches main into the mirror
    const files = await loco.store.readFiles(workspace.slug, commit, `apps/${promotion.app}/`);
    const [tip] = promotion.headCommit ? await loco.store.history(workspace.slug, { branch: promotion.branch, limit: 1 }).catch(() => []) : [];
    const author = await em.findOne(User, { id: promotion.authorUserId });
    const image = tip?.trailers['Loco-Image'] ?? /image: (.+)/.exec(files.get(`apps/${promotion.app}/overlays/${promotion.to}/release.yaml`) ?? '')?.[1] ?? '-';
    const digest = tip?.trailers['Loco-Config-Digest'] ?? /configDigest: (.+)/.exec(files.get(`apps/${promotion.app}/overlays/${promotion.to}/release.yaml`) ?? '')?.[1] ?? '-';
    const deploymentId = newDeploymentId();
    const actor = author ? (author.githubId ? `${author.name} (github:${author.githubId})` : author.name) : 'unknown';
    if (!(await transition(em, promotion.id, ['open', 'approved'], 'merged', { merge_commit: commit, deployment_id: null }))) {
      return { handled: false, reason: `promotion ${promotion.id} changed meanwhile` } as WebhookOutcome;
    }
    await trackLanded(loco, em, {
      id: deploymentId, workspaceId: workspace.id, app: promotion.app, profile: promotion.to, changeType: promotion.kind,
      change: { promotion: promotion.id, from: promotion.from, source: promotion.sourceDeploymentId, mergedOnGitHubBy: event.pull_request.merged_by?.login ?? null },
      image, configText: files.get(`apps/${promotion.app}/loco.toml`) ?? '', envFile: null, configDigest: digest, commit, unchanged: false,
      actor, actorUserId: promotion.authorUserId,
      summary: `${promotion.title}: pull request #${event.pull_request.number} merged on GitHub${event.pull_request.merged_by?.login ? ` by ${event.pull_request.merged_by.login}` : ''}`,
    });
    await em.execute(`update promotions set deployment_id = ? where id = ?`, [deploymentId, promotion.id]);
    return { handled: true, promotion: promotion.id, status: 'merged', deploymentId } as WebhookOutcome;
  });
}
