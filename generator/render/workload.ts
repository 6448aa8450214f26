// The overlay's patch of the workload (Deployment or CronJob): replicas, schedule, resources,
// probes, ports and environment of the app container. A strategic-merge patch keyed by the
// container name, so the hardened base stays intact underneath.

import { appTypeTemplate } from '../../templates/app-types.ts';
import { CONTAINER_NAME, PORT_NAME } from '../../templates/base-shapes.ts';
import type { AppSpec } from '../config/spec.ts';
import { selectorLabels } from './labels.ts';
import { metricsContainerPort } from './metrics.ts';
import { hasAutoscaler } from './policies.ts';

/** Startup probes poll every few seconds so a fast app is ready quickly. */
const STARTUP_PERIOD = 5;

/** Liveness checks this many times as far apart and tolerates this many times the failures. */
const LIVENESS_FACTOR = 2;

/** The scheduler spreads two or more replicas over zones and nodes; it still runs them if it cannot. */
function spread(spec: AppSpec): Record<string, unknown> {
  const { min, max } = spec.resources.replicas;
  if (Math.max(min, hasAutoscaler(spec) ? max : min) < 2) return {};
  const labelSelector = { matchLabels: selectorLabels(spec.metadata.name) };
  return {
    topologySpreadConstraints: ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({ maxSkew: 1, topologyKey, whenUnsatisfiable: 'ScheduleAnyway', labelSelector })),
  };
}

function probeHandler(spec: AppSpec): Record<string, unknown> | undefined {
  const h = spec.health;
  switch (h.kind) {
    case 'http':
      return { httpGet: { path: h.path, port: h.port } };
    case 'grpc':
      return { grpc: h.grpcService ? { port: h.port, service: h.grpcService } : { port: h.port } };
    case 'tcp':
      return { tcpSocket: { port: h.port } };
    case 'cmd':
      return { exec: { command: [...h.command] } };
    case 'none':
      return undefined;
  }
}

function probes(spec: AppSpec): Record<string, unknown> {
  const handler = probeHandler(spec);
  if (!handler) return {};
  const h = spec.health;
  const timing = { periodSeconds: h.interval, timeoutSeconds: h.timeout, failureThreshold: h.failThreshold };
  const out: Record<string, unknown> = {};
  if (h.startupGracePeriod > 0) {
    out.startupProbe = { ...structuredClone(handler), periodSeconds: STARTUP_PERIOD, timeoutSeconds: h.timeout, failureThreshold: Math.max(1, Math.ceil(h.startupGracePeriod / STARTUP_PERIOD)) };
  }
  out.readinessProbe = { ...structuredClone(handler), ...timing };
  // Liveness is laxer than readiness: a slow dependency should take a pod out of service, not
  // restart healthy pods in a cascade (kube-score: identical probes are critical).
  out.livenessProbe = { ...structuredClone(handler), ...timing, periodSeconds: h.interval * LIVENESS_FACTOR, failureThreshold: h.failThreshold * LIVENESS_FACTOR };
  return out;
}

function container(spec: AppSpec, configMap: string, secretEnv: Array<Record<string, unknown>>): Record<string, unknown> {
  const template = appTypeTemplate(spec.metadata.type);
  const c: Record<string, unknown> = { name: CONTAINER_NAME };
  const ports: Array<Record<string, unknown>> = template.isRouted ? [{ name: PORT_NAME, containerPort: spec.routing.port, protocol: 'TCP' }] : [];
  const metrics = metricsContainerPort(spec);
  if (metrics) ports.push(metrics);
  if (ports.length) c.ports = ports;
  c.envFrom = [{ configMapRef: { name: configMap } }];
  if (secretEnv.length) c.env = secretEnv;
  c.resources = { requests: { cpu: spec.resources.cpu, memory: spec.resources.memory }, limits: { memory: spec.resources.memory } };
  if (template.workload === 'Deployment') Object.assign(c, probes(spec));
  return c;
}

/**
 * What scrapers and log collectors read off the pod: the prometheus.io/* annotations, Fluent
 * Bit's `fluentbit.io/exclude` when logs are not collected, and the retention label.
 */
function podMetadata(spec: AppSpec): Record<string, Record<string, string>> | undefined {
  const m = spec.obs.metrics;
  const l = spec.obs.logging;
  const annotations: Record<string, string> = {};
  if (m.enabled) Object.assign(annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/path': m.path, 'prometheus.io/port': String(m.port) });
  if (!l.enabled) annotations['fluentbit.io/exclude'] = 'true';
  else if (l.retentionPeriod && l.format === 'json') annotations['fluentbit.io/parser'] = 'json';
  const out: Record<string, Record<string, string>> = {};
  if (Object.keys(annotations).length) out.annotations = annotations;
  if (l.enabled && l.retentionPeriod) out.labels = { 'loco.dev/log-retention': l.retentionPeriod };
  return Object.keys(out).length ? out : undefined;
}

export function workloadPatch(spec: AppSpec, configMap: string, secretEnv: Array<Record<string, unknown>>): Record<string, unknown> {
  const app = spec.metadata.name;
  const template = appTypeTemplate(spec.metadata.type);
  const meta = podMetadata(spec);
  const podSpec = { ...(template.workload === 'Deployment' ? spread(spec) : {}), containers: [container(spec, configMap, secretEnv)] };
  const pod = meta ? { metadata: meta, spec: podSpec } : { spec: podSpec };
  if (template.workload === 'CronJob') {
    return {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: app },
      spec: {
        schedule: spec.cron.schedule,
        timeZone: spec.cron.timeZone,
        concurrencyPolicy: spec.cron.concurrencyPolicy,
        suspend: false,
        jobTemplate: { spec: { backoffLimit: spec.cron.retries, activeDeadlineSeconds: spec.cron.deadline, template: pod } },
      },
    };
  }
  // When an autoscaler manages the Deployment, replicas stay unset so a sync never fights it.
  const replicas = hasAutoscaler(spec) ? {} : { replicas: spec.resources.replicas.min };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app }, spec: { ...replicas, template: pod } };
}
