// The API's settings, from the environment (DESIGN.md "Fixed conventions") or from a test.

import { resolve } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

export interface RunnerOptions {
  /** How long a replica owns a deployment it carries forward before another may take it over. */
  leaseSeconds?: number;
  /** How often to look for deployments nobody carries (after a crash or on another replica). */
  scanIntervalMs?: number;
  /** Tests: stop after the commit (as if the process died there); another instance takes over. */
  holdAfterCommit?: boolean;
  /** Tests: do not start the background runner at all. */
  disabled?: boolean;
}

export interface LocoOptions {
  dataDir: string;
  databaseUrl?: string;
  host?: string;
  port?: number;
  argocd?: { url: string; token?: string };
  /** GitHub hosting of the workspace repositories (LOCO_GITHUB_TOKEN/ORG/API_URL). */
  github?: { token: string; org: string; apiUrl?: string };
  /** GitHub OAuth app for `loco login` (device flow). */
  githubOAuth?: { clientId: string; webUrl?: string; apiUrl?: string };
  runner?: RunnerOptions;
  /** fastify logger setting; false by default in tests. */
  logger?: boolean | Record<string, unknown>;
  /** Name of this API process in deployment leases. */
  instanceId?: string;
  /** Per-app progress deadline handed to the Argo CD tracker. */
  progressDeadlineSeconds?: number;
}

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): LocoOptions {
  const options: LocoOptions = {
    dataDir: resolve(env.LOCO_DATA_DIR || '.loco'),
    host: env.LOCO_HOST || '127.0.0.1',
    port: env.LOCO_PORT ? Number(env.LOCO_PORT) : 7420,
    logger: { level: env.LOCO_LOG_LEVEL || 'info' },
  };
  if (env.DATABASE_URL) options.databaseUrl = env.DATABASE_URL;
  if (env.LOCO_ARGOCD_URL) options.argocd = { url: env.LOCO_ARGOCD_URL, ...(env.LOCO_ARGOCD_TOKEN ? { token: env.LOCO_ARGOCD_TOKEN } : {}) };
  if (env.LOCO_GITHUB_TOKEN && env.LOCO_GITHUB_ORG) {
    options.github = { token: env.LOCO_GITHUB_TOKEN, org: env.LOCO_GITHUB_ORG, ...(env.LOCO_GITHUB_API_URL ? { apiUrl: env.LOCO_GITHUB_API_URL } : {}) };
  }
  if (env.LOCO_GITHUB_CLIENT_ID) {
    options.githubOAuth = {
      clientId: env.LOCO_GITHUB_CLIENT_ID,
      ...(env.LOCO_GITHUB_WEB_URL ? { webUrl: env.LOCO_GITHUB_WEB_URL } : {}),
      ...(env.LOCO_GITHUB_API_URL ? { apiUrl: env.LOCO_GITHUB_API_URL } : {}),
    };
  }
  if (env.LOCO_LEASE_SECONDS) options.runner = { leaseSeconds: Number(env.LOCO_LEASE_SECONDS) };
  return options;
}

export function defaultInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
