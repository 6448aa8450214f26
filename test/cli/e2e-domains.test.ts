// `loco domains` with the real binary against a real API whose custom-domain lookups go to a DNS
// double on loopback UDP: add prints the TXT record to publish, verify fails (exit 1, with the
// record to publish) until the record is there, then succeeds; list and remove.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loco, startApi, type RunningApi } from './harness.ts';
import { startDnsDouble, type DnsDouble } from '../doubles/dns/server.ts';

let api: RunningApi;
let dns: DnsDouble;
let env: Record<string, string>;
before(async () => {
  dns = await startDnsDouble();
  api = await startApi({ LOCO_BASE_DOMAINS: 'deploy-app.com', LOCO_DNS_SERVERS: dns.server });
  env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
});
after(async () => {
  await api?.stop();
  await dns?.stop();
});

test('loco domains add prints the TXT challenge; verify succeeds once DNS holds it; list and remove', async () => {
  const added = await loco(['domains', 'add', 'shop.example.com'], { env });
  assert.equal(added.code, 0, added.stderr);
  const record = /^ {2}_loco-challenge\.shop\.example\.com TXT (loco-verify=\S+)$/m.exec(added.stdout);
  assert.ok(record, added.stdout);
  assert.match(added.stdout, /then run: loco domains verify shop\.example\.com/);

  const early = await loco(['domains', 'verify', 'shop.example.com'], { env });
  assert.equal(early.code, 1, early.stdout + early.stderr);
  assert.match(early.stderr, /_loco-challenge\.shop\.example\.com has no TXT record yet/);
  assert.match(early.stderr, new RegExp(`TXT "${record[1]}"`));

  dns.setTxt('_loco-challenge.shop.example.com', [record[1]]);
  const verified = await loco(['domains', 'verify', 'shop.example.com'], { env });
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /shop\.example\.com is verified for default\/default/);

  const list = await loco(['domains', '-o', 'json'], { env });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout).map((d: { domain: string; verified: boolean }) => [d.domain, d.verified]), [['shop.example.com', true]]);

  const removed = await loco(['domains', 'remove', 'shop.example.com'], { env });
  assert.equal(removed.code, 0, removed.stderr);
  assert.match((await loco(['domains'], { env })).stdout, /has no custom domains/);
  assert.deepEqual(dns.violations, []);
});
