// The loco.toml field table: every key users may write, its type, default and documentation.
// Validation, defaults, profile short keys, the JSON Schema (docs/loco.schema.json) and the
// reference page (docs/loco-toml.md) are all derived from this one table.

import { appTypes } from '../../templates/app-types.ts';
import type { AliasField, Field, ProfileField, TableField } from './field-types.ts';
import { checkEgress } from './egress-entry.ts';
import {
  checkAppName,
  checkDomain,
  checkDnsLabel,
  checkEnvNames,
  checkGatewayRef,
  checkGrpcService,
  checkHttpPath,
  checkImageRef,
  checkPathPrefix,
  checkRelativePath,
  checkSchedule,
  checkTimeZone,
} from './formats.ts';

const metadata: TableField = {
  kind: 'table', key: 'Metadata', prop: 'metadata', doc: 'What the app is. Not allowed inside a profile: every profile deploys the same app.',
  fields: [
    { kind: 'integer', key: 'ConfigVersion', prop: 'configVersion', default: 1, min: 1, max: 1, doc: 'Version of the loco.toml format: 1 (the current one, an integer), or the string "0.1" for files of the original loco, read with that format\'s keys and defaults (see "ConfigVersion 0.1" below). Without it the file is version 1.' },
    { kind: 'string', key: 'Name', prop: 'name', check: checkAppName, example: '"orders-api"', pattern: '^(?!.*--)[a-z]([-a-z0-9]*[a-z0-9])?$', doc: 'App name (required): lower-case DNS label without "--", at most 40 characters. Names the Kubernetes objects and the namespace.' },
    { kind: 'string', key: 'Description', prop: 'description', default: '', doc: 'Free text, shown in listings.' },
    { kind: 'enum', key: 'Type', prop: 'type', default: 'SERVICE', enumValues: appTypes.map((t) => t.type), doc: `App type: ${appTypes.map((t) => `${t.type} (${t.summary})`).join('; ')}.` },
  ],
};

const build: TableField = {
  kind: 'table', key: 'Build', prop: 'build', doc: 'Where the image comes from: a Dockerfile to build, or a prebuilt image. Never both.',
  fields: [
    { kind: 'enum', key: 'Type', prop: 'type', enumValues: ['docker', 'image'], default: (c) => (c.spec.build.image ? 'image' : 'docker'), defaultDoc: '"image" when Image is set, else "docker"', doc: '"docker" builds DockerfilePath; "image" deploys Image (or the image given to `loco deploy --image`).' },
    { kind: 'string', key: 'DockerfilePath', prop: 'dockerfilePath', default: 'Dockerfile', check: checkRelativePath, doc: 'Dockerfile to build, relative to loco.toml.' },
    { kind: 'string', key: 'Context', prop: 'context', default: '.', check: (v: string) => (v === '.' ? undefined : checkRelativePath(v)), doc: 'Build context directory, relative to loco.toml.' },
    { kind: 'string', key: 'Image', prop: 'image', default: '', check: checkImageRef, example: '"ghcr.io/acme/api:1.4.2"', doc: 'Prebuilt image to deploy; pin it with `@sha256:` for reproducible deploys. Empty: the image comes from the build.' },
  ],
};

