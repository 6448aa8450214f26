// Plain-language causes: maps the messages Argo CD and Kubernetes give (pod waiting reasons,
// kubectl apply errors, project denials) to a code, the deployment's failure reason and the
// next step a developer can take. Pure; the table is ordered from specific to generic.

export type FailureReason = 'invalid-config' | 'rejected' | 'sync-failed' | 'degraded' | 'timeout' | 'superseded';

export type CauseCode =
  | 'image-pull'
  | 'oom-killed'
  | 'crash-loop'
  | 'container-config'
  | 'quota-exceeded'
  | 'probe-failed'
  | 'unschedulable'
  | 'invalid-manifest'
  | 'project-denied'
  | 'progress-deadline'
  | 'autoscaler-metrics'
  | 'autoscaler-target'
  | 'route-backend'
  | 'route-refused'
  | 'job-failed'
  | 'job-deadline'
  | 'disruption-budget';

export interface CauseRule {
  code: CauseCode;
  pattern: RegExp;
  /** The failure reason this cause gives a deployment when it ends it. */
  reason: FailureReason;
  /** A pod stuck on this cause will not recover by waiting: fail after a short grace. */
  isFatal: boolean;
  nextStep: (where: Where) => string;
  /** Only a health message of these kinds: their messages mean something else elsewhere. */
  kinds?: string[];
  /**
   * Only a sync or condition message (Argo CD's own verdict), never a resource's health
   * message: "forbidden" or "not permitted" in a pod's or a route's message is not the project.
   */
  operationOnly?: boolean;
}

/** What the next step may name: the resource and, when known, its images. */
export interface Where {
  resource?: string;
  images?: string[];
}

const imageText = (w: Where) => (w.images && w.images.length > 0 ? `image ${w.images.join(', ')}` : 'the image');

const ROUTES = ['HTTPRoute', 'GRPCRoute'];
const JOBS = ['Job', 'CronJob'];
const HPA = ['HorizontalPodAutoscaler'];
const PDB = ['PodDisruptionBudget'];

/**
 * Health messages of the kinds Loco renders besides pods (Argo CD's health checks: gitops-engine
 * pkg/health, resource_customizations/*\/health.lua). Each kind ends with a catch-all, so a
 * Degraded route never gets a pod's next step.
 */
