// What an app/profile asks of the cluster, read from the files a change commits: the overlay's
// kustomization, its resources and patches over the base, merged the way Kustomize's strategic
// merge does for the fields read here (containers by name). The files, not loco.toml, because
// they are what Argo CD applies: a scale change lives in overrides.toml and a rollback restores
// old files without rendering, and with an autoscaler the Deployment has no replicas at all (the
// HorizontalPodAutoscaler's minReplicas is what runs). Pure: files in, numbers out.

import { posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseQuantity } from './quantity.ts';

export interface PodResources {
  cpu?: number;
  memory?: number;
}

export interface WorkloadDemand {
  /** e.g. "Deployment/api" */
  workload: string;
  /** Pods that run once the change is applied (CronJobs and Jobs: pods of one run). */
  replicas: number;
  /** The autoscaler's ceiling, when one manages the workload. */
  maxReplicas?: number;
  /**
   * One pod's requests as the scheduler and ResourceQuota count them: the larger of the
   * containers' sum and the biggest init container; a container without a request asks for
   * its limit. Undefined when some container sets neither (it then asks for nothing).
   */
  requests: PodResources;
  /** One pod's limits; undefined when some container has none (the pod is then unbounded). */
  limits: PodResources;
}

type Doc = Record<string, any>;

function docsOf(text: string | undefined): Doc[] {
  if (text === undefined) return [];
  return parseAllDocuments(text).map((d) => d.toJS() as unknown).filter((d): d is Doc => typeof d === 'object' && d !== null && !Array.isArray(d));
}

/** Strategic merge as far as this module needs it: maps deep, lists of named items by name, other lists replaced. */
function merge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (Array.isArray(base) && Array.isArray(patch) && [...base, ...patch].every((i) => typeof i?.name === 'string')) {
    const out = base.map((item) => {
      const over = patch.find((p) => p.name === item.name);
      return over ? merge(item, over) : item;
    });
    return [...out, ...patch.filter((p) => !base.some((b) => b.name === p.name))];
  }
  if (isMap(base) && isMap(patch)) {
    const out: Doc = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = v === null ? undefined : merge(base[k], v);
    return out;
  }
  return patch;
}

const isMap = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const idOf = (d: Doc): string => `${d.kind}/${d.metadata?.name}`;

/** The objects `dir`'s kustomization builds (resources, then patches); nested directories followed. */
function build(files: Map<string, string>, dir: string, depth = 0): Doc[] {
  const kustomization = docsOf(files.get(`${dir}/kustomization.yaml`) ?? files.get(`${dir}/kustomization.yml`))[0];
  if (!kustomization || depth > 5) return [];
  const objects: Doc[] = [];
  for (const entry of (kustomization.resources ?? []) as unknown[]) {
    if (typeof entry !== 'string') continue;
    const path = posix.normalize(posix.join(dir, entry));
    if (files.has(path)) objects.push(...docsOf(files.get(path)));
    else objects.push(...build(files, path, depth + 1));
  }
  for (const patch of (kustomization.patches ?? kustomization.patchesStrategicMerge ?? []) as unknown[]) {
    const file = typeof patch === 'string' ? patch : isMap(patch) && typeof patch.path === 'string' ? patch.path : undefined;
    for (const p of docsOf(file === undefined ? undefined : files.get(posix.normalize(posix.join(dir, file))))) {
      const i = objects.findIndex((o) => idOf(o) === idOf(p));
      if (i >= 0) objects[i] = merge(objects[i], p) as Doc;
    }
  }
  return objects;
}

function podResources(pod: Doc | undefined): { requests: PodResources; limits: PodResources } {
  const containers = (pod?.containers ?? []) as Doc[];
  const inits = (pod?.initContainers ?? []) as Doc[];
  const requests: PodResources = {};
  const limits: PodResources = {};
  for (const resource of ['cpu', 'memory'] as const) {
    const request = (c: Doc) => parseQuantity(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]);
    const limit = (c: Doc) => parseQuantity(c.resources?.limits?.[resource]);
    const sum = (values: (number | undefined)[]) => (values.some((v) => v === undefined) ? undefined : values.reduce<number>((a, v) => a + v!, 0));
    const apps = sum(containers.map(request));
    const initMax = Math.max(0, ...inits.map((c) => request(c) ?? 0));
    if (apps !== undefined) requests[resource] = Math.max(apps, initMax);
    const appLimits = sum(containers.map(limit));
    if (appLimits !== undefined && containers.length > 0) limits[resource] = Math.max(appLimits, ...inits.map((c) => limit(c) ?? 0));
  }
  return { requests, limits };
}

/** The workloads of `apps/<app>/overlays/<profile>` in `files` and what their pods ask for. */
export function workloadDemands(files: Map<string, string>, app: string, profile: string): WorkloadDemand[] {
  const objects = build(files, `apps/${app}/overlays/${profile}`);
  const autoscalers = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
  const demands: WorkloadDemand[] = [];
  for (const o of objects) {
    let pod: Doc | undefined;
    let replicas = 1;
    let maxReplicas: number | undefined;
    if (o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'ReplicaSet') {
      pod = o.spec?.template?.spec;
      const hpa = autoscalers.find((h) => h.spec?.scaleTargetRef?.kind === o.kind && h.spec?.scaleTargetRef?.name === o.metadata?.name);
      if (typeof o.spec?.replicas === 'number') replicas = o.spec.replicas;
      else if (hpa) replicas = typeof hpa.spec?.minReplicas === 'number' ? hpa.spec.minReplicas : 1;
      if (hpa && typeof hpa.spec?.maxReplicas === 'number') maxReplicas = hpa.spec.maxReplicas;
    } else if (o.kind === 'CronJob') {
      pod = o.spec?.jobTemplate?.spec?.template?.spec;
      replicas = typeof o.spec?.jobTemplate?.spec?.parallelism === 'number' ? o.spec.jobTemplate.spec.parallelism : 1;
    } else if (o.kind === 'Job') {
      pod = o.spec?.template?.spec;
      replicas = typeof o.spec?.parallelism === 'number' ? o.spec.parallelism : 1;
    } else {
      continue;
    }
    demands.push({ workload: idOf(o), replicas, ...(maxReplicas !== undefined ? { maxReplicas } : {}), ...podResources(pod) });
  }
  return demands;
}