const resources: TableField = {
  kind: 'table', key: 'Resources', prop: 'resources', doc: 'CPU, memory and replica count of each pod.',
  fields: [
    { kind: 'cpu', key: 'CPU', prop: 'cpu', default: '250m', example: '"500m"', doc: 'CPU request per pod (cores or millicores). No CPU limit is set, so pods may burst.' },
    { kind: 'memory', key: 'Memory', prop: 'memory', default: '256Mi', example: '"1Gi"', doc: 'Memory request and limit per pod; needs a unit (Mi, Gi …).' },
    {
      kind: 'table', key: 'Replicas', prop: 'replicas', doc: 'How many pods run (SERVICE and WORKER).',
      fields: [
        { kind: 'integer', key: 'Min', prop: 'min', default: 1, min: 0, max: 100, doc: 'Replicas when not autoscaled; lower bound of the autoscaler. Two or more replicas (or an autoscaler Max of two or more) are spread over zones and nodes (topologySpreadConstraints, ScheduleAnyway) and get a PodDisruptionBudget.' },
        { kind: 'integer', key: 'Max', prop: 'max', default: (c) => Math.max(1, c.spec.resources.replicas.min), defaultDoc: 'Min (at least 1)', min: 1, max: 100, doc: 'Upper bound of the autoscaler; must be >= Min.' },
      ],
    },
    {
      kind: 'table', key: 'Scalers', prop: 'scalers', doc: 'Horizontal autoscaling (HorizontalPodAutoscaler).',
      fields: [
        { kind: 'boolean', key: 'Enabled', prop: 'enabled', default: (c) => c.spec.resources.replicas.max > c.spec.resources.replicas.min, defaultDoc: 'true when Replicas.Max > Replicas.Min', doc: 'Scale between Replicas.Min and Replicas.Max on CPU/memory use.' },
        { kind: 'integer', key: 'CPUTarget', prop: 'cpuTarget', default: 70, min: 0, max: 100, doc: 'Average CPU use (percent of the request) the autoscaler aims for; 0 does not scale on CPU (then MemoryTarget must be set).' },
        { kind: 'integer', key: 'MemoryTarget', prop: 'memoryTarget', default: 0, min: 0, max: 100, doc: 'Average memory use (percent of the request) to aim for; 0 does not scale on memory.' },
      ],
    },
  ],
};

const routing: TableField = {
  kind: 'table', key: 'Routing', prop: 'routing', doc: 'How a SERVICE is reached: port, host name and path on the shared Gateway.',
  fields: [
    { kind: 'integer', key: 'Port', prop: 'port', default: 8080, min: 1, max: 65535, doc: 'Port the container listens on (also given to the app as PORT).' },
    { kind: 'enum', key: 'Protocol', prop: 'protocol', default: 'http', enumValues: ['http', 'grpc'], doc: '"http" makes an HTTPRoute; "grpc" a GRPCRoute (HTTP/2 cleartext to the pod).' },
    { kind: 'string', key: 'Subdomain', prop: 'subdomain', default: (c) => c.spec.metadata.name, defaultDoc: 'the app name', check: checkDnsLabel, doc: 'First label of the host name: `<Subdomain>.<BaseDomain>`.' },
    { kind: 'string', key: 'BaseDomain', prop: 'baseDomain', default: (c) => `${c.profile}.${c.workspace}.loco.localhost`, defaultDoc: '"<profile>.<workspace>.loco.localhost"', check: checkDomain, doc: 'Domain under which the app is published, usually set per profile.' },
    { kind: 'string', key: 'PathPrefix', prop: 'pathPrefix', default: '/', check: checkPathPrefix, doc: 'Only requests under this path reach the app (HTTP only).' },
    { kind: 'duration', key: 'IdleTimeout', prop: 'idleTimeout', default: 60, max: 86_400, doc: 'Close idle backend connections after this long (seconds, or "90s", "5m"); Envoy Gateway BackendTrafficPolicy.' },
    { kind: 'string', key: 'Gateway', prop: 'gateway', default: 'loco-system/loco', check: checkGatewayRef, doc: 'Gateway the route attaches to, as "<namespace>/<name>". Its namespace is also admitted by the NetworkPolicy.' },
    { kind: 'strings', key: 'GrpcServices', prop: 'grpcServices', default: [], check: (v: string[]) => v.map(checkGrpcService).find(Boolean), doc: 'gRPC services routed to the app (fully qualified); empty routes every service on the host.' },
  ],
};

