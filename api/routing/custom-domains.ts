// Custom domains: a workspace proves it controls a domain outside the platform's base domains by
// publishing a DNS TXT record `_loco-challenge.<domain>` holding a token Loco gave it. Once
// verified, the domain (and names under it) belong to that workspace alone; its routes may use it.

import { executePrepared } from '../db/prepared.ts';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from '../ids.ts';
import { LocoError } from '../../generator/errors.ts';
import { isHostUnder } from '../../generator/index.ts';

export const CHALLENGE_LABEL = '_loco-challenge';
/** The ClusterIssuer named when LOCO_CERT_ISSUER is unset. */
export const DEFAULT_CERTIFICATE_ISSUER = 'letsencrypt';

export interface DomainJson {
  domain: string;
  verified: boolean;
  verifiedAt?: string;
  /** The DNS record to publish (shown until verified). */
  challenge?: { name: string; type: 'TXT'; value: string };
}

/** Looks up TXT records; the API's is node:dns with LOCO_DNS_SERVERS, tests point it at a double. */
export type TxtLookup = (name: string) => Promise<string[]>;

export function dnsTxtLookup(servers?: string[]): TxtLookup {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (servers?.length) resolver.setServers(servers);
  return async (name) => {
    try {
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
      throw new LocoError('upstream.dns', `could not look up ${name} in DNS (${code ?? 'error'})`, 'try again in a minute; if it persists, the platform operator should check LOCO_DNS_SERVERS');
    }
  };
}

const DOMAIN = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function checkCustomDomain(raw: string, baseDomains: string[] | undefined): string {
  const domain = raw.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(domain) || domain.length > 253) {
    throw new LocoError('validation.domain', `${JSON.stringify(raw)} is not a domain name`, 'give a full domain name such as shop.example.com');
  }
  const base = baseDomains?.find((d) => isHostUnder(domain, d) || isHostUnder(d, domain));
  if (base) {
    throw new LocoError('validation.domain', `${domain} is ${isHostUnder(domain, base) ? 'under' : 'above'} the platform's base domain ${base}; it cannot be a custom domain`,
      `use a host under ${base} directly in Routing.BaseDomain (no verification needed), or add a domain you own`);
  }
  return domain;
}

function json(row: { domain: string; token: string; verified_at: Date | string | null }): DomainJson {
  if (row.verified_at) return { domain: row.domain, verified: true, verifiedAt: new Date(row.verified_at).toISOString() };
  return { domain: row.domain, verified: false, challenge: { name: `${CHALLENGE_LABEL}.${row.domain}`, type: 'TXT', value: row.token } };
}

const verifiedElsewhere = (domain: string) => new LocoError('conflict.domain-taken', `domain ${domain} is verified by another workspace`,
  'a domain belongs to one workspace; ask its owner to remove it (loco domains remove), or use another domain');

export async function addDomain(em: EntityManager, workspaceId: string, domain: string): Promise<{ created: boolean; domain: DomainJson }> {
  const other = await em.execute(`select 1 from custom_domains where domain = ? and verified_at is not null and workspace_id <> ?`, [domain, workspaceId]);
  if (other.length) throw verifiedElsewhere(domain);
  const inserted = await em.execute<{ domain: string; token: string; verified_at: null }[]>(
    `insert into custom_domains (id, workspace_id, domain, token) values (?, ?, ?, ?) on conflict (workspace_id, domain) do nothing returning domain, token, verified_at`,
    [`dom_${ulid()}`, workspaceId, domain, `loco-verify=${randomBytes(18).toString('base64url')}`]);
  if (inserted.length) return { created: true, domain: json(inserted[0]) };
  const rows = await em.execute<{ domain: string; token: string; verified_at: Date | null }[]>(`select domain, token, verified_at from custom_domains where workspace_id = ? and domain = ?`, [workspaceId, domain]);
  return { created: false, domain: json(rows[0]) };
}

export async function listDomains(em: EntityManager, workspaceId: string): Promise<DomainJson[]> {
  const rows = await em.execute<{ domain: string; token: string; verified_at: Date | null }[]>(`select domain, token, verified_at from custom_domains where workspace_id = ? order by domain`, [workspaceId]);
  return rows.map(json);
}

export async function verifiedDomains(em: EntityManager, workspaceId: string): Promise<string[]> {
  const rows = await em.execute<{ domain: string }[]>(`select domain from custom_domains where workspace_id = ? and verified_at is not null order by domain`, [workspaceId]);
  return rows.map((r) => r.domain);
}

export interface HostDomains {
  verified: string[];
  foreign?: { host: string; domain: string };
}

