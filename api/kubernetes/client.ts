// The Kubernetes reads of the deploy preflight (@kubernetes/client-node): nodes — readiness,
// cordon, allocatable CPU and memory — and the ResourceQuotas of the app's namespace, mapped to
// plain facts for decide.ts. Every failure becomes a LocoError whose message is safe to show:
// the preflight turns it into a warning and the deploy goes on, so it must never throw.

import {
  ApiException, CoreV1Api, KubeConfig, Observable,
  type ConfigurationOptions, type ObservableMiddleware, type RequestContext, type ResponseContext, type V1Node, type V1ResourceQuota,
} from '@kubernetes/client-node';
import { LocoError } from '../../generator/errors.ts';

export interface KubernetesSettings {
  /** Path of a kubeconfig file (LOCO_KUBECONFIG), whose current context is used, or `in-cluster` for the pod's service account. */
  kubeconfig: string;
  /** Per request; the preflight runs in the commit queue, so a silent cluster must not hold it long (default 5 s). */
  timeoutMs?: number;
}

export interface NodeFacts {
  name: string;
  ready: boolean;
  /** Cordoned: `kubectl cordon` or spec.unschedulable. */
  unschedulable: boolean;
  /** Quantity strings as the node reports them (cpu, memory, pods). */
  allocatable: Record<string, string>;
}

export interface QuotaFacts {
  name: string;
  hard: Record<string, string>;
  used: Record<string, string>;
  /** The quota only counts pods its scopes select (BestEffort, PriorityClass …), which the preflight does not evaluate. */
  scoped: boolean;
}

/** What could be read; a LocoError says why a part could not. */
export interface ClusterFacts {
  nodes: NodeFacts[] | LocoError;
  quotas: QuotaFacts[] | LocoError;
}

export interface KubernetesClient {
  readCluster(namespace: string): Promise<ClusterFacts>;
}

function nodeFacts(node: V1Node): NodeFacts {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    name: node.metadata?.name ?? '(unnamed)',
    ready: ready?.status === 'True',
    unschedulable: node.spec?.unschedulable === true,
    allocatable: { ...(node.status?.allocatable ?? {}) },
  };
}

function quotaFacts(quota: V1ResourceQuota): QuotaFacts {
  return {
    name: quota.metadata?.name ?? '(unnamed)',
    hard: { ...(quota.status?.hard ?? quota.spec?.hard ?? {}) },
    used: { ...(quota.status?.used ?? {}) },
    scoped: (quota.spec?.scopes?.length ?? 0) > 0 || (quota.spec?.scopeSelector?.matchExpressions?.length ?? 0) > 0,
  };
}

/** A request timeout through the client's middleware: the generated API takes no signal of its own. */
function timeoutOptions(ms: number): ConfigurationOptions<ObservableMiddleware> {
  const timeout: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(AbortSignal.timeout(ms));
      return new Observable(Promise.resolve(context));
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  };
  return { middleware: [timeout], middlewareMergeStrategy: 'append' };
}

/**
 * The failure in words a developer can pass on to whoever runs the cluster. Only a refusal of
 * one request (403) names the request: the other failures hit both reads alike and read as one.
 */
function kubernetesError(error: unknown, what: string, server: string): LocoError {
  const hint = 'ask your cluster operator to check LOCO_KUBECONFIG and that the Kubernetes API is reachable from Loco';
  if (error instanceof ApiException) {
    const status = error.code;
    if (status === 401) return new LocoError('upstream.kubernetes-unauthorized', `the Kubernetes API at ${server} refused the credentials in LOCO_KUBECONFIG (401 Unauthorized)`, 'the token or certificate is missing, expired or revoked: renew it in the kubeconfig that LOCO_KUBECONFIG names', { cause: error, data: { status } });
    if (status === 403) return new LocoError('upstream.kubernetes-forbidden', `the Kubernetes API at ${server} does not allow ${what} (403 Forbidden)`, "grant the kubeconfig's user list on nodes (cluster-wide) and on resourcequotas", { cause: error, data: { status } });
    return new LocoError('upstream.kubernetes', `the Kubernetes API at ${server} answered ${status} to ${what}`, hint, { cause: error, data: { status } });
  }
  const name = (error as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return new LocoError('unavailable.kubernetes-timeout', `the Kubernetes API at ${server} did not answer in time`, hint, { cause: error });
  const code = (error as { cause?: { code?: unknown } })?.cause?.code ?? (error as { code?: unknown })?.code;
  const why = typeof code === 'string' ? ` (${code})` : '';
  return new LocoError('unavailable.kubernetes', `cannot reach the Kubernetes API at ${server}${why}`, hint, { cause: error });
}

export function createKubernetesClient(settings: KubernetesSettings): KubernetesClient {
  const timeoutMs = settings.timeoutMs ?? 5000;
  return {
    async readCluster(namespace) {
      // Loaded on every preflight so that a rotated kubeconfig is picked up without a restart.
      let config: KubeConfig;
      let server: string;
      try {
        config = new KubeConfig();
        if (settings.kubeconfig === 'in-cluster') config.loadFromCluster();
        else config.loadFromFile(settings.kubeconfig);
        const cluster = config.getCurrentCluster();
        if (!cluster) throw new Error('no current cluster');
        server = cluster.server;
      } catch (error) {
        const failed = new LocoError('config.kubeconfig', 'the kubeconfig that LOCO_KUBECONFIG names cannot be read or has no current context', 'ask your Loco operator to fix LOCO_KUBECONFIG (a readable kubeconfig file with a current context)', { cause: error });
        return { nodes: failed, quotas: failed };
      }
      const api = config.makeApiClient(CoreV1Api);
      const options = timeoutOptions(timeoutMs);
      const [nodes, quotas] = await Promise.all([
        api.listNode({}, options).then((list) => list.items.map(nodeFacts), (error: unknown) => kubernetesError(error, 'listing nodes', server)),
        api.listNamespacedResourceQuota({ namespace }, options).then(
          (list) => list.items.map(quotaFacts),
          (error: unknown) => kubernetesError(error, `listing the ResourceQuotas of namespace ${namespace}`, server),
        ),
      ]);
      return { nodes, quotas };
    },
  };
}