const health: TableField = {
  kind: 'table', key: 'Health', prop: 'health', doc: 'Readiness, liveness and startup probes. Readiness checks every Interval and takes a pod out of service after FailThreshold failures; liveness checks the same path twice as far apart and restarts the pod only after twice as many failures in a row, so a slow dependency takes a pod out of service long before it is restarted.',
  fields: [
    { kind: 'enum', key: 'Kind', prop: 'kind', enumValues: ['http', 'grpc', 'tcp', 'cmd', 'none'], default: (c) => defaultHealthKind(c.spec), defaultDoc: 'SERVICE: "http" or "grpc" after Routing.Protocol; WORKER and CRON: "none"', doc: 'How health is checked: HTTP GET on Path, gRPC health service, TCP connect, a command in the container, or none.' },
    { kind: 'string', key: 'Path', prop: 'path', default: '/', check: checkHttpPath, doc: 'HTTP path for Kind "http"; any 2xx/3xx answer is healthy.' },
    { kind: 'integer', key: 'Port', prop: 'port', default: (c) => c.spec.routing.port, defaultDoc: 'Routing.Port', min: 1, max: 65535, doc: 'Port probed by "http", "grpc" and "tcp".' },
    { kind: 'string', key: 'GrpcService', prop: 'grpcService', default: '', doc: 'Service name sent to the gRPC health check; empty checks the whole server.' },
    { kind: 'strings', key: 'Command', prop: 'command', default: [], doc: 'Command for Kind "cmd" (exit 0 is healthy), e.g. ["/bin/healthcheck", "--quick"].' },
    { kind: 'duration', key: 'Interval', prop: 'interval', default: 10, min: 1, max: 3600, doc: 'Time between checks (seconds, or "10s").' },
    { kind: 'duration', key: 'Timeout', prop: 'timeout', default: 3, min: 1, max: 3600, doc: 'Time a check may take (seconds, or "3s").' },
    { kind: 'duration', key: 'StartupGracePeriod', prop: 'startupGracePeriod', default: 30, max: 300, doc: 'Time a starting pod has to become healthy before it is restarted (startup probe); at most 300 s; 0 disables the startup probe.' },
    { kind: 'integer', key: 'FailThreshold', prop: 'failThreshold', default: 3, min: 1, max: 100, doc: 'Failed checks in a row before a pod is taken out of service (readiness); liveness restarts it after twice as many, checked twice as far apart.' },
  ],
};

const env: TableField = {
  kind: 'table', key: 'Env', prop: 'env', doc: 'Environment of the container. Plain values go into a ConfigMap in the GitOps repository; secrets never do.',
  fields: [
    { kind: 'string', key: 'File', prop: 'file', default: '', check: (v: string) => (v === '' ? undefined : checkRelativePath(v)), doc: 'A dotenv file (KEY=value lines) next to loco.toml, read by the CLI at deploy time; [Env.Variables] wins over it. No secrets in it.' },
    { kind: 'env-map', key: 'Variables', prop: 'variables', default: {}, doc: 'Plain variables, NAME = "value" (numbers and booleans are written as text). Names that look like secrets (containing SECRET, PASSWORD, PASSWD, TOKEN, PRIVATE_KEY, CREDENTIAL, API_KEY, ACCESS_KEY … anywhere, e.g. AWS_SECRET_ACCESS_KEY) are refused: use Secrets, or list the name in NotSecret.' },
    { kind: 'strings', key: 'NotSecret', prop: 'notSecret', default: [], check: checkEnvNames, example: '["TOKEN_URL", "MAX_TOKENS"]', doc: 'Names in Variables or File that look like secrets but are not (a URL, a limit): they are written in plain text. A profile\'s list replaces the top level\'s.' },
    { kind: 'secret-map', key: 'Secrets', prop: 'secrets', default: {}, doc: 'Variables read from Secrets: NAME = "<secret>/<key>" of an existing Kubernetes Secret in the app\'s namespace (becomes secretKeyRef), or NAME = { Store = "aws-ssm", Key = "/prod/db/password" } (optionally Property = "<field of a JSON value>") for a key of one of the platform\'s secret stores (LOCO_SECRET_STORES): an ExternalSecret (external-secrets.io/v1) against that ClusterSecretStore makes the Secret. Values set with loco secrets set are sealed and need no entry here.' },
  ],
};