/**
 * What refuseForeignHosts needs, as two select-list columns over the workspace `workspaceId`
 * (SQL with its parameters): its verified domains (by domain), and the first of `hosts` (SQL of a
 * jsonb array of host names, or the names) that lies under a domain another workspace verified
 * (with that domain). domainsFromRow reads them.
 */
export function domainColumns(workspaceId: { sql: string; params: unknown[] }, hosts: string[] | { sql: string }): { sql: string; params: unknown[] } {
  const hostsSql = Array.isArray(hosts) ? '?::jsonb' : hosts.sql;
  return {
    sql: `(select coalesce(jsonb_agg(d.domain order by d.domain), '[]'::jsonb) from custom_domains d where d.workspace_id = ${workspaceId.sql} and d.verified_at is not null) as verified_domains,
          (select jsonb_build_object('host', h.host, 'domain', d.domain) from jsonb_array_elements_text(${hostsSql}) with ordinality as h(host, k)
             join custom_domains d on d.verified_at is not null and d.workspace_id <> ${workspaceId.sql} and (d.domain = h.host or h.host like '%.' || d.domain)
            order by h.k limit 1) as foreign_domain`,
    params: [...workspaceId.params, ...(Array.isArray(hosts) ? [JSON.stringify(hosts)] : []), ...workspaceId.params],
  };
}

export function domainsFromRow(row: Record<string, unknown>): HostDomains {
  const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
  const foreign = json(row.foreign_domain) as HostDomains['foreign'] | null;
  return { verified: json(row.verified_domains) as string[], ...(foreign ? { foreign } : {}) };
}

/** What refuseForeignHosts needs for `hosts` in the workspace, in one round trip (domainColumns). */
export async function hostDomains(em: EntityManager, workspaceId: string, hosts: string[]): Promise<HostDomains> {
  const columns = domainColumns({ sql: '?::text', params: [workspaceId] }, hosts);
  const rows = await executePrepared(em, `select ${columns.sql}`, columns.params);
  return domainsFromRow(rows[0]);
}

function notAdded(domain: string): LocoError {
  return new LocoError('not-found.domain', `domain ${domain} has not been added to this workspace`, `add it first: loco domains add ${domain}`);
}

export async function verifyDomain(em: EntityManager, workspaceId: string, domain: string, lookup: TxtLookup): Promise<DomainJson> {
  const rows = await em.execute<{ id: string; domain: string; token: string; verified_at: Date | null }[]>(`select id, domain, token, verified_at from custom_domains where workspace_id = ? and domain = ?`, [workspaceId, domain]);
  if (!rows.length) throw notAdded(domain);
  if (rows[0].verified_at) return json(rows[0]);
  const name = `${CHALLENGE_LABEL}.${domain}`;
  const found = await lookup(name);
  if (!found.includes(rows[0].token)) {
    throw new LocoError('conflict.domain-unverified', found.length ? `${name} has TXT ${found.map((v) => JSON.stringify(v)).join(', ')}, not this workspace's token` : `${name} has no TXT record yet`,
      `publish ${name} TXT "${rows[0].token}" at your DNS provider, wait for it to propagate, then run loco domains verify ${domain} again`);
  }
  try {
    const done = await em.execute<{ domain: string; token: string; verified_at: Date }[]>(`update custom_domains set verified_at = now() where id = ? returning domain, token, verified_at`, [rows[0].id]);
    return json(done[0]);
  } catch (error) {
    // the partial unique index: another workspace verified the same domain first
    if ((error as { code?: string }).code === '23505' || /unique/i.test(String((error as Error).message))) throw verifiedElsewhere(domain);
    throw error;
  }
}

/** Removes a domain; refused while a route of the workspace still uses a host under it. */
export async function removeDomain(em: EntityManager, workspaceId: string, domain: string): Promise<void> {
  const rows = await em.execute<{ id: string }[]>(`select id from custom_domains where workspace_id = ? and domain = ?`, [workspaceId, domain]);
  if (!rows.length) throw notAdded(domain);
  const using = await em.execute<{ host: string; app: string; profile: string }[]>(
    `select host, app, profile from route_claims where workspace_id = ? and (host = ? or host like ?) order by host limit 1`, [workspaceId, domain, `%.${domain}`]);
  if (using.length) {
    throw new LocoError('conflict.domain-in-use', `domain ${domain} is still used by ${using[0].app}@${using[0].profile} (host ${using[0].host})`,
      `move ${using[0].app} to another host (Routing.BaseDomain) or destroy it first, then remove the domain`);
  }
  await em.execute(`delete from custom_domains where id = ?`, [rows[0].id]);
}
