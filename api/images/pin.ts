// Deploy-time image checks, run before a deployment is recorded: registry policy, digest
// pinning through the registry, the platform check of an image index, the size cap and the
// vulnerability gate. What passes is the reference the deployment commits, `name[:tag]@sha256:…`
// (Kustomize pins the digest and drops the tag; the tag stays for humans in the release record,
// the subject and LOCO_APP_VERSION). A refusal is a LocoError thrown before anything is committed.

import { LocoError } from '../../generator/errors.ts';
import { parseImageReference, type ImageReference } from '../../generator/image-reference.ts';
import { checkRegistryPolicy, checkSize, endpointFor, megabytes, repositoryPath, sizeCap, type ImageSettings, type Platform, type WorkspaceImagePolicy } from './policy.ts';
import { RegistryClient, type Descriptor, type Manifest } from './registry-client.ts';
import { ownTokenFor } from './registry-token.ts';
import { gate, refuseFindings, scanWithTrivy, waiverTrailer } from './vulnerabilities.ts';

export interface ImageEvent {
  type: 'image';
  message: string;
  data: Record<string, unknown>;
}

export interface PinnedImage {
  image: string;
  /** Said on the deployment's events (pinned, scanned or not). */
  events: ImageEvent[];
  /** The Loco-Vuln-Waiver trailer value, when waivers let findings through. */
  vulnWaivers?: string;
}

export interface PinInput {
  image: string;
  settings: ImageSettings;
  policy: WorkspaceImagePolicy;
  org: string;
  workspace: string;
  now: Date;
}

export function parseOrRefuse(text: string): ImageReference {
  const ref = parseImageReference(text);
  if (typeof ref === 'string') throw new LocoError('validation.invalid-image', `${JSON.stringify(text)} is not an image reference: ${ref}`, 'write "registry/name:tag" or "registry/name@sha256:<digest>"');
  return ref;
}

const platformName = (p: Platform) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

function matchesPlatform(d: Descriptor, p: Platform): boolean {
  return d.platform?.os === p.os && d.platform?.architecture === p.architecture && (!p.variant || d.platform?.variant === p.variant);
}

/** The registry, repository and policy checks a dry run can make without the network. */
export function checkImagePolicy(input: Omit<PinInput, 'now'>): ImageReference {
  const ref = parseOrRefuse(input.image);
  checkRegistryPolicy(input.image, ref, input.settings, input.policy, input.org, input.workspace);
  return ref;
}

/**
 * Without an allow-list, a registry that could not be reached is remembered for a while: a burst
 * of deploys naming it (a CI fan-out, a registry that does not resolve) waits for one lookup
 * instead of each paying its own DNS and connect timeouts. The first lookup of a host is shared
 * by the requests that arrive while it runs.
 */
const UNREACHABLE_FOR_MS = 30_000;
const unreachable = new Map<string, { until: number; message: string }>();
const probing = new Map<string, Promise<unknown>>();

function notPinned(image: string, why: string): PinnedImage {
  return { image, events: [{ type: 'image', message: `not pinned and not scanned: ${why}; the tag is committed as given, so this commit does not record which image runs`, data: { pinned: false, scanned: false } }] };
}

