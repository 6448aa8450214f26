// Overlay objects that guard the app in its namespace: the Namespace itself, the autoscaler,
// the disruption budget and the NetworkPolicy's admitted sources.

import { appTypeTemplate } from '../../templates/app-types.ts';
import type { AppSpec } from '../config/spec.ts';
import { metadata, selectorLabels, WORKSPACE_LABEL } from './labels.ts';
import { hasPodMonitor, scraperIngress } from './metrics.ts';

export function hasAutoscaler(spec: AppSpec): boolean {
  return appTypeTemplate(spec.metadata.type).isScalable && spec.resources.scalers.enabled;
}

export function namespaceObject(name: string, workspace: string, app: string, profile: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        [WORKSPACE_LABEL]: workspace,
        'loco.dev/app': app,
        'loco.dev/profile': profile,
        // Pods that break the hardened defaults are refused by the API server, not just linted.
        'pod-security.kubernetes.io/enforce': 'restricted',
      },
    },
  };
}

export function autoscaler(spec: AppSpec): Record<string, unknown> {
  const app = spec.metadata.name;
  const s = spec.resources.scalers;
  const metrics: Array<Record<string, unknown>> = [];
  if (s.cpuTarget > 0) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: s.cpuTarget } } });
  if (s.memoryTarget > 0) metrics.push({ type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: s.memoryTarget } } });
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: metadata(app),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
      minReplicas: spec.resources.replicas.min,
      maxReplicas: spec.resources.replicas.max,
      metrics,
    },
  };
}

/** A budget only makes sense when more than one pod may run; one pod at a time may go. */
export function hasDisruptionBudget(spec: AppSpec): boolean {
  const t = appTypeTemplate(spec.metadata.type);
  const r = spec.resources.replicas;
  return t.workload === 'Deployment' && (hasAutoscaler(spec) ? r.max : r.min) > 1;
}

export function disruptionBudget(spec: AppSpec): Record<string, unknown> {
  const app = spec.metadata.name;
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: metadata(app), spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(app) } } };
}

/**
 * Admits the gateway's namespace (routed apps only) and every namespace of the same workspace;
 * with Obs.Metrics on, also the scraper's namespace, on the metrics port only.
 */
export function networkPolicyPatch(spec: AppSpec, workspace: string): Record<string, unknown> {
  const from: Array<Record<string, unknown>> = [];
  if (appTypeTemplate(spec.metadata.type).isRouted) {
    const gatewayNamespace = spec.routing.gateway.split('/')[0];
    from.push({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': gatewayNamespace } } });
  }
  from.push({ namespaceSelector: { matchLabels: { [WORKSPACE_LABEL]: workspace } } });
  const ingress: Array<Record<string, unknown>> = [{ from }];
  if (hasPodMonitor(spec)) ingress.push(scraperIngress(spec));
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: spec.metadata.name }, spec: { ingress } };
}
