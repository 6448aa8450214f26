// The deploy preflight as the runner calls it: read what the change's pods ask for, ask the
// cluster (LOCO_KUBECONFIG), decide (decide.ts), and say it all as deployment events. Advisory
// except for the certain failures decide.ts names; without a kubeconfig it only says it skipped.

import type { FastifyBaseLogger } from 'fastify';
import { LocoError } from '../../generator/errors.ts';
import { namespaceFor } from '../../generator/names.ts';
import type { NewEvent } from '../deployments/records.ts';
import type { KubernetesClient, KubernetesSettings } from './client.ts';
import { decidePreflight } from './decide.ts';
import { workloadDemands } from './workload.ts';

export interface PreflightRequest {
  slug: string;
  app: string;
  profile: string;
  /** The app/profile files the change leaves on main; read only when a cluster is configured. */
  files: () => Promise<Map<string, string>>;
}

export interface PreflightOutcome {
  events: NewEvent[];
  /** The change can certainly not run: fail the deployment with reason `rejected`, before any commit. */
  rejection?: LocoError;
}

export type PreflightFn = (request: PreflightRequest) => Promise<PreflightOutcome>;

const NOT_CONFIGURED: NewEvent = {
  type: 'preflight',
  message: 'preflight skipped: LOCO_KUBECONFIG is unset, so Loco did not check node readiness, capacity or quotas before the commit',
  data: { skipped: true, configured: false },
};

export function createPreflight(settings: KubernetesSettings | undefined, log: FastifyBaseLogger): PreflightFn {
  if (!settings) return async () => ({ events: [NOT_CONFIGURED] });
  // @kubernetes/client-node is a third of the API's modules (0.6 s and ~80 MiB at start):
  // loaded at the first preflight, and only when a cluster is configured.
  let client: Promise<KubernetesClient> | undefined;
  const kubernetes = () => (client ??= import('./client.ts').then((m) => m.createKubernetesClient(settings)));
  return async (request) => {
    let files: Map<string, string>;
    try {
      files = await request.files();
    } catch {
      // The commit step renders (or reads) the same files and reports this failure as the deployment's outcome.
      return { events: [] };
    }
    try {
      const namespace = namespaceFor(request.slug, request.app, request.profile);
      const workloads = workloadDemands(files, request.app, request.profile);
      const cluster = await (await kubernetes()).readCluster(namespace);
      for (const part of [cluster.nodes, cluster.quotas]) {
        if (part instanceof LocoError && part.cause) log.warn({ err: part.cause, code: part.code, namespace, workspace: request.slug.replace('--', '/'), app: request.app, profile: request.profile }, 'kubernetes preflight read failed');
      }
      const verdict = decidePreflight({ namespace, workloads, cluster });
      const events: NewEvent[] = verdict.warnings.map((w) => ({ type: 'warning', message: w.message, data: { preflight: true, ...w.data } }));
      if (verdict.rejection) return { events, rejection: verdict.rejection };
      if (verdict.checked.length > 0) {
        const how = verdict.warnings.length ? ` with ${verdict.warnings.length} warning${verdict.warnings.length === 1 ? '' : 's'}` : '';
        events.push({ type: 'preflight', message: `preflight passed${how}: ${verdict.checked.join('; ')}`, data: { namespace, checked: verdict.checked, workloads } });
      }
      return { events };
    } catch (error) {
      // Advisory: a fault in the preflight itself must not stop a deploy Argo CD could still apply.
      log.error({ err: error, workspace: request.slug.replace('--', '/'), app: request.app, profile: request.profile }, 'kubernetes preflight failed');
      return { events: [{ type: 'warning', message: 'preflight skipped: internal error (see the API log); the deploy goes on', data: { preflight: true, check: 'skipped' } }] };
    }
  };
}
