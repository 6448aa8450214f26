// Which hosts a workspace may route on: names under the platform's base domains
// (LOCO_BASE_DOMAINS), its own default zone `<org>--<workspace>.loco.localhost`, and its verified
// custom domains. Pure: the caller passes the settings and the workspace's verified domains.

import { LocoError } from '../../generator/errors.ts';
import { isHostUnder } from '../../generator/index.ts';

/** The zone of a workspace's default hosts: `<Subdomain>.<profile>.<org>--<workspace>.loco.localhost`. */
export const DEFAULT_ZONE = 'loco.localhost';


/** The base domains from LOCO_BASE_DOMAINS (comma-separated), lower-cased; undefined when unset. */
export function parseBaseDomains(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const domains = raw.split(',').map((d) => d.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean);
  const bad = domains.find((d) => !/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$/.test(d));
  if (bad) throw new LocoError('config.invalid-setting', `LOCO_BASE_DOMAINS names ${JSON.stringify(bad)}, which is not a domain name`, 'list domain names separated by commas, e.g. LOCO_BASE_DOMAINS=deploy-app.com,apps.example.org');
  return domains;
}

export interface HostPolicy {
  /** The platform's base domains; undefined = the platform does not restrict hosts (single-team install). */
  baseDomains?: string[];
  slug: string;
  verifiedDomains: string[];
  /** A host of the deploy under a custom domain another workspace verified (hostDomains). */
  foreign?: { host: string; domain: string };
}

/** Refuses the first host the workspace may not use, naming the setting and the fix. */
export function refuseForeignHosts(hosts: string[], policy: HostPolicy): void {
  // whatever the platform allows, a domain verified by another workspace is theirs
  if (policy.foreign) {
    throw new LocoError('validation.host-not-allowed', `host ${policy.foreign.host} is under ${policy.foreign.domain}, a custom domain of another workspace`,
      'choose another Subdomain or BaseDomain: a verified custom domain belongs to one workspace', { data: { host: policy.foreign.host } });
  }
  if (!policy.baseDomains) return;
  for (const host of hosts) {
    if (policy.baseDomains.some((d) => isHostUnder(host, d))) continue;
    if (isHostUnder(host, `${policy.slug}.${DEFAULT_ZONE}`)) continue;
    if (policy.verifiedDomains.some((d) => isHostUnder(host, d))) continue;
    throw new LocoError('validation.host-not-allowed', `host ${host} is outside the platform's base domains (${policy.baseDomains.join(', ')}) and is not a verified custom domain of this workspace`,
      `set Routing.BaseDomain under one of ${policy.baseDomains.join(', ')}, or prove you own the domain: loco domains add ${host}, then loco domains verify ${host}`, { data: { host } });
  }
}
