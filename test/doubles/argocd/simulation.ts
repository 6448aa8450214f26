// The double's model of one Argo CD Application: reconcile a revision, run the automated sync
// operation, roll pods out, and end as the scripted scenario says. It produces Application and
// resource-tree objects shaped as Argo CD v3.5 sends them (checked against the swagger by the server).

import { createHash } from 'node:crypto';
import type { ManifestObject } from './repo.ts';

export type Outcome =
  | 'healthy'
  | 'image-pull-backoff'
  | 'crash-loop'
  | 'oom-killed'
  | 'degraded'
  | 'sync-failed'
  | 'comparison-error'
  | 'stuck'
  | 'flap';

export interface Scenario {
  /** How the rollout ends (default healthy). */
  outcome?: Outcome;
  /** Duration of the sync operation (default 20 ms). */
  syncMs?: number;
  /** From the end of the sync to the scripted end state (default 50 ms). */
  healthyAfterMs?: number;
  /** For 'flap': how long each Healthy/Progressing swing lasts (default 30 ms), and how many swings (default 1). */
  flapMs?: number;
  flaps?: number;
  /** Close each watch stream abruptly after this many lines, for the next `dropStreamTimes` connections (default 1). */
  dropStreamAfterLines?: number;
  dropStreamTimes?: number;
  /** The watch stream answers 503, as behind a proxy that does not stream. */
  streamUnavailable?: boolean;
  /** Delay every response by this much (a slow Argo CD). */
  latencyMs?: number;
  /** Message for 'sync-failed'. */
  syncErrorMessage?: string;
}

type PodState = 'none' | 'creating' | 'running' | 'image-pull' | 'crash' | 'oom';

export interface AppModel {
  name: string;
  slug: string;
  app: string;
  profile: string;
  namespace: string;
  repoUrl: string;
  resourceVersion: number;
  createdAt: string;
  revision?: string;
  syncStatus: string;
  health: string;
  healthTime: string;
  reconciledAt?: string;
  operation?: Record<string, unknown>;
  operationState?: Record<string, any>;
  conditions: { type: string; message: string; lastTransitionTime: string }[];
  objects: ManifestObject[];
  pods: PodState;
  deploymentDegraded: boolean;
  history: { id: number; revision: string; deployedAt: string; deployStartedAt: string; initiatedBy: { automated: boolean } }[];
}

export const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const hash = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet'];
const NO_HEALTH = ['ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'RoleBinding', 'NetworkPolicy', 'PodDisruptionBudget', 'Namespace', 'ResourceQuota', 'LimitRange'];

export function newModel(init: { name: string; slug: string; app: string; profile: string; namespace: string; repoUrl: string }, now: number): AppModel {
  return {
    ...init,
    resourceVersion: 1,
    createdAt: rfc3339(now),
    syncStatus: '',
    health: 'Missing',
    healthTime: rfc3339(now),
    conditions: [],
    objects: [],
    pods: 'none',
    deploymentDegraded: false,
    history: [],
  };
}

export const podsHealthy = (m: AppModel) => m.pods === 'running';

function workloadHealth(m: AppModel, o: ManifestObject): { status: string; message?: string } {
  if (m.deploymentDegraded) return { status: 'Degraded', message: `Deployment "${o.name}" exceeded its progress deadline` };
  if (m.pods === 'running') return { status: 'Healthy' };
  return { status: 'Progressing', message: `Waiting for rollout to finish: 0 of ${o.replicas} updated replicas are available...` };
}

function resourceHealth(m: AppModel, o: ManifestObject): { status: string; message?: string } | undefined {
  if (NO_HEALTH.includes(o.kind)) return undefined;
  if (WORKLOADS.includes(o.kind)) return workloadHealth(m, o);
  return { status: 'Healthy' };
}

/** App health: the worst over the top-level resources (gitops-engine's order). */
export function appHealth(m: AppModel): string {
  const order = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];
  let worst = m.objects.length === 0 ? 'Missing' : 'Healthy';
  for (const o of m.objects) {
    const h = resourceHealth(m, o)?.status;
    if (h && order.indexOf(h) > order.indexOf(worst)) worst = h;
  }
  return worst;
}