const KIND_RULES: CauseRule[] = [
  {
    code: 'autoscaler-target',
    kinds: HPA,
    pattern: /unable to get the target's current scale|FailedGetScale|scaleTargetRef|not found/i,
    reason: 'degraded',
    isFatal: true,
    nextStep: (w) =>
      `The autoscaler${w.resource ? ` ${w.resource}` : ''} cannot find the Deployment it scales. Run \`loco render\` to check that the overlay renders both, and deploy again; if \`loco status\` shows no Deployment, Argo CD did not apply it (its message says why).`,
  },
  {
    code: 'autoscaler-metrics',
    kinds: HPA,
    pattern: /./,
    reason: 'degraded',
    isFatal: false,
    nextStep: () =>
      'The autoscaler cannot read CPU or memory use: the cluster needs metrics-server (ask the platform operator), and each pod needs a request — set Resources.CPU and Resources.Memory in loco.toml. Or turn autoscaling off with Resources.Scalers.Enabled = false (Replicas.Min pods then run), and deploy again.',
  },
  {
    code: 'route-backend',
    kinds: ROUTES,
    pattern: /BackendRef|BackendNotFound|RefNotPermitted|ResolvedRefs|backend|service .* not found|InvalidKind/i,
    reason: 'degraded',
    isFatal: true,
    nextStep: (w) =>
      `The gateway cannot send traffic to the app's Service${w.resource ? ` (${w.resource})` : ''}: the route names a Service or port that does not exist. Check Routing.Port (and Routing.Protocol) in loco.toml against the port the container listens on, run \`loco render\` to see the Service and route together, and deploy again.`,
  },
  {
    code: 'route-refused',
    kinds: ROUTES,
    pattern: /./,
    reason: 'degraded',
    isFatal: true,
    nextStep: (w) =>
      `The gateway refuses the route${w.resource ? ` ${w.resource}` : ''}: its host name is not allowed on the gateway's listeners, or the gateway does not accept routes from this namespace. Check Routing.Subdomain and Routing.BaseDomain for this profile in loco.toml; if they are right, ask the platform operator to allow the domain and namespace on the Gateway.`,
  },
  {
    code: 'job-deadline',
    kinds: JOBS,
    pattern: /DeadlineExceeded|active longer than specified deadline|deadline/i,
    reason: 'degraded',
    isFatal: true,
    nextStep: () =>
      'A run took longer than Cron.Deadline and was stopped. Raise Cron.Deadline in loco.toml (e.g. "2h") or make the run faster; read the last run\'s output with `loco logs`.',
  },
  {
    code: 'job-failed',
    kinds: JOBS,
    pattern: /./,
    reason: 'degraded',
    isFatal: true,
    nextStep: () =>
      'The last run failed on every try (Cron.Retries). Read its output with `loco logs`, fix the command, environment or a missing dependency, and deploy again; `loco status` shows when the next run is due.',
  },
  {
    code: 'disruption-budget',
    kinds: PDB,
    pattern: /./,
    reason: 'degraded',
    isFatal: false,
    nextStep: () =>
      'The disruption budget cannot be met: fewer pods are ready than it requires, so the cluster cannot drain a node without an outage. Fix why pods are not ready (`loco status`, `loco logs`), or run more of them (Resources.Replicas.Min ≥ 2, `loco scale --replicas 2`); one replica gets no budget.',
  },
];