const network: TableField = {
  kind: 'table', key: 'Network', prop: 'network', doc: 'Where the app\'s pods may connect to.',
  fields: [
    { kind: 'strings', key: 'Egress', prop: 'egress', default: ['*'], check: checkEgress, example: '["10.0.0.0/8:5432", "api.stripe.com:443"]', doc: 'Outbound connections allowed besides DNS and the workspace\'s own apps: "<CIDR or IP>[:port][/udp]" or "<host>[:port][/udp]" (a leading "*." matches subdomains). Anything else is denied by a NetworkPolicy. Host names need Cilium (the platform\'s LOCO_CNI=cilium; a CiliumNetworkPolicy with toFQDNs) and are refused otherwise. The default "*" leaves egress open; [] allows only DNS and the workspace.' },
  ],
};

const cron: TableField = {
  kind: 'table', key: 'Cron', prop: 'cron', doc: 'Schedule of a CRON app.',
  fields: [
    { kind: 'string', key: 'Schedule', prop: 'schedule', default: '', check: (v: string) => (v === '' ? undefined : checkSchedule(v)), example: '"*/15 * * * *"', doc: 'When the job runs: five cron fields or @hourly/@daily/@weekly/@monthly/@yearly. Required for CRON.' },
    { kind: 'string', key: 'TimeZone', prop: 'timeZone', default: 'UTC', check: checkTimeZone, doc: 'IANA time zone of the schedule.' },
    { kind: 'enum', key: 'ConcurrencyPolicy', prop: 'concurrencyPolicy', default: 'Forbid', enumValues: ['Forbid', 'Allow', 'Replace'], doc: 'What happens when a run is due while the previous one still runs.' },
    { kind: 'integer', key: 'Retries', prop: 'retries', default: 2, min: 0, max: 10, doc: 'Retries of a failed run (Job backoffLimit).' },
    { kind: 'duration', key: 'Deadline', prop: 'deadline', default: 3600, min: 1, max: 604_800, doc: 'A run still going after this long is stopped (seconds, or "30m").' },
  ],
};

