// Degraded health of each kind Loco renders, as Argo CD reports it: the status and message its
// health checks derive (gitops-engine pkg/health for Job and HPA; argo-cd
// resource_customizations/<group>/<kind>/health.lua for CronJob, PodDisruptionBudget and the
// Gateway API routes). Written for Loco's resources, modelled on those checks' test data.

export interface DegradedCase {
  name: string;
  kind: string;
  group: string;
  resource: string;
  /** The health message Argo CD puts on the resource. */
  message: string;
  /** What Loco must answer. */
  code: string;
  nextStep: RegExp;
}

export const DEGRADED_CASES: DegradedCase[] = [
  // HPA: the ScalingActive/AbleToScale condition that is False carries the message.
  { name: 'HPA without metrics-server', kind: 'HorizontalPodAutoscaler', group: 'autoscaling', resource: 'shop-frontend', message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)', code: 'autoscaler-metrics', nextStep: /metrics-server.*Resources\.CPU.*Resources\.Scalers\.Enabled = false/ },
  { name: 'HPA whose pods have no CPU request', kind: 'HorizontalPodAutoscaler', group: 'autoscaling', resource: 'shop-frontend', message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container shop-frontend of Pod shop-frontend-6b7c9-qx2lp', code: 'autoscaler-metrics', nextStep: /Resources\.CPU/ },
  { name: 'HPA whose target is missing', kind: 'HorizontalPodAutoscaler', group: 'autoscaling', resource: 'shop-frontend', message: "the HPA controller was unable to get the target's current scale: deployments/scale.apps \"shop-frontend\" not found", code: 'autoscaler-target', nextStep: /HorizontalPodAutoscaler\/shop-frontend cannot find the Deployment/ },
  // HTTPRoute / GRPCRoute: "Parent <gateway>: <message of the False condition>".
  { name: 'HTTPRoute to a Service that does not exist', kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', resource: 'api', message: 'Parent loco-gateway: BackendRef api-svc not found', code: 'route-backend', nextStep: /Routing\.Port/ },
  { name: 'GRPCRoute to a Service that does not exist', kind: 'GRPCRoute', group: 'gateway.networking.k8s.io', resource: 'orders', message: 'Parent loco-gateway: BackendRef orders not found', code: 'route-backend', nextStep: /GRPCRoute\/orders.*Routing\.Port/ },
  { name: 'HTTPRoute to a port the Service lacks', kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', resource: 'api', message: 'Parent loco-gateway: Failed condition: ResolvedRefs', code: 'route-backend', nextStep: /Routing\.Port/ },
  { name: 'HTTPRoute the gateway does not accept', kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', resource: 'api', message: 'Parent loco-gateway: Route has not been accepted due to invalid configuration', code: 'route-refused', nextStep: /Routing\.Subdomain and Routing\.BaseDomain/ },
  { name: 'HTTPRoute whose host no listener allows', kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', resource: 'docs', message: 'Parent loco-gateway: No listener matches the route hostnames', code: 'route-refused', nextStep: /Routing\.Subdomain/ },
  { name: 'GRPCRoute refused with no message', kind: 'GRPCRoute', group: 'gateway.networking.k8s.io', resource: 'orders', message: 'Parent loco-gateway: Failed condition: Accepted', code: 'route-refused', nextStep: /Gateway/ },
  // CronJob (health.lua) and Job (gitops-engine: the Failed condition's message).
  { name: 'CronJob whose last run failed', kind: 'CronJob', group: 'batch', resource: 'report', message: 'CronJob has not completed its last execution successfully', code: 'job-failed', nextStep: /Cron\.Retries.*loco logs/ },
  { name: 'Job that reached its backoff limit', kind: 'Job', group: 'batch', resource: 'report-29410', message: 'Job has reached the specified backoff limit', code: 'job-failed', nextStep: /loco logs/ },
  { name: 'Job stopped at its deadline', kind: 'Job', group: 'batch', resource: 'report-29410', message: 'Job was active longer than specified deadline', code: 'job-deadline', nextStep: /Cron\.Deadline/ },
  // PodDisruptionBudget (health.lua): "PodDisruptionBudget has <reason>" when DisruptionAllowed is False.
  { name: 'PodDisruptionBudget the controller cannot compute', kind: 'PodDisruptionBudget', group: 'policy', resource: 'api', message: 'PodDisruptionBudget has SyncFailed', code: 'disruption-budget', nextStep: /Resources\.Replicas\.Min/ },
];
