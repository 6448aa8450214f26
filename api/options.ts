// The API's settings, from the environment (DESIGN.md "Fixed conventions") or from a test.

import { resolve } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { LocoError } from '../generator/errors.ts';
import { platformFactsFromEnv, type PlatformEndpoints, type PlatformFacts } from '../generator/index.ts';
import { argoCdSettingsFromEnv } from './argocd/client.ts';
import { parseBaseDomains } from './routing/platform-domains.ts';
import type { KubernetesSettings } from './kubernetes/client.ts';
import type { Clock } from './argocd/clock.ts';
import { imageSettingsFromEnv, type ImageSettings } from './images/policy.ts';

export interface RunnerOptions {
  /** How long a replica owns a deployment it carries forward before another may take it over. */
  leaseSeconds?: number;
  /** How often to look for deployments nobody carries (after a crash or on another replica). */
  scanIntervalMs?: number;
  /** Tests: stop after the commit (as if the process died there); another instance takes over. */
  holdAfterCommit?: boolean;
  /** Tests: do not start the background runner at all. */
  disabled?: boolean;
  /**
   * Tests only (LOCO_TEST_CRASH_POINT=after-commit): after a commit is on main and before the
   * database records it, log `crash point reached` and wait forever, so a crash-recovery test
   * can kill -9 the process at exactly that moment. Never set it in production.
   */
  pauseAfterCommit?: boolean;
}

export interface ArgoCdSettings {
  url: string;
  token?: string;
  /** Healthy must hold this long before a deployment succeeds (LOCO_ARGOCD_HEALTHY_SECONDS, default 5). */
  healthySeconds?: number;
  /** ImagePullBackOff, CrashLoopBackOff… fail a deployment after this long (LOCO_ARGOCD_FAILURE_GRACE_SECONDS, default 30). */
  failureGraceSeconds?: number;
}

