// Who may deploy which image: the platform's settings (LOCO_IMAGE_REGISTRIES, LOCO_IMAGE_MAX_MB,
// LOCO_TRIVY_URL, LOCO_IMAGE_PLATFORM) combined with the workspace's own (settings.images:
// prefix, maxMb, threshold, waivers). Pure: the checks take the parsed reference and answer.

import { LocoError } from '../../generator/errors.ts';
import type { ImageReference } from '../../generator/image-reference.ts';
import type { RegistryEndpoint } from './registry-client.ts';
import { registryTokenIssuerFromEnv, type RegistryTokenIssuer } from './registry-token.ts';

export const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageSettings {
  /** Registries tenants may deploy from; null: any registry (still pinned when reachable). */
  registries: RegistryEndpoint[] | null;
  /** Cap on the sum of layer sizes, in bytes (LOCO_IMAGE_MAX_MB × 1,000,000). */
  maxBytes?: number;
  /** A Trivy server (its twirp API). */
  trivyUrl?: string;
  /** The cluster's platform, checked in image indexes (LOCO_IMAGE_PLATFORM, default linux/amd64). */
  platform: Platform;
  /** Loco signs the registry's tokens (LOCO_REGISTRY_TOKEN_KEY): `loco deploy` can build and push to it. */
  tokenIssuer?: RegistryTokenIssuer;
}

export interface VulnWaiver {
  /** Vulnerability id, e.g. CVE-2024-3094. */
  id: string;
  reason: string;
  /** Last day (or instant) the waiver holds, ISO 8601. */
  expires: string;
}

export interface WorkspaceImagePolicy {
  prefix?: string;
  maxMb?: number;
  threshold?: Severity;
  waivers?: VulnWaiver[];
}

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) {
    throw new LocoError('config.invalid-setting', `LOCO_IMAGE_PLATFORM=${JSON.stringify(text)} is not os/architecture[/variant]`, 'write it like linux/amd64 or linux/arm64/v8');
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** Reads LOCO_IMAGE_*, LOCO_REGISTRY_TOKEN_* and LOCO_TRIVY_URL; a malformed value is a start-up error naming the variable. */
export function imageSettingsFromEnv(env: NodeJS.ProcessEnv): ImageSettings {
  const settings: ImageSettings = { registries: null, platform: env.LOCO_IMAGE_PLATFORM ? parsePlatform(env.LOCO_IMAGE_PLATFORM) : DEFAULT_PLATFORM };
  if (env.LOCO_IMAGE_REGISTRIES?.trim()) {
    settings.registries = env.LOCO_IMAGE_REGISTRIES.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
      const plain = entry.startsWith('http://');
      const host = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
      if (!host || host.includes('/')) {
        throw new LocoError('config.invalid-setting', `LOCO_IMAGE_REGISTRIES entry ${JSON.stringify(entry)} is not a registry host`, 'list hosts like registry.example.com or http://127.0.0.1:5000, separated by commas');
      }
      return { host, plainHttp: plain };
    });
  }
  if (env.LOCO_IMAGE_MAX_MB) {
    const mb = Number(env.LOCO_IMAGE_MAX_MB);
    if (!Number.isFinite(mb) || mb <= 0) throw new LocoError('config.invalid-setting', `LOCO_IMAGE_MAX_MB=${JSON.stringify(env.LOCO_IMAGE_MAX_MB)} is not a positive number`, 'set it to a number of megabytes such as 500, or unset it for no cap');
    settings.maxBytes = Math.round(mb * 1_000_000);
  }
  const issuer = registryTokenIssuerFromEnv(env, settings.registries);
  if (issuer) settings.tokenIssuer = issuer;
  if (env.LOCO_TRIVY_URL) settings.trivyUrl = env.LOCO_TRIVY_URL.replace(/\/+$/, '');
  return settings;
}

/** The workspace's image settings from workspaces.settings.images (set through PUT …/image-policy). */
export function workspaceImagePolicy(settings: Record<string, unknown> | null | undefined): WorkspaceImagePolicy {
  return ((settings?.images ?? {}) as WorkspaceImagePolicy);
}

/** The registry host a reference names (Docker Hub when it names none). */
export function registryHost(ref: ImageReference): string {
  return ref.domain ?? 'docker.io';
}

/** Where to reach the registry: the allow-list entry when there is one (it says http or https). */
export function endpointFor(ref: ImageReference, settings: ImageSettings): RegistryEndpoint {
  const host = registryHost(ref);
  const listed = settings.registries?.find((r) => r.host === host);
  if (listed) return listed;
  return { host: host === 'docker.io' ? 'registry-1.docker.io' : host, plainHttp: false };
}

/** The repository path inside the registry (Docker Hub's official images live under library/). */
export function repositoryPath(ref: ImageReference): string {
  return ref.domain === null && !ref.path.includes('/') ? `library/${ref.path}` : ref.path;
}

/**
 * Refuses an image from a registry outside the allow-list, or outside the workspace's prefix.
 * The prefix defaults to `<registry>/<org>/<workspace>/` for every allowed registry, and is only
 * required when the platform lists registries (or the workspace names a prefix itself).
 */
export function checkRegistryPolicy(text: string, ref: ImageReference, settings: ImageSettings, policy: WorkspaceImagePolicy, org: string, workspace: string): void {
  const host = registryHost(ref);
  if (settings.registries && !settings.registries.some((r) => r.host === host)) {
    throw new LocoError('rejected.image-registry', `${text} is in registry ${host}, which this Loco does not deploy from`,
      `push the image to one of ${settings.registries.map((r) => r.host).join(', ')} (LOCO_IMAGE_REGISTRIES)`, { data: { registry: host, allowed: settings.registries.map((r) => r.host) } });
  }
  const prefixes = policy.prefix ? [policy.prefix] : settings.registries ? settings.registries.map((r) => `${r.host}/${org}/${workspace}/`) : [];
  if (prefixes.length === 0) return;
  const name = `${host}/${ref.path}`;
  if (!prefixes.some((p) => name.startsWith(p.endsWith('/') ? p : `${p}/`))) {
    throw new LocoError('rejected.image-prefix', `${text} is not under this workspace's repository prefix ${prefixes.join(' or ')}`,
      `images of ${org}/${workspace} must be pushed under ${prefixes[0]}, so no workspace can deploy another's images`, { data: { prefixes } });
  }
}

/** The smaller of the platform's and the workspace's size caps, in bytes. */
export function sizeCap(settings: ImageSettings, policy: WorkspaceImagePolicy): number | undefined {
  const own = policy.maxMb !== undefined ? Math.round(policy.maxMb * 1_000_000) : undefined;
  if (own === undefined) return settings.maxBytes;
  return settings.maxBytes === undefined ? own : Math.min(own, settings.maxBytes);
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export function checkSize(text: string, bytes: number, cap: number | undefined, platform: string): void {
  if (cap === undefined || bytes <= cap) return;
  throw new LocoError('rejected.image-too-large', `${text} is ${megabytes(bytes)} (${bytes} bytes of layers for ${platform}), over the limit of ${megabytes(cap)}`,
    'make the image smaller (a slimmer base image, a multi-stage build, fewer layers), or ask the platform operator about LOCO_IMAGE_MAX_MB', { data: { bytes, limitBytes: cap } });
}
