// Routes on a workspace's verified custom domain get a cert-manager Certificate for their host and
// a ReferenceGrant letting the shared Gateway read its Secret; routes elsewhere get neither. The
// overlay is built with the real `kubectl kustomize` and validated against ../shared/schemas.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { namespaceFor, parseConfig, renderApp } from '../../generator/index.ts';
import { kustomizeBuild, validateManifests } from '../support/manifests.ts';
import { writeTree } from './examples.ts';

const work = mkdtempSync(path.join(tmpdir(), 'loco-certificate-'));
after(() => rmSync(work, { recursive: true, force: true }));

const text = (baseDomain: string) => `[Metadata]\nName = "shop"\nType = "SERVICE"\n\n[Build]\nImage = "registry.example.com/acme/shop:1"\n\n[Routing]\nPort = 8080\nBaseDomain = "${baseDomain}"\n`;
const tls = { customDomains: ['example.com'], issuer: 'letsencrypt-prod' };
const render = (baseDomain: string) => renderApp({ config: parseConfig(text(baseDomain), 'loco.toml'), configText: text(baseDomain), profile: 'default', image: '', workspace: 'acme--web', tls });

test('a route on a verified custom domain gets a Certificate and a ReferenceGrant that build and pass the schemas', async () => {
  const tree = render('example.com');
  const root = path.join(work, 'custom');
  writeTree(root, tree);
  const built = await kustomizeBuild(path.join(root, 'apps/shop/overlays/default'));
  assert.deepEqual(validateManifests(built).errors, []);
  const docs = parseAllDocuments(built).map((d) => d.toJS() as Record<string, any>);
  const cert = docs.find((d) => d.kind === 'Certificate');
  assert.ok(cert, docs.map((d) => d.kind).join(', '));
  assert.equal(cert.metadata.namespace, namespaceFor('acme--web', 'shop', 'default'));
  assert.deepEqual(cert.spec, { secretName: 'shop-tls', dnsNames: ['shop.example.com'], issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt-prod' } });
  const grant = docs.find((d) => d.kind === 'ReferenceGrant')!;
  assert.equal(grant.metadata.namespace, cert.metadata.namespace, 'the grant sits next to the Secret');
  assert.deepEqual(grant.spec, { from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'loco-system' }], to: [{ group: '', kind: 'Secret', name: 'shop-tls' }] });
  const route = docs.find((d) => d.kind === 'HTTPRoute')!;
  assert.equal(cert.metadata.namespace, route.metadata.namespace);
});

test('a route under the platform\'s domains gets no Certificate (the Gateway\'s own covers it)', () => {
  const tree = render('dev.deploy-app.com');
  assert.ok(![...tree.keys()].some((f) => f.includes('certificate')), [...tree.keys()].join(', '));
  assert.ok(![...render('notexample.com').keys()].some((f) => f.includes('certificate')), 'whole labels: notexample.com is not under example.com');
});
