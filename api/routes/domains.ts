// Custom domains of a workspace (docs/hostnames.md): add one (answers the DNS TXT challenge to
// publish), verify it (Loco looks the record up), list, remove. Changing them needs the
// workspace's admin role.
//   POST   /orgs/:org/workspaces/:ws/domains                  {domain} → 201 Domain (with challenge)
//   POST   /orgs/:org/workspaces/:ws/domains/:domain/verify   → Domain, or 409 naming what DNS holds
//   GET    /orgs/:org/workspaces/:ws/domains                  → Domain[]
//   DELETE /orgs/:org/workspaces/:ws/domains/:domain          → {removed}

import type { FastifyPluginAsync } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import { workspaceAccess } from '../auth/access.ts';
import { addDomain, checkCustomDomain, dnsTxtLookup, listDomains, removeDomain, verifyDomain } from '../routing/custom-domains.ts';
import { name, problemResponses } from './schemas.ts';

const domainSchema = {
  $id: 'Domain',
  type: 'object',
  required: ['domain', 'verified'],
  properties: {
    domain: { type: 'string' },
    verified: { type: 'boolean' },
    verifiedAt: { type: 'string', format: 'date-time' },
    challenge: { type: 'object', required: ['name', 'type', 'value'], properties: { name: { type: 'string' }, type: { type: 'string', enum: ['TXT'] }, value: { type: 'string' } } },
  },
} as const;
const domainRef = { $ref: 'Domain#' } as const;
const domainParam = { type: 'string', minLength: 1, maxLength: 253, description: 'a domain name, e.g. shop.example.com' } as const;
const domainParams = { type: 'object', required: ['org', 'ws', 'domain'], properties: { org: name, ws: name, domain: domainParam } } as const;
const workspaceParams = { type: 'object', required: ['org', 'ws'], properties: { org: name, ws: name } } as const;

const domainRoutes: FastifyPluginAsync = async (app) => {
  app.addSchema(domainSchema);
  const lookup = dnsTxtLookup(app.loco.options.dnsServers);

  app.get('/orgs/:org/workspaces/:ws/domains', {
    schema: { summary: "The workspace's custom domains, verified or waiting for their DNS challenge", params: workspaceParams, response: { 200: { type: 'array', items: domainRef }, ...problemResponses } },
  }, async (request) => {
    const { org, ws } = request.params as { org: string; ws: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, requirePrincipal(request), org, ws, 'read');
    return listDomains(em, access.workspaceId);
  });

  app.post('/orgs/:org/workspaces/:ws/domains', {
    schema: {
      summary: 'Add a custom domain: answers the DNS TXT record that proves the workspace controls it (workspace admins)',
      params: workspaceParams,
      body: { type: 'object', required: ['domain'], additionalProperties: false, properties: { domain: domainParam } },
      response: { 200: domainRef, 201: domainRef, ...problemResponses },
    },
  }, async (request, reply) => {
    const { org, ws } = request.params as { org: string; ws: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, requirePrincipal(request), org, ws, 'admin');
    const domain = checkCustomDomain((request.body as { domain: string }).domain, app.loco.options.baseDomains);
    const added = await addDomain(em, access.workspaceId, domain);
    return reply.code(added.created ? 201 : 200).send(added.domain);
  });

  app.post('/orgs/:org/workspaces/:ws/domains/:domain/verify', {
    schema: { summary: "Verify a custom domain: Loco looks up its _loco-challenge TXT record (workspace admins)", params: domainParams, response: { 200: domainRef, ...problemResponses } },
  }, async (request) => {
    const { org, ws, domain } = request.params as { org: string; ws: string; domain: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, requirePrincipal(request), org, ws, 'admin');
    return verifyDomain(em, access.workspaceId, checkCustomDomain(domain, app.loco.options.baseDomains), lookup);
  });

  app.delete('/orgs/:org/workspaces/:ws/domains/:domain', {
    schema: { summary: 'Remove a custom domain no route uses any more (workspace admins)', params: domainParams, response: { 200: { type: 'object', properties: { removed: { type: 'string' } } }, ...problemResponses } },
  }, async (request) => {
    const { org, ws, domain } = request.params as { org: string; ws: string; domain: string };
    const em = app.loco.em();
    const access = await workspaceAccess(em, requirePrincipal(request), org, ws, 'admin');
    const name = domain.trim().toLowerCase().replace(/\.$/, '');
    await removeDomain(em, access.workspaceId, name);
    return { removed: name };
  });
};

export default domainRoutes;
