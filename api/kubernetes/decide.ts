// The deploy preflight's decision: given what the change's pods ask for and what the cluster
// reported, refuse only what Kubernetes could certainly never run — no node accepts pods, one
// pod is larger than every node, the namespace's ResourceQuota is smaller than the release
// itself — and warn about the rest. The cluster is Argo CD's business; this only spares a
// developer a commit that would sit Pending until the progress deadline. Taints are not read:
// a tainted node still counts, which can only make a refusal rarer, never wrong. Pure: data in,
// verdict out.

import { LocoError } from '../../generator/errors.ts';
import type { ClusterFacts, NodeFacts, QuotaFacts } from './client.ts';
import { formatCpu, formatMemory, formatResource, parseQuantity } from './quantity.ts';
import type { WorkloadDemand } from './workload.ts';

export interface PreflightInput {
  namespace: string;
  workloads: WorkloadDemand[];
  cluster: ClusterFacts;
}

export interface Finding {
  message: string;
  data: Record<string, unknown>;
}

export interface PreflightVerdict {
  /** Set when the change can certainly not run: the deployment fails before its commit. */
  rejection?: LocoError;
  warnings: Finding[];
  /** What was checked, one clause each, for the preflight event. */
  checked: string[];
}

const EPSILON = 1e-9;

// A quota key → which part of one pod it counts. `cpu`/`memory` are the old names of requests.*.
const QUOTA_KEYS: Record<string, { part: 'requests' | 'limits' | 'pods'; resource: 'cpu' | 'memory' | 'pods' }> = {
  'requests.cpu': { part: 'requests', resource: 'cpu' },
  cpu: { part: 'requests', resource: 'cpu' },
  'requests.memory': { part: 'requests', resource: 'memory' },
  memory: { part: 'requests', resource: 'memory' },
  'limits.cpu': { part: 'limits', resource: 'cpu' },
  'limits.memory': { part: 'limits', resource: 'memory' },
  pods: { part: 'pods', resource: 'pods' },
  'count/pods': { part: 'pods', resource: 'pods' },
};

const NOTHING_COMMITTED = 'nothing was committed';

function podSize(w: WorkloadDemand): string {
  const parts = [w.requests.cpu !== undefined ? `${formatCpu(w.requests.cpu)} CPU` : 'no CPU request', w.requests.memory !== undefined ? `${formatMemory(w.requests.memory)} memory` : 'no memory request'];
  return parts.join(', ');
}

const allocatable = (n: NodeFacts, resource: string): number | undefined => parseQuantity(n.allocatable[resource]);
const fits = (asked: number | undefined, has: number | undefined): boolean => asked === undefined || has === undefined || asked <= has + EPSILON;

function noReadyNode(nodes: NodeFacts[]): LocoError {
  const notReady = nodes.filter((n) => !n.ready).length;
  const cordoned = nodes.filter((n) => n.ready && n.unschedulable).length;
  const why = nodes.length === 0 ? 'the cluster has no nodes' : `of ${nodes.length} node${nodes.length === 1 ? '' : 's'}, ${[notReady ? `${notReady} NotReady` : '', cordoned ? `${cordoned} cordoned (unschedulable)` : ''].filter(Boolean).join(' and ')}`;
  return new LocoError('rejected.no-ready-node', `no node can run pods now: ${why}`,
    `ask your cluster operator to bring a node back (kubectl get nodes), then deploy again; ${NOTHING_COMMITTED}`,
    { data: { nodes: nodes.length, notReady, cordoned } });
}

function tooBig(w: WorkloadDemand, usable: NodeFacts[]): LocoError {
  const maxCpu = Math.max(...usable.map((n) => allocatable(n, 'cpu') ?? 0));
  const maxMemory = Math.max(...usable.map((n) => allocatable(n, 'memory') ?? 0));
  const asks: string[] = [];
  if (!fits(w.requests.cpu, maxCpu)) asks.push(`asks ${formatCpu(w.requests.cpu!)} CPU, the largest node has ${formatCpu(maxCpu)}`);
  if (!fits(w.requests.memory, maxMemory)) asks.push(`asks ${formatMemory(w.requests.memory!)} memory, the largest node has ${formatMemory(maxMemory)}`);
  // each alone fits some node, but no node has both
  if (asks.length === 0) asks.push(`asks ${podSize(w)}, and no node has both (largest: ${formatCpu(maxCpu)} CPU, ${formatMemory(maxMemory)} memory)`);
  return new LocoError('rejected.pod-too-big', `no node can ever run a pod of this size: ${asks.join('; ')}`,
    `lower Resources.CPU or Resources.Memory (or the profile's CPU/Memory) in loco.toml, or ask your cluster operator to add bigger nodes; ${NOTHING_COMMITTED}`,
    { data: { workload: w.workload, requests: w.requests, largestNode: { cpu: maxCpu, memory: maxMemory } } });
}

