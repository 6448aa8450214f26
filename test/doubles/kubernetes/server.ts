// A Kubernetes API server double (node:http on 127.0.0.1, random port) for what the deploy
// preflight reads: GET /api/v1/nodes and GET /api/v1/namespaces/{ns}/resourcequotas, with
// bearer-token auth (a wrong token answers 401 with a Status, as the real API server does).
// Nodes and quotas are scripted; every body is checked (contract.ts) before it is sent, and a
// violation answers 500 and is listed in `violations`. It writes a kubeconfig that points at it
// (plain http, insecure-skip-tls-verify, token): what LOCO_KUBECONFIG names in a test.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { modelProblems, quotaProblems } from './contract.ts';

export interface NodeScript {
  name: string;
  /** Allocatable CPU and memory as quantities ('2', '3500m'; '8Gi', '16283820Ki'); capacity is reported the same. */
  cpu: string;
  memory: string;
  /** Default true; false reports Ready=False (kubelet stopped posting status). */
  ready?: boolean;
  /** Cordoned (`kubectl cordon`). */
  unschedulable?: boolean;
}

export interface QuotaScript {
  name: string;
  hard: Record<string, string>;
  used?: Record<string, string>;
  scopes?: string[];
}

export type Shape = 'NodeList' | 'ResourceQuotaList' | 'Status';

export interface KubernetesDoubleOptions {
  nodes?: NodeScript[];
  /** ResourceQuotas by namespace. */
  quotas?: Record<string, QuotaScript[]>;
  token?: string;
  /** Rewrites a body before the contract check: lets a test make the double drift from the contract. */
  tamper?: (shape: Shape, body: any) => unknown;
}

export interface KubernetesCall {
  method: string;
  path: string;
  status: number;
}

export interface KubernetesDouble {
  url: string;
  token: string;
  setNodes(nodes: NodeScript[]): void;
  setQuotas(namespace: string, quotas: QuotaScript[]): void;
  calls: KubernetesCall[];
  violations: string[];
  stop(): Promise<void>;
}

/** A kubeconfig file for `server` with token auth; plain http is allowed through insecure-skip-tls-verify. */
export async function writeKubeconfig(path: string, server: string, token: string): Promise<string> {
  await writeFile(path, stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'double', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'loco', user: { token } }],
    contexts: [{ name: 'double', context: { cluster: 'double', user: 'loco', namespace: 'default' } }],
    'current-context': 'double',
  }), { mode: 0o600 });
  return path;
}

const CREATED = '2025-01-06T09:00:00Z';
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function nodeObject(n: NodeScript, version: number): Record<string, unknown> {
  const ready = n.ready ?? true;
  const heartbeat = now();
  // the taints the node controllers add for a cordoned and for an unreachable node
  const taints = [
    ...(n.unschedulable ? [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: CREATED }] : []),
    ...(!ready ? [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: heartbeat }] : []),
  ];
  const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, lastHeartbeatTime: heartbeat, lastTransitionTime: CREATED, reason, message });
  return {
    metadata: {
      name: n.name,
      uid: randomUUID(),
      resourceVersion: String(version),
      creationTimestamp: CREATED,
      labels: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/worker': '' },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      podCIDR: '10.244.1.0/24',
      podCIDRs: ['10.244.1.0/24'],
      providerID: `kind://docker/loco/${n.name}`,
      ...(n.unschedulable ? { unschedulable: true } : {}),
      ...(taints.length ? { taints } : {}),
    },
    status: {
      capacity: { cpu: n.cpu, memory: n.memory, pods: '110', 'ephemeral-storage': '102626232Ki', 'hugepages-2Mi': '0' },
      allocatable: { cpu: n.cpu, memory: n.memory, pods: '110', 'ephemeral-storage': '102626232Ki', 'hugepages-2Mi': '0' },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : condition('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'),
      ],
      addresses: [{ type: 'InternalIP', address: '172.18.0.2' }, { type: 'Hostname', address: n.name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: 'c1a6f6e0b7f94c1a9d0e8f1e2d3c4b5a', systemUUID: 'c1a6f6e0-b7f9-4c1a-9d0e-8f1e2d3c4b5a', bootID: randomUUID(),
        kernelVersion: '6.8.0-45-generic', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.18',
        kubeletVersion: 'v1.30.10', kubeProxyVersion: 'v1.30.10', operatingSystem: 'linux', architecture: 'amd64',
      },
    },
  };
}

function quotaObject(namespace: string, q: QuotaScript, version: number): Record<string, unknown> {
  const used = Object.fromEntries(Object.keys(q.hard).map((k) => [k, q.used?.[k] ?? '0']));
  return {
    metadata: { name: q.name, namespace, uid: randomUUID(), resourceVersion: String(version), creationTimestamp: CREATED },
    spec: { hard: { ...q.hard }, ...(q.scopes ? { scopes: [...q.scopes] } : {}) },
    status: { hard: { ...q.hard }, used },
  };
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const QUOTAS = /^\/api\/v1\/namespaces\/([a-z0-9-]+)\/resourcequotas$/;

export async function startKubernetesDouble(options: KubernetesDoubleOptions = {}): Promise<KubernetesDouble & { writeKubeconfig(path: string, token?: string): Promise<string> }> {
  const token = options.token ?? `double-${randomBytes(12).toString('hex')}`;
  let nodes = options.nodes ?? [];
  const quotas = new Map(Object.entries(options.quotas ?? {}));
  const calls: KubernetesCall[] = [];
  const violations: string[] = [];
  let version = 1000;

  const send = (res: ServerResponse, code: number, shape: Shape, body: Record<string, unknown>) => {
    const sent = options.tamper ? options.tamper(shape, structuredClone(body)) : body;
    const problems = [...modelProblems(sent, `V1${shape}`)];
    if (shape === 'ResourceQuotaList') ((sent as { items?: unknown[] }).items ?? []).forEach((q, i) => problems.push(...quotaProblems(q, `ResourceQuotaList.items[${i}]`)));
    if (problems.length) {
      violations.push(...problems);
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status(500, 'InternalError', `double contract violation: ${problems[0]}`)));
      return 500;
    }
    res.writeHead(code, { 'content-type': 'application/json', 'audit-id': randomUUID() });
    res.end(JSON.stringify(sent));
    return code;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): number => {
    const path = new URL(req.url ?? '/', 'http://double').pathname;
    if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, 'Status', status(401, 'Unauthorized', 'Unauthorized'));
    if (req.method !== 'GET') return send(res, 405, 'Status', status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    version += 1;
    if (path === '/api/v1/nodes') {
      return send(res, 200, 'NodeList', { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: String(version) }, items: nodes.map((n) => nodeObject(n, version)) });
    }
    const quota = QUOTAS.exec(path);
    if (quota) {
      // Listing in a namespace that does not exist yet is an empty list, not a 404 (a first deploy).
      const items = (quotas.get(quota[1]) ?? []).map((q) => quotaObject(quota[1], q, version));
      return send(res, 200, 'ResourceQuotaList', { kind: 'ResourceQuotaList', apiVersion: 'v1', metadata: { resourceVersion: String(version) }, items });
    }
    return send(res, 404, 'Status', status(404, 'NotFound', 'the server could not find the requested resource'));
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://double').pathname;
    const code = handle(req, res);
    calls.push({ method: req.method ?? 'GET', path, status: code });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    token,
    calls,
    violations,
    setNodes(next) {
      nodes = next;
    },
    setQuotas(namespace, next) {
      quotas.set(namespace, next);
    },
    writeKubeconfig: (path, as = token) => writeKubeconfig(path, url, as),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