export async function pinImage(input: PinInput): Promise<PinnedImage> {
  const ref = checkImagePolicy(input);
  const endpoint = endpointFor(ref, input.settings);
  const client = new RegistryClient(endpoint, { ownToken: ownTokenFor(input.settings.tokenIssuer, endpoint) });
  const repository = repositoryPath(ref);
  const wanted = ref.digest ?? ref.tag ?? 'latest';
  const tolerant = !input.settings.registries;
  const remembered = () => {
    const known = unreachable.get(endpoint.host);
    return known && known.until > input.now.getTime() ? known : undefined;
  };
  if (tolerant) {
    // (no await when nothing runs: the first request must register its lookup before the next one looks)
    const running = probing.get(endpoint.host);
    if (running) await running.catch(() => undefined);
    const known = remembered();
    if (known) return notPinned(input.image, `${known.message} (remembered from a lookup in the last ${UNREACHABLE_FOR_MS / 1000} s)`);
  }
  let top: Manifest | null;
  const lookup = client.manifest(repository, wanted);
  if (tolerant && !probing.has(endpoint.host)) {
    probing.set(endpoint.host, lookup);
    void lookup.catch(() => undefined).finally(() => probing.delete(endpoint.host));
  }
  try {
    top = await lookup;
    unreachable.delete(endpoint.host);
  } catch (error) {
    // Without an allow-list any registry may be named, reachable or not: deploy the tag as given and say so.
    if (tolerant && error instanceof LocoError && error.code === 'unavailable.registry') {
      unreachable.set(endpoint.host, { until: input.now.getTime() + UNREACHABLE_FOR_MS, message: error.message });
      return notPinned(input.image, error.message);
    }
    throw error;
  }
  const name = `${ref.domain ? `${ref.domain}/` : ''}${ref.path}`;
  if (!top) {
    throw new LocoError('rejected.image-unknown', `${input.image} does not exist: ${client.base} has no ${ref.digest ? 'manifest' : 'tag'} ${wanted} in ${repository}`,
      `push the image first, or check the name and tag (list them: skopeo list-tags docker://${name})`, { data: { repository, reference: wanted } });
  }
  const platform = platformName(input.settings.platform);
  let image: Manifest = top;
  if (top.isIndex) {
    const entry = top.manifests.find((d) => matchesPlatform(d, input.settings.platform));
    if (!entry) {
      const has = top.manifests.map((d) => [d.platform?.os, d.platform?.architecture, d.platform?.variant].filter(Boolean).join('/')).join(', ');
      throw new LocoError('rejected.image-platform', `${input.image} is an image index without ${platform}, the cluster's platform (it has ${has || 'no platforms'})`,
        `build the image for ${platform} too (docker buildx build --platform ${platform},…)`, { data: { platform, available: has } });
    }
    const child = await client.manifest(repository, entry.digest);
    if (!child) throw new LocoError('rejected.image-unknown', `${input.image} names ${entry.digest} for ${platform}, but the registry does not have it`, 'push the image again (all of its platforms)');
    image = child;
  }
  const bytes = image.layers.reduce((sum, l) => sum + (Number(l.size) || 0), 0);
  checkSize(input.image, bytes, sizeCap(input.settings, input.policy), platform);
  const pinned = `${name}${ref.tag ? `:${ref.tag}` : ''}@${top.digest}`;
  const events: ImageEvent[] = [{
    type: 'image',
    message: `pinned ${input.image} to ${top.digest}${top.isIndex ? ` (an index; ${platform} is ${image.digest})` : ''}: ${megabytes(bytes)} of layers`,
    data: { pinned: true, digest: top.digest, platformDigest: image.digest, platform, bytes },
  }];
  if (!input.settings.trivyUrl) {
    events.push({ type: 'image', message: 'not scanned: no vulnerability scanner is configured (LOCO_TRIVY_URL is unset), so nothing checked this image for known vulnerabilities', data: { scanned: false } });
    return { image: pinned, events };
  }
  const findings = await scanWithTrivy(input.settings.trivyUrl, { reference: `${name}@${image.digest}`, digest: image.digest, layers: image.layers.map((l) => l.digest) });
  const threshold = input.policy.threshold ?? 'CRITICAL';
  const verdict = gate(findings, threshold, input.policy.waivers ?? [], input.now);
  if (verdict.blocking.length > 0) refuseFindings(input.image, threshold, verdict.blocking);
  const waived = verdict.waived.length ? waiverTrailer(verdict.waived) : undefined;
  events.push({
    type: 'image',
    message: `scanned ${image.digest} with Trivy: ${findings.length} finding(s), none at or above ${threshold}${waived ? ` except waived: ${waived}` : ''}`,
    data: { scanned: true, findings: findings.length, threshold, ...(waived ? { waivers: verdict.waived.map((w) => w.waiver.id) } : {}) },
  });
  return { image: pinned, events, ...(waived ? { vulnWaivers: waived } : {}) };
}
