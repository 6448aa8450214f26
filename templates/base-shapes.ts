// Base shapes of the Kubernetes objects an app is made of, as plain data. The generator clones
// them and fills in names, labels and profile settings with typed code. Everything here is
// the same for every app of a type; every overlay starts from them (generator/render/base.ts).

/** Name of the one container in every app pod; overlays patch it by this name. */
export const CONTAINER_NAME = 'app';
/** Image name in the base; each overlay's `images:` entry replaces it with the release image. */
export const IMAGE_PLACEHOLDER = 'app-image';
/** Port name of the container and target of the Service. */
export const PORT_NAME = 'http';
/** The Service listens on 80 whatever the container port, so URLs between apps never need one. */
export const SERVICE_PORT = 80;

/** Hardened pod: non-root, no token, RuntimeDefault seccomp, no privilege escalation. */
export const hardenedPodSpec = {
  serviceAccountName: '',
  automountServiceAccountToken: false,
  enableServiceLinks: false,
  securityContext: {
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  },
  containers: [
    {
      name: CONTAINER_NAME,
      image: IMAGE_PLACEHOLDER,
      imagePullPolicy: 'IfNotPresent',
      securityContext: {
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ['ALL'] },
      },
    },
  ],
} as const;

export const deploymentShape = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  spec: {
    revisionHistoryLimit: 5,
    // The tracker reads the rollout's failure from this deadline; Kubernetes' default is 600 s.
    progressDeadlineSeconds: 600,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
  },
} as const;

export const cronJobShape = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  spec: {
    // Placeholder schedule, and suspended: the base alone never runs; each overlay sets both.
    schedule: '0 0 1 1 *',
    suspend: true,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
  },
  jobSpec: { restartPolicy: 'Never' },
} as const;

export const serviceShape = {
  apiVersion: 'v1',
  kind: 'Service',
  spec: { type: 'ClusterIP', ports: [{ name: PORT_NAME, port: SERVICE_PORT, targetPort: PORT_NAME, protocol: 'TCP' }] },
} as const;

export const serviceAccountShape = { apiVersion: 'v1', kind: 'ServiceAccount', automountServiceAccountToken: false } as const;

/** Denies all ingress until the overlay admits the gateway and the workspace. */
export const networkPolicyShape = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  spec: { policyTypes: ['Ingress'], ingress: [] },
} as const;
