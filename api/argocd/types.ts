// The parts of Argo CD's API objects that Loco reads (shapes from the contract
// ../shared/contracts/argocd-swagger.json, v3.5.1), and their validation at the boundary:
// a response that lacks what the tracker relies on becomes a clear upstream error here
// instead of an `undefined` deep inside the outcome rules.

import { LocoError } from '../../generator/errors.ts';

export interface HealthStatus {
  status?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** Which Kubernetes object an Argo CD resource entry is about. */
export interface ResourceKey {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
}

export interface ResourceResult extends ResourceKey {
  status?: string;
  message?: string;
  hookPhase?: string;
  syncPhase?: string;
}

export interface OperationState {
  phase?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  retryCount?: number;
  operation?: Operation;
  syncResult?: { revision?: string; resources?: ResourceResult[] };
}

export interface Operation {
  sync?: { revision?: string; prune?: boolean; syncOptions?: string[] };
  initiatedBy?: { automated?: boolean; username?: string };
}

export interface ResourceStatus extends ResourceKey {
  status?: string;
  health?: HealthStatus;
}

export interface Application {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: { project?: string; source?: { repoURL?: string; path?: string; targetRevision?: string }; destination?: { namespace?: string; server?: string } };
  operation?: Operation;
  status?: {
    sync?: { status?: string; revision?: string };
    health?: HealthStatus;
    operationState?: OperationState;
    reconciledAt?: string;
    conditions?: { type?: string; message?: string; lastTransitionTime?: string }[];
    resources?: ResourceStatus[];
    history?: { id?: number; revision?: string; deployedAt?: string }[];
    summary?: { images?: string[] };
  };
}

export interface ResourceNode extends ResourceKey {
  uid?: string;
  parentRefs?: { kind?: string; name?: string; namespace?: string; group?: string; uid?: string }[];
  info?: { name?: string; value?: string }[];
  health?: HealthStatus;
  images?: string[];
  createdAt?: string;
}

export interface ApplicationTree {
  nodes?: ResourceNode[];
  orphanedNodes?: ResourceNode[];
}

export interface WatchEvent {
  type: string;
  application: Application;
}

export interface LogEntry {
  content?: string;
  podName?: string;
  timeStampStr?: string;
  last?: boolean;
}

export interface StreamError {
  grpc_code?: number;
  http_code?: number;
  message?: string;
  http_status?: string;
}

type Check = (value: unknown, path: string, problems: string[]) => void;

const str: Check = (v, p, out) => {
  if (v !== undefined && v !== null && typeof v !== 'string') out.push(`${p} is not a string`);
};
const num: Check = (v, p, out) => {
  if (v !== undefined && v !== null && typeof v !== 'number') out.push(`${p} is not a number`);
};
const bool: Check = (v, p, out) => {
  if (v !== undefined && v !== null && typeof v !== 'boolean') out.push(`${p} is not a boolean`);
};
function obj(fields: Record<string, Check>, required: string[] = []): Check {
  return (v, p, out) => {
    if (v === undefined || v === null) {
      if (required.length > 0) out.push(`${p} is missing`);
      return;
    }
    if (typeof v !== 'object' || Array.isArray(v)) return void out.push(`${p} is not an object`);
    const o = v as Record<string, unknown>;
    for (const key of required) if (o[key] === undefined || o[key] === null) out.push(`${p}.${key} is missing`);
    for (const [key, check] of Object.entries(fields)) check(o[key], `${p}.${key}`, out);
  };
}
function arr(item: Check): Check {
  return (v, p, out) => {
    if (v === undefined || v === null) return;
    if (!Array.isArray(v)) return void out.push(`${p} is not an array`);
    v.forEach((x, i) => item(x, `${p}[${i}]`, out));
  };
}
const ref = { group: str, version: str, kind: str, namespace: str, name: str };
const health = obj({ status: str, message: str, lastTransitionTime: str });
const operation = obj({
  sync: obj({ revision: str, prune: bool, syncOptions: arr(str) }),
  initiatedBy: obj({ automated: bool, username: str }),
});
const application = obj(
  {
    metadata: obj({ name: str, namespace: str, resourceVersion: str }, ['name']),
    spec: obj({ project: str, destination: obj({ namespace: str, server: str }) }),
    operation,
    status: obj({
      sync: obj({ status: str, revision: str }),
      health,
      reconciledAt: str,
      operationState: obj({
        phase: str,
        message: str,
        startedAt: str,
        finishedAt: str,
        retryCount: num,
        operation,
        syncResult: obj({ revision: str, resources: arr(obj({ ...ref, status: str, message: str })) }),
      }),
      conditions: arr(obj({ type: str, message: str })),
      resources: arr(obj({ ...ref, status: str, health })),
      history: arr(obj({ id: num, revision: str, deployedAt: str })),
    }),
  },
  ['metadata'],
);
const node = obj({ ...ref, uid: str, info: arr(obj({ name: str, value: str })), health, parentRefs: arr(obj(ref)) });
const tree = obj({ nodes: arr(node), orphanedNodes: arr(node) });
const watchEvent = obj({ type: str, application }, ['type', 'application']);
const logEntry = obj({ content: str, podName: str, timeStampStr: str, last: bool });

function parseWith<T>(check: Check, what: string, value: unknown): T {
  const problems: string[] = [];
  if (value === null || typeof value !== 'object') problems.push(`${what} is not a JSON object`);
  else check(value, what, problems);
  if (problems.length > 0) {
    throw new LocoError(
      'upstream.argocd-response',
      `Argo CD sent an unexpected ${what}: ${problems.slice(0, 3).join('; ')}`,
      'check that LOCO_ARGOCD_URL points at an Argo CD API server (v2.8 or later)',
      { data: { problems } },
    );
  }
  return value as T;
}

export const parseApplication = (v: unknown): Application => parseWith(application, 'Application', v);
export const parseApplicationTree = (v: unknown): ApplicationTree => parseWith(tree, 'ApplicationTree', v);
export const parseWatchEvent = (v: unknown): WatchEvent => parseWith(watchEvent, 'ApplicationWatchEvent', v);
export const parseLogEntry = (v: unknown): LogEntry => parseWith(logEntry, 'LogEntry', v);