const obs: TableField = {
  kind: 'table', key: 'Obs', prop: 'obs', doc: 'Observability: logging, metrics, tracing.',
  fields: [
    {
      kind: 'table', key: 'Logging', prop: 'logging', doc: 'Passed to the app as LOG_LEVEL and LOG_FORMAT.',
      fields: [
        { kind: 'enum', key: 'Level', prop: 'level', default: 'info', enumValues: ['debug', 'info', 'warn', 'error'], doc: 'Log level.' },
        { kind: 'enum', key: 'Format', prop: 'format', default: 'json', enumValues: ['json', 'text'], doc: 'Log format.' },
        { kind: 'boolean', key: 'Enabled', prop: 'enabled', default: true, doc: 'Collect the logs; false adds `fluentbit.io/exclude: "true"` so Fluent Bit skips the pods.' },
        { kind: 'string', key: 'RetentionPeriod', prop: 'retentionPeriod', default: '', check: (v: string) => (v === '' || /^\d+[dhm]$/.test(v) ? undefined : [`"${v}" is not a retention period`, 'write days or hours, e.g. "7d" or "72h"']), doc: 'How long the log pipeline keeps the logs ("7d", "72h"), as pod label `loco.dev/log-retention`; empty: the pipeline\'s own default.' },
      ],
    },
    {
      kind: 'table', key: 'Metrics', prop: 'metrics', doc: 'Prometheus scraping: a PodMonitor (monitoring.coreos.com/v1, for the Prometheus Operator) on the metrics port, the prometheus.io/scrape, /path and /port pod annotations, and a NetworkPolicy rule admitting the `monitoring` namespace (where kube-prometheus-stack runs Prometheus) to that port only.',
      fields: [
        { kind: 'boolean', key: 'Enabled', prop: 'enabled', default: false, doc: 'Let Prometheus scrape the pods (renders podmonitor.yaml).' },
        { kind: 'string', key: 'Path', prop: 'path', default: '/metrics', check: checkHttpPath, doc: 'Metrics path.' },
        { kind: 'integer', key: 'Port', prop: 'port', default: (c) => c.spec.routing.port, defaultDoc: 'Routing.Port', min: 1, max: 65535, doc: 'Metrics port; when it is not Routing.Port the container declares it as port `metrics`.' },
      ],
    },
    {
      kind: 'table', key: 'Tracing', prop: 'tracing', doc: 'OpenTelemetry tracing, configured through the standard OTEL_* variables.',
      fields: [
        { kind: 'boolean', key: 'Enabled', prop: 'enabled', default: false, doc: 'Export traces.' },
        { kind: 'string', key: 'Endpoint', prop: 'endpoint', default: '', defaultDoc: 'the platform\'s LOCO_OTLP_ENDPOINT, else "http://otel-collector.loco-system:4317"', check: (v: string) => (v === '' || /^https?:\/\/[^\s]+$/.test(v) ? undefined : [`"${v}" is not an http(s) URL`, 'write e.g. "http://otel-collector.observability:4317"']), doc: 'OTLP endpoint.' },
        { kind: 'number', key: 'SampleRate', prop: 'sampleRate', default: 0.1, min: 0, max: 1, doc: 'Share of traces kept, 0 to 1.' },
        { kind: 'string-map', key: 'Tags', prop: 'tags', default: {}, doc: 'Resource attributes of every span, name = "value"; sent in OTEL_RESOURCE_ATTRIBUTES with loco.workspace, loco.app and deployment.environment (the profile).' },
      ],
    },
  ],
};

function defaultHealthKind(spec: Record<string, any>): string {
  const t = appTypes.find((a) => a.type === spec.metadata.type);
  if (!t || t.defaultHealth === 'none') return 'none';
  return spec.routing.protocol === 'grpc' ? 'grpc' : 'http';
}

/** Sections that a profile may override (all but Metadata). */
export const profileSections: readonly TableField[] = [build, resources, routing, health, env, network, cron, obs];

/** Root of loco.toml (Profile is handled beside it: a map of profile name → profile table). */
export const rootFields: readonly Field[] = [metadata, ...profileSections];

/** Short keys inside `[Profile.<name>]`. */
export const profileAliases: readonly AliasField[] = [
  { kind: 'alias', key: 'CPU', target: ['Resources', 'CPU'], doc: 'Resources.CPU' },
  { kind: 'alias', key: 'Memory', target: ['Resources', 'Memory'], doc: 'Resources.Memory' },
  { kind: 'alias', key: 'BaseDomain', target: ['Routing', 'BaseDomain'], doc: 'Routing.BaseDomain' },
  { kind: 'alias', key: 'Replicas', target: ['Resources', 'Replicas'], doc: 'Resources.Replicas (Replicas.Min, Replicas.Max)' },
];

export const profileFields: readonly ProfileField[] = [...profileSections, ...profileAliases];

/** Keys of the overrides file (apps/<app>/overrides.toml), inside `[Profile.<name>]`. */
export const overrideFields: readonly Field[] = [
  { ...resources, fields: resources.fields.filter((f) => f.key !== 'Scalers') },
  { ...env, fields: env.fields.filter((f) => f.key === 'Variables') },
];

/** Finds the field at a canonical PascalCase path, e.g. ['Resources', 'Replicas']. */
export function fieldAt(path: readonly string[], fields: readonly Field[] = rootFields): Field | undefined {
  let current: readonly Field[] = fields;
  let found: Field | undefined;
  for (const key of path) {
    found = current.find((f) => f.key === key);
    if (!found) return undefined;
    current = found.kind === 'table' ? found.fields : [];
  }
  return found;
}
