// [Network] Egress: where the app's pods may connect. Unless Egress is "*" (the default: no
// fence), a NetworkPolicy denies all egress except DNS (kube-system's kube-dns, 53 UDP/TCP), the
// workspace's own apps and the listed CIDRs/ports. Host names cannot be said in a NetworkPolicy:
// they need a CNI with FQDN policies, so they render a CiliumNetworkPolicy (cilium.io/v2,
// toFQDNs) when the platform runs Cilium, and are refused otherwise.

import { LocoError } from '../errors.ts';
import type { AppSpec } from '../config/spec.ts';
import { parseEgressEntry, type EgressTarget } from '../config/egress-entry.ts';
import { metadata, selectorLabels, WORKSPACE_LABEL } from './labels.ts';

export function isEgressFenced(spec: AppSpec): boolean {
  return !(spec.network.egress.length === 1 && spec.network.egress[0] === '*');
}

export function egressTargets(spec: AppSpec): EgressTarget[] {
  return spec.network.egress.map((entry) => {
    const t = parseEgressEntry(entry);
    if (Array.isArray(t)) throw new LocoError('config.invalid-value', `Network.Egress: ${t[0]}`, t[1]);
    return t;
  });
}

const ports = (t: EgressTarget) => (t.port !== undefined ? [{ port: t.port, protocol: t.protocol }] : undefined);

/** DNS is always allowed: without it no name resolves, and Cilium learns FQDN addresses from it. */
const DNS_PEER = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };

export function egressNetworkPolicy(spec: AppSpec, workspace: string, targets: EgressTarget[]): Record<string, unknown> {
  const app = spec.metadata.name;
  const egress: Array<Record<string, unknown>> = [
    { to: [DNS_PEER], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
    { to: [{ namespaceSelector: { matchLabels: { [WORKSPACE_LABEL]: workspace } } }] },
  ];
  for (const t of targets) {
    if (t.kind !== 'cidr') continue;
    const p = ports(t);
    egress.push({ to: [{ ipBlock: { cidr: t.cidr } }], ...(p ? { ports: p } : {}) });
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(app, `${app}-egress`),
    spec: { podSelector: { matchLabels: selectorLabels(app) }, policyTypes: ['Egress'], egress },
  };
}

/**
 * The host names, for Cilium. Policies add up, so this only widens what the NetworkPolicy
 * allows; its DNS rule sends lookups through Cilium's DNS proxy, which toFQDNs needs to learn
 * the addresses behind each name.
 */
export function fqdnPolicy(spec: AppSpec, hosts: Array<Extract<EgressTarget, { kind: 'host' }>>): Record<string, unknown> {
  const app = spec.metadata.name;
  const egress: Array<Record<string, unknown>> = [{
    toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
    toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
  }];
  for (const h of hosts) {
    const fqdn = h.host.startsWith('*.') ? { matchPattern: h.host } : { matchName: h.host };
    egress.push({ toFQDNs: [fqdn], ...(h.port !== undefined ? { toPorts: [{ ports: [{ port: String(h.port), protocol: h.protocol }] }] } : {}) });
  }
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: metadata(app, `${app}-egress-fqdn`),
    spec: { endpointSelector: { matchLabels: selectorLabels(app) }, egress },
  };
}

/** The egress objects of the overlay (file → object), or a refusal of host names without Cilium. */
export function egressObjects(spec: AppSpec, workspace: string, cni: string | undefined): Array<[string, Record<string, unknown>]> {
  if (!isEgressFenced(spec)) return [];
  const targets = egressTargets(spec);
  const hosts = targets.filter((t): t is Extract<EgressTarget, { kind: 'host' }> => t.kind === 'host');
  if (hosts.length && cni !== 'cilium') {
    throw new LocoError('config.egress-host-unsupported', `Network.Egress: ${hosts.map((h) => h.host).join(', ')} ${hosts.length === 1 ? 'is a host name' : 'are host names'}, and this platform's network cannot enforce host names (it needs Cilium's FQDN policies)`,
      'allow the service\'s IP ranges instead ("203.0.113.0/24:443"), or ask the platform operator to set LOCO_CNI=cilium if the cluster runs Cilium');
  }
  const out: Array<[string, Record<string, unknown>]> = [['networkpolicy-egress.yaml', egressNetworkPolicy(spec, workspace, targets)]];
  if (hosts.length) out.push(['ciliumnetworkpolicy-egress.yaml', fqdnPolicy(spec, hosts)]);
  return out;
}