/** Pods of this size the nodes could hold if nothing else ran on them. */
function slots(w: WorkloadDemand, usable: NodeFacts[]): number {
  let total = 0;
  for (const n of usable) {
    const per = (asked: number | undefined, has: number | undefined) => (asked && has !== undefined ? Math.floor(has / asked + EPSILON) : Infinity);
    total += Math.min(per(w.requests.cpu, allocatable(n, 'cpu')), per(w.requests.memory, allocatable(n, 'memory')), per(1, allocatable(n, 'pods')));
  }
  return total;
}

function checkNodes(nodes: NodeFacts[], workloads: WorkloadDemand[], verdict: PreflightVerdict): void {
  const usable = nodes.filter((n) => n.ready && !n.unschedulable);
  const running = workloads.filter((w) => w.replicas > 0);
  if (running.length === 0) {
    verdict.checked.push(`no pods to place (${workloads.length ? '0 replicas' : 'no workload in the overlay'})`);
    return;
  }
  if (usable.length === 0) {
    verdict.rejection = noReadyNode(nodes);
    return;
  }
  for (const w of running) {
    if (!usable.some((n) => fits(w.requests.cpu, allocatable(n, 'cpu')) && fits(w.requests.memory, allocatable(n, 'memory')))) {
      verdict.rejection = tooBig(w, usable);
      return;
    }
    // Loco does not read the pods already running, so only the empty-cluster bound is certain
    // enough to say; even then a cluster autoscaler may add nodes: a warning, not a refusal.
    const room = slots(w, usable);
    if (room < w.replicas) {
      verdict.warnings.push({
        message: `preflight: the ${usable.length} Ready node${usable.length === 1 ? '' : 's'} could hold at most ${room} pod${room === 1 ? '' : 's'} of this size (${podSize(w)}) even with nothing else running, and ${w.workload} asks for ${w.replicas}; the rest would stay Pending unless nodes are added`,
        data: { check: 'capacity', workload: w.workload, replicas: w.replicas, room },
      });
    }
  }
  const largestCpu = Math.max(...usable.map((n) => allocatable(n, 'cpu') ?? 0));
  const largestMemory = Math.max(...usable.map((n) => allocatable(n, 'memory') ?? 0));
  verdict.checked.push(`${usable.length} of ${nodes.length} nodes Ready and schedulable, the largest has ${formatCpu(largestCpu)} CPU and ${formatMemory(largestMemory)} memory`);
}

interface QuotaNeed {
  key: string;
  hard: number;
  used: number;
  need: number;
  needAtMax: number;
  how: string;
}

function quotaNeeds(quota: QuotaFacts, workloads: WorkloadDemand[], namespace: string, verdict: PreflightVerdict): QuotaNeed[] {
  const needs: QuotaNeed[] = [];
  for (const [key, hardText] of Object.entries(quota.hard).sort(([a], [b]) => a.localeCompare(b))) {
    const counted = QUOTA_KEYS[key];
    const hard = parseQuantity(hardText);
    if (!counted || hard === undefined) continue;
    let need = 0;
    let needAtMax = 0;
    const how: string[] = [];
    for (const w of workloads.filter((x) => x.replicas > 0)) {
      const per = counted.part === 'pods' ? 1 : w[counted.part][counted.resource as 'cpu' | 'memory'];
      if (per === undefined) {
        // the quota admission refuses such pods unless a LimitRange fills in a default, which Loco does not read
        verdict.warnings.push({
          message: `preflight: ResourceQuota ${quota.name} in namespace ${namespace} counts ${key}, but the pods of ${w.workload} set no ${counted.part === 'limits' ? 'limit' : 'request'} for ${counted.resource}; Kubernetes refuses them unless a LimitRange gives a default`,
          data: { check: 'quota', quota: quota.name, resource: key, workload: w.workload },
        });
        continue;
      }
      need += w.replicas * per;
      needAtMax += (w.maxReplicas ?? w.replicas) * per;
      how.push(counted.part === 'pods' ? `${w.replicas} pods` : `${w.replicas} × ${formatResource(key, per)}`);
    }
    needs.push({ key, hard, used: parseQuantity(quota.used[key]) ?? 0, need, needAtMax, how: how.join(' + ') });
  }
  return needs;
}

