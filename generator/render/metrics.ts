// Obs.Metrics → what Prometheus needs to scrape the app: a PodMonitor for the Prometheus
// Operator (monitoring.coreos.com/v1), a named container port for it to target, and an
// ingress rule so the default-deny NetworkPolicy lets the scraper in. The prometheus.io/*
// pod annotations (workload.ts) serve scrapers configured by the annotation convention.

import { appTypeTemplate } from '../../templates/app-types.ts';
import { PORT_NAME } from '../../templates/base-shapes.ts';
import type { AppSpec } from '../config/spec.ts';
import { metadata, selectorLabels } from './labels.ts';

/** Name of the container port that serves metrics when it is not the app's own port. */
export const METRICS_PORT_NAME = 'metrics';
/**
 * Namespace the scraper runs in, admitted on the metrics port: `monitoring`, where
 * kube-prometheus-stack and the Prometheus Operator's quick start install Prometheus.
 */
export const SCRAPER_NAMESPACE = 'monitoring';

export const hasPodMonitor = (spec: AppSpec): boolean => spec.obs.metrics.enabled;

/** Whether metrics are served on the routed app's own port (then that port is scraped by its name). */
function onAppPort(spec: AppSpec): boolean {
  return appTypeTemplate(spec.metadata.type).isRouted && spec.obs.metrics.port === spec.routing.port;
}

/** The container port to declare for metrics (undefined: none needed, or metrics are off). */
export function metricsContainerPort(spec: AppSpec): Record<string, unknown> | undefined {
  if (!hasPodMonitor(spec) || onAppPort(spec)) return undefined;
  return { name: METRICS_PORT_NAME, containerPort: spec.obs.metrics.port, protocol: 'TCP' };
}

export function podMonitor(spec: AppSpec): Record<string, unknown> {
  const app = spec.metadata.name;
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: metadata(app),
    spec: {
      selector: { matchLabels: selectorLabels(app) },
      podMetricsEndpoints: [{ port: onAppPort(spec) ? PORT_NAME : METRICS_PORT_NAME, path: spec.obs.metrics.path }],
    },
  };
}

/** The NetworkPolicy ingress rule admitting the scraper's namespace to the metrics port only. */
export function scraperIngress(spec: AppSpec): Record<string, unknown> {
  return {
    from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': SCRAPER_NAMESPACE } } }],
    ports: [{ protocol: 'TCP', port: spec.obs.metrics.port }],
  };
}