export const CAUSE_RULES: CauseRule[] = [
  ...KIND_RULES,
  {
    code: 'image-pull',
    pattern: /ImagePullBackOff|ErrImagePull|InvalidImageName|ErrImageNeverPull|pulling image/,
    reason: 'degraded',
    isFatal: true,
    nextStep: (w) =>
      `The cluster cannot pull ${imageText(w)}. Check that the tag or digest exists in the registry and, for a private registry, that the workspace has pull credentials; then deploy again with --image set to an image that exists.`,
  },
  {
    code: 'oom-killed',
    pattern: /OOMKilled|out of memory/i,
    reason: 'degraded',
    isFatal: true,
    nextStep: () =>
      'The container used more memory than its limit and was killed. Raise Resources.Memory in loco.toml (or run `loco scale --memory …`), or reduce the app\'s memory use; then deploy again.',
  },
  {
    code: 'crash-loop',
    pattern: /CrashLoopBackOff|back-off \S+ restarting failed container|Error: failed to start container/,
    reason: 'degraded',
    isFatal: true,
    nextStep: (w) =>
      `The container starts and then exits${w.resource ? ` (${w.resource})` : ''}. Read its last log lines with \`loco logs\`, fix the start command, environment variables or a missing dependency, and deploy again.`,
  },
  {
    code: 'container-config',
    pattern: /CreateContainerConfigError|CreateContainerError|RunContainerError|couldn't find key|secret "[^"]+" not found|configmap "[^"]+" not found/i,
    reason: 'degraded',
    isFatal: true,
    nextStep: () =>
      'The container could not be created: a Secret or ConfigMap it refers to is missing, or the command is not in the image. Create the missing secret (`loco env set`) or fix the command, then deploy again.',
  },
  {
    code: 'quota-exceeded',
    pattern: /exceeded quota|exceeds quota|insufficient quota|must specify limits/i,
    reason: 'rejected',
    isFatal: true,
    nextStep: () =>
      'The namespace quota does not allow this many resources. Lower Replicas, Resources.CPU or Resources.Memory (`loco scale`), or ask the platform operator to raise the workspace quota.',
  },
  {
    code: 'probe-failed',
    pattern: /(Readiness|Liveness|Startup) probe failed|probe failed|Unhealthy/,
    reason: 'degraded',
    isFatal: false,
    nextStep: () =>
      'The health check fails. Check [Health] in loco.toml: Path and Port must be what the app really serves, StartupGracePeriod long enough for it to start, and Timeout/FailThreshold loose enough for a slow dependency; read `loco logs` for errors.',
  },
  {
    code: 'unschedulable',
    pattern: /Unschedulable|Insufficient (cpu|memory)|didn't match Pod's node affinity|nodes are available/,
    reason: 'degraded',
    isFatal: false,
    nextStep: () =>
      'No node has room for the pods. Lower Resources.CPU/Memory or Replicas (`loco scale`), or ask the platform operator for capacity.',
  },
  {
    code: 'project-denied',
    // Argo CD's own wording ("… is not permitted in project …") and Kubernetes RBAC refusing the
    // controller ("is forbidden: User …"); bare "forbidden" or "permission denied" is any app's text.
    pattern: /not permitted in project|not allowed in project|namespace \S+ is not permitted|is forbidden: User|cluster-scoped resource/i,
    reason: 'rejected',
    isFatal: true,
    operationOnly: true,
    nextStep: () =>
      "Argo CD's project for this workspace refuses it: apps may use only the workspace's repository and namespaces, and no cluster-scoped kind but Namespace. Remove the offending resource, or ask the platform operator to grant it (argocd/README.md).",
  },
  {
    code: 'invalid-manifest',
    pattern: /error validating data|ValidationError|is invalid|unknown field|kustomize build|failed to generate manifest|app path does not exist|failed to unmarshal|Namespace for .* is missing/i,
    reason: 'invalid-config',
    isFatal: true,
    nextStep: () =>
      'The manifests in the GitOps repository are invalid. Run `loco render` locally to see the overlay, fix loco.toml (or apps/<app>/overrides.toml), and deploy again.',
  },
  {
    code: 'progress-deadline',
    pattern: /exceeded its progress deadline/,
    reason: 'degraded',
    isFatal: true,
    nextStep: () =>
      'The pods did not become ready within the rollout deadline. Check `loco status` for unhealthy resources and `loco logs` for errors, then deploy again.',
  },
];

/**
 * The first rule whose pattern matches any of the texts (texts in order of preference): for
 * Argo CD's operation and condition messages, which name no resource's health.
 */
export function findCause(texts: (string | undefined)[]): CauseRule | undefined {
  for (const rule of CAUSE_RULES) {
    if (rule.kinds) continue;
    if (texts.some((t) => t !== undefined && rule.pattern.test(t))) return rule;
  }
  return undefined;
}

export interface HealthText {
  kind: string;
  name?: string;
  message: string;
}

/**
 * The cause of the first resource (in order of preference) whose health message a rule
 * explains, rules for its kind first; project denials are never read from health messages.
 */
export function findHealthCause(items: HealthText[]): { rule: CauseRule; item: HealthText } | undefined {
  const own = (r: CauseRule, kind: string) => r.kinds?.includes(kind) ?? false;
  const catchAll = (r: CauseRule) => r.pattern.source === '.';
  for (const item of items) {
    // The kind's exact rules, then the pod rules (a Job's message may carry ImagePullBackOff),
    // then the kind's catch-all, so a Degraded route never gets a pod's next step.
    const order = [
      ...CAUSE_RULES.filter((r) => own(r, item.kind) && !catchAll(r)),
      ...CAUSE_RULES.filter((r) => !r.kinds && !r.operationOnly),
      ...CAUSE_RULES.filter((r) => own(r, item.kind) && catchAll(r)),
    ];
    const rule = order.find((r) => r.pattern.test(item.message) || (catchAll(r) && item.message === ''));
    if (rule) return { rule, item };
  }
  return undefined;
}