const nsOf = (m: AppModel, o: ManifestObject) => (o.kind === 'Namespace' ? undefined : o.namespace ?? m.namespace);
const uid = (...parts: string[]) => {
  const h = hash(parts.join('/'), 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

export function toApplication(m: AppModel): Record<string, unknown> {
  const source = { repoURL: m.repoUrl, path: `apps/${m.app}/overlays/${m.profile}`, targetRevision: 'main' };
  const destination = { server: 'https://kubernetes.default.svc', namespace: m.namespace };
  const status: Record<string, unknown> = {
    sync: { status: m.syncStatus, ...(m.revision ? { revision: m.revision } : {}), comparedTo: { source, destination } },
    health: { status: m.health, lastTransitionTime: m.healthTime },
    resources: m.objects.map((o) => {
      const h = resourceHealth(m, o);
      return {
        ...(o.group ? { group: o.group } : {}),
        version: o.version,
        kind: o.kind,
        ...(nsOf(m, o) ? { namespace: nsOf(m, o) } : {}),
        name: o.name,
        status: m.syncStatus === 'Synced' ? 'Synced' : 'OutOfSync',
        ...(h ? { health: h } : {}),
      };
    }),
    sourceType: 'Kustomize',
    resourceHealthSource: 'appTree',
    controllerNamespace: 'argocd',
    summary: { images: [...new Set(m.objects.flatMap((o) => o.images))] },
    ...(m.reconciledAt ? { reconciledAt: m.reconciledAt, observedAt: m.reconciledAt } : {}),
    ...(m.operationState ? { operationState: m.operationState } : {}),
    ...(m.conditions.length ? { conditions: m.conditions } : {}),
    ...(m.history.length ? { history: m.history } : {}),
  };
  return {
    metadata: {
      name: m.name,
      namespace: 'argocd',
      uid: uid('app', m.name),
      resourceVersion: String(m.resourceVersion),
      generation: m.resourceVersion,
      creationTimestamp: m.createdAt,
      labels: { 'loco.dev/workspace': m.slug, 'loco.dev/app': m.app, 'loco.dev/profile': m.profile },
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    },
    spec: {
      project: m.slug,
      source,
      destination,
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    },
    ...(m.operation ? { operation: m.operation } : {}),
    status,
  };
}

function podNode(m: AppModel, o: ManifestObject, rsName: string, rsUid: string, i: number): Record<string, unknown> {
  const name = `${rsName}-${hash(`${rsName}${i}`, 5)}`;
  const image = o.images[0] ?? 'unknown';
  const states: Record<PodState, { health: { status: string; message?: string }; reason: string; ready: string }> = {
    none: { health: { status: 'Progressing' }, reason: 'Pending', ready: '0/1' },
    creating: { health: { status: 'Progressing' }, reason: 'ContainerCreating', ready: '0/1' },
    running: { health: { status: 'Healthy' }, reason: 'Running', ready: '1/1' },
    'image-pull': { health: { status: 'Degraded', message: `Back-off pulling image "${image}"` }, reason: 'ImagePullBackOff', ready: '0/1' },
    crash: { health: { status: 'Degraded', message: `back-off 10s restarting failed container=${o.name} pod=${name}_${nsOf(m, o)}` }, reason: 'CrashLoopBackOff', ready: '0/1' },
    oom: { health: { status: 'Degraded', message: `back-off 20s restarting failed container=${o.name} pod=${name}: OOMKilled` }, reason: 'OOMKilled', ready: '0/1' },
  };
  const s = states[m.pods];
  return {
    version: 'v1',
    kind: 'Pod',
    namespace: nsOf(m, o),
    name,
    uid: uid('pod', name),
    parentRefs: [{ group: 'apps', kind: 'ReplicaSet', namespace: nsOf(m, o), name: rsName, uid: rsUid }],
    info: [
      { name: 'Status Reason', value: s.reason },
      { name: 'Containers', value: s.ready },
    ],
    health: s.health,
    images: o.images,
    resourceVersion: String(m.resourceVersion),
    createdAt: m.healthTime,
  };
}

export function toTree(m: AppModel): Record<string, unknown> {
  const nodes: Record<string, unknown>[] = [];
  for (const o of m.objects) {
    const ns = nsOf(m, o);
    const id = uid(o.kind, ns ?? '', o.name);
    const h = resourceHealth(m, o);
    nodes.push({
      ...(o.group ? { group: o.group } : {}),
      version: o.version,
      kind: o.kind,
      ...(ns ? { namespace: ns } : {}),
      name: o.name,
      uid: id,
      ...(h ? { health: h } : {}),
      ...(o.images.length ? { images: o.images } : {}),
      resourceVersion: String(m.resourceVersion),
      createdAt: m.createdAt,
    });
    if (o.kind === 'Deployment' && m.pods !== 'none') {
      const rsName = `${o.name}-${hash(m.revision ?? '', 10)}`;
      const rsUid = uid('rs', rsName);
      nodes.push({
        group: 'apps',
        version: 'v1',
        kind: 'ReplicaSet',
        namespace: ns,
        name: rsName,
        uid: rsUid,
        parentRefs: [{ group: 'apps', kind: 'Deployment', namespace: ns, name: o.name, uid: id }],
        info: [{ name: 'Revision', value: `Rev:${m.history.length}` }],
        health: m.pods === 'running' ? { status: 'Healthy' } : { status: 'Progressing', message: 'Waiting for rollout to finish' },
        resourceVersion: String(m.resourceVersion),
        createdAt: m.healthTime,
      });
      for (let i = 0; i < o.replicas; i++) nodes.push(podNode(m, o, rsName, rsUid, i));
    }
  }
  return { nodes, hosts: [] };
}
