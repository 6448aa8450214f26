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
  | 'progress-deadline';

export interface CauseRule {
  code: CauseCode;
  pattern: RegExp;
  /** The failure reason this cause gives a deployment when it ends it. */
  reason: FailureReason;
  /** A pod stuck on this cause will not recover by waiting: fail after a short grace. */
  isFatal: boolean;
  nextStep: (where: Where) => string;
}

/** What the next step may name: the resource and, when known, its images. */
export interface Where {
  resource?: string;
  images?: string[];
}

const imageText = (w: Where) => (w.images && w.images.length > 0 ? `image ${w.images.join(', ')}` : 'the image');

export const CAUSE_RULES: CauseRule[] = [
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
      'The health check fails. Check HealthCheck in loco.toml: the path and port the app really serves, and an initial delay (in seconds) long enough for it to start; read `loco logs` for errors.',
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
    pattern: /not permitted in project|not allowed in project|is not permitted|permission denied|namespace .* is not permitted|forbidden|cluster-scoped/i,
    reason: 'rejected',
    isFatal: true,
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

/** The first rule whose pattern matches any of the texts (texts in order of preference). */
export function findCause(texts: (string | undefined)[]): CauseRule | undefined {
  for (const rule of CAUSE_RULES) {
    if (texts.some((t) => t !== undefined && rule.pattern.test(t))) return rule;
  }
  return undefined;
}