export interface LocoOptions {
  dataDir: string;
  databaseUrl?: string;
  host?: string;
  port?: number;
  argocd?: ArgoCdSettings;
  /** Kubernetes for the deploy preflight (LOCO_KUBECONFIG); unset means no preflight, and each deployment says so. */
  kubernetes?: KubernetesSettings;
  /** GitHub hosting of the workspace repositories (LOCO_GITHUB_TOKEN/ORG/API_URL). */
  github?: { token: string; org: string; apiUrl?: string };
  /** GitHub OAuth app for `loco login` (device flow). */
  githubOAuth?: { clientId: string; webUrl?: string; apiUrl?: string };
  runner?: RunnerOptions;
  /** fastify logger setting; false by default in tests. */
  logger?: boolean | Record<string, unknown>;
  /** Name of this API process in deployment leases. */
  instanceId?: string;
  /** Bearer token GET /metrics requires (LOCO_METRICS_TOKEN); unset: /metrics is open to whoever reaches the API. */
  metricsToken?: string;
  /** Base domains tenants may route under (LOCO_BASE_DOMAINS); unset: hosts are not restricted (docs/hostnames.md). */
  baseDomains?: string[];
  /** DNS servers custom-domain verification asks (LOCO_DNS_SERVERS, `ip[:port]`, comma-separated); unset: the system's. */
  dnsServers?: string[];
  /** cert-manager ClusterIssuer for routes on verified custom domains (LOCO_CERT_ISSUER, default letsencrypt). */
  certificateIssuer?: string;
  /**
   * Observability endpoints injected into every app Loco renders (LOCO_OTLP_ENDPOINT,
   * LOCO_TRACING_ENDPOINT, LOCO_METRICS_ENDPOINT); each unset one is left out.
   */
  endpoints?: PlatformEndpoints;
  /** Image policy, pinning and scanning (LOCO_IMAGE_REGISTRIES, LOCO_IMAGE_MAX_MB, LOCO_TRIVY_URL); unset: any registry, no cap, not scanned. */
  images?: ImageSettings;
  /** Per-app progress deadline handed to the Argo CD tracker. */
  progressDeadlineSeconds?: number;
  /** Path of the cluster's Sealed Secrets certificate, PEM (LOCO_SEALED_SECRETS_CERT); unset: loco secrets is refused, naming the setting. */
  sealedSecretsCert?: string;
  /** Secret stores apps may name and the cluster's CNI (LOCO_SECRET_STORES, LOCO_CNI). */
  platform?: PlatformFacts;
  /** Time for token and invitation expiry (tests move it by hand); the system clock by default. */
  clock?: Clock;
  /**
   * Time for the waits of event-stream starts behind deploy requests (http/deploys-first.ts); the
   * system clock by default. Not `clock`: a test that moves token expiry by hand would otherwise
   * have to move it after every deploy for the stream it opens to start.
   */
  streamStartClock?: Clock;
  /** How often an SSE follower reads events another replica may have written (default 2000 ms; tests shorten it). */
  eventPollMs?: number;
}

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): LocoOptions {
  const options: LocoOptions = {
    dataDir: resolve(env.LOCO_DATA_DIR || '.loco'),
    host: env.LOCO_HOST || '127.0.0.1',
    port: env.LOCO_PORT ? Number(env.LOCO_PORT) : 7420,
    logger: { level: env.LOCO_LOG_LEVEL || 'info' },
  };
  if (env.DATABASE_URL) options.databaseUrl = env.DATABASE_URL;
  const argocd = argoCdSettingsFromEnv(env);
  if (argocd) {
    options.argocd = argocd;
    const healthy = secondsSetting(env, 'LOCO_ARGOCD_HEALTHY_SECONDS');
    const grace = secondsSetting(env, 'LOCO_ARGOCD_FAILURE_GRACE_SECONDS');
    if (healthy !== undefined) options.argocd.healthySeconds = healthy;
    if (grace !== undefined) options.argocd.failureGraceSeconds = grace;
  }
  // `in-cluster`: the pod's own service account (the Helm chart's setting), else a kubeconfig path
  if (env.LOCO_KUBECONFIG) options.kubernetes = { kubeconfig: env.LOCO_KUBECONFIG === IN_CLUSTER ? IN_CLUSTER : resolve(env.LOCO_KUBECONFIG) };
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
  const baseDomains = parseBaseDomains(env.LOCO_BASE_DOMAINS);
  if (baseDomains) options.baseDomains = baseDomains;
  if (env.LOCO_CERT_ISSUER) options.certificateIssuer = env.LOCO_CERT_ISSUER;
  if (env.LOCO_DNS_SERVERS) options.dnsServers = env.LOCO_DNS_SERVERS.split(',').map((s) => s.trim()).filter(Boolean);
  const platform = platformFactsFromEnv(env);
  if (Object.keys(platform).length) options.platform = platform;
  if (env.LOCO_SEALED_SECRETS_CERT) options.sealedSecretsCert = resolve(env.LOCO_SEALED_SECRETS_CERT);
  options.images = imageSettingsFromEnv(env);
  if (env.LOCO_METRICS_TOKEN) options.metricsToken = env.LOCO_METRICS_TOKEN;
  const endpoints: PlatformEndpoints = {};
  for (const [name, key] of [['LOCO_OTLP_ENDPOINT', 'otlpEndpoint'], ['LOCO_TRACING_ENDPOINT', 'tracingEndpoint'], ['LOCO_METRICS_ENDPOINT', 'metricsEndpoint']] as const) {
    const url = urlSetting(env, name);
    if (url) endpoints[key] = url;
  }
  if (Object.keys(endpoints).length) options.endpoints = endpoints;
  if (env.LOCO_LEASE_SECONDS) options.runner = { leaseSeconds: Number(env.LOCO_LEASE_SECONDS) };
  if (env.LOCO_TEST_CRASH_POINT === 'after-commit') options.runner = { ...options.runner, pauseAfterCommit: true };
  return options;
}

/** A non-negative number of seconds (fractions allowed), or a start-up error naming the variable. */
function secondsSetting(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new LocoError('config.invalid-setting', `${name}=${JSON.stringify(raw)} is not a number of seconds`, `set ${name} to a non-negative number such as 5 or 0.5, or unset it for the default`);
  }
  return value;
}

/** LOCO_KUBECONFIG value that means the pod's service account (loadFromCluster), not a file. */
export const IN_CLUSTER = 'in-cluster';

/** An http(s) URL, or a start-up error naming the variable. */
function urlSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(raw) || !URL.canParse(raw)) {
    throw new LocoError('config.invalid-setting', `${name}=${JSON.stringify(raw)} is not an http(s) URL`, `set ${name} to e.g. http://otel-collector.observability:4318, or unset it`);
  }
  return raw;
}

export function defaultInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
