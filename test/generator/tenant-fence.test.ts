// External Secrets and egress fencing (issue 14): what a loco.toml asks for against what the
// platform offers (its secret stores, its CNI), refused with the fix when they do not meet.
// The rendered objects themselves are pinned by the grpc-orders goldens and schema-checked
// by kustomize.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { LocoError, parseConfig, renderApp, workspaceSlug } from '../../generator/index.ts';

const WORKSPACE = workspaceSlug('acme', 'shop');
const base = `[Metadata]
Name = "pay"
[Build]
Image = "registry.example.com/acme/pay:1.0.0"
`;
const render = (extra: string, platform?: { secretStores?: string[]; cni?: string }) => {
  const text = base + extra;
  return renderApp({ config: parseConfig(text, 'loco.toml'), configText: text, profile: 'default', image: '', workspace: WORKSPACE, ...(platform ? { platform } : {}) });
};
const refusal = (fn: () => unknown): LocoError => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof LocoError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
};

const storeSecret = `[Env.Secrets]\nDB_PASSWORD = { Store = "aws-ssm", Key = "/prod/db/password" }\n`;

test('a store reference renders an ExternalSecret against that ClusterSecretStore, and the container reads its Secret', () => {
  const tree = render(storeSecret, { secretStores: ['aws-ssm', 'vault'] });
  const es = parse(tree.get('apps/pay/overlays/default/externalsecret-aws-ssm.yaml')!);
  assert.deepEqual(es.spec.secretStoreRef, { kind: 'ClusterSecretStore', name: 'aws-ssm' });
  assert.deepEqual(es.spec.data, [{ secretKey: 'DB_PASSWORD', remoteRef: { key: '/prod/db/password' } }]);
  const patch = parse(tree.get('apps/pay/overlays/default/deployment-patch.yaml')!);
  assert.deepEqual(patch.spec.template.spec.containers[0].env, [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: es.spec.target.name, key: 'DB_PASSWORD' } } }]);
  assert.ok(parse(tree.get('apps/pay/overlays/default/kustomization.yaml')!).resources.includes('externalsecret-aws-ssm.yaml'));
});

test('a store the platform does not have is a config error listing the stores it has', () => {
  const error = refusal(() => render(storeSecret.replace('aws-ssm', 'aws-sm'), { secretStores: ['aws-ssm', 'vault'] }));
  assert.equal(error.code, 'config.unknown-secret-store');
  assert.match(error.message, /"aws-sm" is not a secret store of this platform/);
  assert.match(error.hint, /aws-ssm, vault/);
  const none = refusal(() => render(storeSecret));
  assert.equal(none.code, 'config.no-secret-stores');
  assert.match(none.hint, /LOCO_SECRET_STORES/);
});

test('a store reference with a misspelt key is a problem at its line', () => {
  const error = refusal(() => parseConfig(base + `[Env.Secrets]\nDB_PASSWORD = { Store = "aws-ssm", Kye = "/x" }\n`, 'loco.toml'));
  assert.equal(error.problems?.[0].code, 'config.invalid-value');
  assert.match(error.problems![0].message, /Kye is not a key of a store reference/);
  assert.equal(error.problems![0].at?.line, 6);
});

test('egress is open by default; Egress = [] allows only DNS and the workspace', () => {
  assert.equal([...render('').keys()].some((f) => f.includes('egress')), false);
  const policy = parse(render('[Network]\nEgress = []\n').get('apps/pay/overlays/default/networkpolicy-egress.yaml')!);
  assert.deepEqual(policy.spec.policyTypes, ['Egress']);
  assert.deepEqual(policy.spec.egress, [
    { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
    { to: [{ namespaceSelector: { matchLabels: { 'loco.dev/workspace': WORKSPACE } } }] },
  ]);
});

test('host names in Egress need Cilium: refused with the fix without it, a CiliumNetworkPolicy with toFQDNs with it', () => {
  const egress = '[Network]\nEgress = ["10.0.0.0/8:5432", "api.stripe.com:443"]\n';
  const error = refusal(() => render(egress));
  assert.equal(error.code, 'config.egress-host-unsupported');
  assert.match(error.message, /api\.stripe\.com is a host name/);
  assert.match(error.hint, /LOCO_CNI=cilium/);
  const tree = render(egress, { cni: 'cilium' });
  const cnp = parse(tree.get('apps/pay/overlays/default/ciliumnetworkpolicy-egress.yaml')!);
  assert.deepEqual(cnp.spec.egress.at(-1), { toFQDNs: [{ matchName: 'api.stripe.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] });
  const policy = parse(tree.get('apps/pay/overlays/default/networkpolicy-egress.yaml')!);
  assert.deepEqual(policy.spec.egress.at(-1), { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 5432, protocol: 'TCP' }] });
});

test('bad Egress entries are config problems naming the entry', () => {
  for (const [entry, why] of [['10.0.0.0/40:5432', /not a prefix length/], ['10.0.0.0/8:99999', /out of range/], ['not a host!', /neither an IP range nor a host name/]] as const) {
    const error = refusal(() => parseConfig(base + `[Network]\nEgress = ["${entry}"]\n`, 'loco.toml'));
    assert.match(error.problems![0].message, why, entry);
  }
  const mixed = refusal(() => parseConfig(base + '[Network]\nEgress = ["*", "10.0.0.0/8"]\n', 'loco.toml'));
  assert.match(mixed.problems![0].message, /cannot be combined/);
});

test('isolation: every example app has its own Secrets, a ServiceAccount without a token, and no RBAC of its own', async () => {
  const { loadExamples, renderExample } = await import('./examples.ts');
  const { profileNames } = await import('../../generator/index.ts');
  const examples = loadExamples();
  const secretOwners = new Map<string, string>();
  for (const example of examples) {
    for (const profile of profileNames(example.config)) {
      const docs = [...renderExample(example, profile, examples)].filter(([f]) => f.endsWith('.yaml') && !/(release|kustomization|-patch)\.yaml$/.test(f)).map(([, t]) => parse(t));
      const where = `${example.name}@${profile}`;
      assert.equal(docs.some((d) => /^(Cluster)?Role(Binding)?$/.test(d?.kind)), false, `${where} renders no RBAC: its pods get no secret access`);
      const sa = docs.find((d) => d?.kind === 'ServiceAccount');
      assert.equal(sa.automountServiceAccountToken, false, `${where}: ServiceAccount without a token`);
      const pod = docs.find((d) => d?.kind === 'Deployment' || d?.kind === 'CronJob');
      const podSpec = pod.kind === 'CronJob' ? pod.spec.jobTemplate.spec.template.spec : pod.spec.template.spec;
      assert.equal(podSpec.automountServiceAccountToken, false, `${where}: pod without a token`);
      for (const es of docs.filter((d) => d?.kind === 'ExternalSecret')) {
        const owner = secretOwners.get(es.spec.target.name);
        assert.ok(!owner || owner === example.config.name, `${es.spec.target.name} is made for ${owner} and ${example.config.name}`);
        secretOwners.set(es.spec.target.name, example.config.name);
      }
    }
  }
  assert.ok(secretOwners.size > 0, 'an example uses External Secrets');
});