function checkQuotas(quotas: QuotaFacts[], workloads: WorkloadDemand[], namespace: string, verdict: PreflightVerdict): void {
  if (quotas.length === 0) {
    verdict.checked.push(`no ResourceQuota in namespace ${namespace}`);
    return;
  }
  for (const quota of [...quotas].sort((a, b) => a.name.localeCompare(b.name))) {
    const needs = quotaNeeds(quota, workloads, namespace, verdict);
    const fmt = (n: QuotaNeed, v: number) => formatResource(n.key, v);
    // More than the whole quota: no pod that leaves the namespace can make room. Certain —
    // unless the quota's scopes do not select these pods, which Loco does not evaluate.
    const over = needs.filter((n) => n.need > n.hard + EPSILON);
    if (over.length > 0) {
      const what = over.map((n) => `${n.key} ${fmt(n, n.hard)}, and this release needs ${fmt(n, n.need)} (${n.how})`).join('; ');
      const message = `ResourceQuota ${quota.name} in namespace ${namespace} allows ${what}`;
      const data = { check: 'quota', quota: quota.name, namespace, exceeded: over.map(({ key, hard, need }) => ({ resource: key, hard, need })) };
      if (quota.scoped) {
        verdict.warnings.push({ message: `preflight: ${message} (if its scopes select these pods)`, data });
        continue;
      }
      verdict.rejection ??= new LocoError('rejected.quota', message,
        `lower Resources.Replicas, CPU or Memory in loco.toml (or \`loco scale\`), or ask your cluster operator to raise ResourceQuota ${quota.name}; ${NOTHING_COMMITTED}`, { data });
      continue;
    }
    // Within the quota, but not beside what runs there now. The namespace is this app/profile's
    // alone, so that is most likely the release being replaced, whose share Loco cannot tell
    // (an autoscaler may have scaled it, pods may be crashing): warn, because a rolling update
    // starts new pods before it stops old ones and may stall until the quota has room.
    for (const n of needs) {
      if (n.used + n.need > n.hard + EPSILON) {
        verdict.warnings.push({
          message: `preflight: ResourceQuota ${quota.name} in namespace ${namespace} has ${n.key} ${fmt(n, n.used)} of ${fmt(n, n.hard)} in use and this release needs ${fmt(n, n.need)}; it fits only as the running pods go away, so the rollout may stall`,
          data: { check: 'quota', quota: quota.name, resource: n.key, hard: n.hard, used: n.used, need: n.need },
        });
      } else if (n.needAtMax > n.hard + EPSILON) {
        verdict.warnings.push({
          message: `preflight: ResourceQuota ${quota.name} in namespace ${namespace} allows ${n.key} ${fmt(n, n.hard)}, less than the autoscaler's maximum needs (${fmt(n, n.needAtMax)}); it will stop scaling before Replicas.Max`,
          data: { check: 'quota', quota: quota.name, resource: n.key, hard: n.hard, needAtMax: n.needAtMax },
        });
      }
    }
    const counted = needs.map((n) => `${n.key} ${fmt(n, n.need)} of ${fmt(n, n.hard)}`).join(', ');
    verdict.checked.push(`ResourceQuota ${quota.name} ${counted ? `allows it (${counted})` : 'counts nothing these pods use'}`);
  }
}

export function decidePreflight(input: PreflightInput): PreflightVerdict {
  const verdict: PreflightVerdict = { warnings: [], checked: [] };
  const { nodes, quotas } = input.cluster;
  if (nodes instanceof Error && quotas instanceof Error) {
    const why = nodes.message === quotas.message ? nodes.message : `${nodes.message}; ${quotas.message}`;
    verdict.warnings.push({ message: `preflight skipped: ${why}. Argo CD still applies the commit; Loco could not check node capacity or quotas first`, data: { check: 'skipped', code: nodes.code, hint: nodes.hint } });
    return verdict;
  }
  const running = input.workloads.filter((w) => w.replicas > 0);
  for (const w of running) verdict.checked.push(`${w.replicas} × (${podSize(w)}) for ${w.workload}`);
  if (nodes instanceof Error) {
    verdict.warnings.push({ message: `preflight skipped the node checks: ${nodes.message}`, data: { check: 'nodes', code: nodes.code, hint: nodes.hint } });
  } else {
    checkNodes(nodes, input.workloads, verdict);
    if (verdict.rejection) return verdict;
  }
  if (quotas instanceof Error) {
    verdict.warnings.push({ message: `preflight skipped the quota checks: ${quotas.message}`, data: { check: 'quota', code: quotas.code, hint: quotas.hint } });
  } else {
    checkQuotas(quotas, input.workloads, input.namespace, verdict);
  }
  return verdict;
}
