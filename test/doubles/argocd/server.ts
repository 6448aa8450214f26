// An Argo CD API server double (node:http on 127.0.0.1, random port) for the endpoints Loco
// uses: get/refresh, resource tree, watch stream, pod logs. It reads the workspace's real bare
// repository, builds overlays with real `kubectl kustomize`, runs each app as the scripted
// Scenario says, and checks every body it sends against the Argo CD swagger (contract.ts).
// Usage: test/doubles/argocd/README.md.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { argoApplicationName, namespaceFor } from '../../../generator/names.ts';
import { contractProblems, type ContractShape } from './contract.ts';
import { buildOverlay, headOf, overlaysAt, repoExists } from './repo.ts';
import { appHealth, newModel, rfc3339, toApplication, toTree, type AppModel, type Scenario } from './simulation.ts';

export type { Scenario, Outcome } from './simulation.ts';

export interface ArgoCdDoubleOptions {
  /** Bare repository of a workspace slug (may not exist: then the workspace has no apps). */
  repoPath: (slug: string) => string;
  /** Token the double accepts (default: random). */
  token?: string;
  /** Scenario for apps without one of their own (default: healthy). */
  scenario?: Scenario;
  branch?: string;
  /** Check every response against the swagger (default true). */
  validate?: boolean;
  /** Rewrites each body before the contract check: lets a test make the double drift from the contract. */
  tamper?: (shape: ContractShape, body: unknown) => unknown;
}

export interface ArgoCdCall {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  at: number;
}

export interface HealthChange {
  application: string;
  health: string;
  /** performance.now() when the double changed it */
  at: number;
}

export interface ArgoCdDouble {
  url: string;
  token: string;
  /** Scenario for one Application (by its full name) from its next reconcile on. */
  setScenario(application: string, scenario: Scenario): void;
  calls: ArgoCdCall[];
  /** Contract violations in what the double sent; a passing test expects none. */
  violations: string[];
  onHealthChange(listener: (change: HealthChange) => void): void;
  stop(): Promise<void>;
}

class HttpProblem extends Error {
  readonly status: number;
  readonly grpc: number;
  constructor(status: number, grpc: number, message: string) {
    super(message);
    this.status = status;
    this.grpc = grpc;
  }
}

export async function startArgoCdDouble(options: ArgoCdDoubleOptions): Promise<ArgoCdDouble> {
  const token = options.token ?? `double-${randomBytes(12).toString('hex')}`;
  const branch = options.branch ?? 'main';
  const validate = options.validate ?? true;
  const scenarios = new Map<string, Scenario>();
  const models = new Map<string, AppModel>();
  const watchers = new Map<string, Set<(line: object) => void>>();
  const drops = new Map<string, number>();
  /** Rollouts held back until the scripted stream cuts are done (see rollOut). */
  const afterDrops = new Map<string, () => void>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const listeners: ((c: HealthChange) => void)[] = [];
  const calls: ArgoCdCall[] = [];
  const violations: string[] = [];
  const scenarioOf = (name: string): Scenario => ({ ...(options.scenario ?? {}), ...(scenarios.get(name) ?? {}) });

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  /**
   * The text to send for `body`, once it meets the contract. Call it before writing anything:
   * a violation is recorded and thrown, so the request answers 500 with the violation instead
   * of a 200 carrying a body Argo CD would never send.
   */
  function checked(shape: ContractShape, body: unknown): string {
    const sent = options.tamper ? options.tamper(shape, body) : body;
    if (validate) {
      const problems = contractProblems(shape, sent);
      if (problems.length > 0) {
        violations.push(...problems);
        throw new Error(`Argo CD double broke the contract: ${problems.join('; ')}`);
      }
    }
    return JSON.stringify(sent);
  }

  /**
   * The last line of a stream whose head is already sent: the error line grpc-gateway ends a
   * broken stream with (Loco's client turns it into an error). Checked too, but only recorded:
   * nothing is left to throw to.
   */
  function streamError(message: string): string {
    const line = { error: { grpc_code: 13, http_code: 500, http_status: 'Internal Server Error', message } };
    if (validate) violations.push(...contractProblems('watchLine', line));
    return JSON.stringify(line);
  }

  /** Publishes a change: new resourceVersion, MODIFIED to watchers, health change to listeners. */
  function changed(m: AppModel) {
    m.resourceVersion += 1;
    const health = appHealth(m);
    if (health !== m.health) {
      m.health = health;
      m.healthTime = rfc3339(Date.now());
      const change = { application: m.name, health, at: performance.now() };
      for (const l of listeners) l(change);
    }
    const line = { result: { type: 'MODIFIED', application: toApplication(m) } };
    for (const send of watchers.get(m.name) ?? []) send(line);
  }

  /** The ApplicationSet's view: an app exists while its overlay directory is on the branch. */
  async function resolve(name: string): Promise<AppModel | undefined> {
    const known = models.get(name);
    if (known) return known;
    for (let i = name.indexOf('-'); i > 0; i = name.indexOf('-', i + 1)) {
      const slug = name.slice(0, i);
      const repo = options.repoPath(slug);
      if (!repoExists(repo)) continue;
      const head = await headOf(repo, branch);
      if (!head) continue;
      for (const { app, profile } of await overlaysAt(repo, head)) {
        if (argoApplicationName(slug, app, profile) !== name) continue;
        const model = newModel({ name, slug, app, profile, namespace: namespaceFor(slug, app, profile), repoUrl: `file://${repo}` }, Date.now());
        models.set(name, model);
        return model;
      }
    }
    return undefined;
  }

  /** A refresh: compare with the branch head; a new revision starts the automated sync. */
  async function reconcile(m: AppModel) {
    const repo = options.repoPath(m.slug);
    const head = await headOf(repo, branch);
    const now = Date.now();
    if (!head || head === m.revision) {
      m.reconciledAt = rfc3339(now);
      return changed(m);
    }
    const scenario = scenarioOf(m.name);
    m.revision = head;
    m.reconciledAt = rfc3339(now);
    try {
      if (scenario.outcome === 'comparison-error') throw new Error('`kustomize build <path to cached source>/apps/x` failed exit status 1: Error: accumulating resources: missing Resource metadata');
      m.objects = await buildOverlay(repo, head, m.app, m.profile);
    } catch (error) {
      m.syncStatus = 'Unknown';
      m.conditions = [{ type: 'ComparisonError', message: `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = ${(error as Error).message}`, lastTransitionTime: rfc3339(now) }];
      return changed(m);
    }
    m.conditions = [];
    m.syncStatus = 'OutOfSync';
    m.operation = { sync: { revision: head, prune: true, syncOptions: ['CreateNamespace=true'] }, initiatedBy: { automated: true }, retry: {} };
    m.operationState = { operation: m.operation, phase: 'Running', message: 'waiting for healthy state of apps/Deployment', startedAt: rfc3339(now), syncResult: { revision: head, resources: [] } };
    changed(m);
    later(scenario.syncMs ?? 20, () => finishSync(m, head, scenario));
  }

  function finishSync(m: AppModel, revision: string, scenario: Scenario) {
    if (m.revision !== revision) return; // superseded by a newer reconcile
    const now = Date.now();
    const results = m.objects.map((o) => ({
      ...(o.group ? { group: o.group } : {}),
      version: o.version,
      kind: o.kind,
      namespace: o.namespace ?? m.namespace,
      name: o.name,
      status: 'Synced',
      message: `${o.kind.toLowerCase()}${o.group ? `.${o.group}` : ''}/${o.name} configured`,
      hookPhase: 'Running',
      syncPhase: 'Sync',
    }));
    m.operation = undefined;
    if (scenario.outcome === 'sync-failed') {
      const message = scenario.syncErrorMessage ?? 'error validating data: ValidationError(Deployment.spec.template.spec.containers[0]): unknown field "imagePullPolicyy" in io.k8s.api.core.v1.Container';
      const failed = results.find((r) => r.kind === 'Deployment') ?? results[0];
      if (failed) Object.assign(failed, { status: 'SyncFailed', message, hookPhase: 'Failed' });
      m.operationState = { ...m.operationState, phase: 'Failed', message: `one or more objects failed to apply, reason: ${message}`, finishedAt: rfc3339(now), syncResult: { revision, resources: results } };
      m.conditions = [{ type: 'SyncError', message: `Failed last sync attempt to [${revision}]: one or more objects failed to apply, reason: ${message}`, lastTransitionTime: rfc3339(now) }];
      return changed(m);
    }
    m.operationState = { ...m.operationState, phase: 'Succeeded', message: 'successfully synced (all tasks run)', finishedAt: rfc3339(now), syncResult: { revision, resources: results } };
    m.syncStatus = 'Synced';
    m.reconciledAt = rfc3339(now);
    m.pods = 'creating';
    m.deploymentDegraded = false;
    m.history.push({ id: m.history.length, revision, deployedAt: rfc3339(now), deployStartedAt: m.operationState.startedAt, initiatedBy: { automated: true } });
    changed(m);
    later(scenario.healthyAfterMs ?? 50, () => rollOut(m, revision, scenario, scenario.flaps ?? 1));
  }

  function rollOut(m: AppModel, revision: string, scenario: Scenario, flapsLeft: number) {
    if (m.revision !== revision) return;
    if (scenario.dropStreamAfterLines !== undefined && (drops.get(m.name) ?? scenario.dropStreamTimes ?? 1) > 0) {
      afterDrops.set(m.name, () => rollOut(m, revision, scenario, flapsLeft));
      return;
    }
    const outcome = scenario.outcome ?? 'healthy';
    // Pod-only changes do not touch the Application (its health comes from the Deployment),
    // so they reach the tracker through the resource tree, as with the real Argo CD.
    if (outcome === 'image-pull-backoff') return void (m.pods = 'image-pull');
    if (outcome === 'crash-loop') return void (m.pods = 'crash');
    if (outcome === 'oom-killed') return void (m.pods = 'oom');
    if (outcome === 'stuck') return;
    if (outcome === 'degraded') {
      m.pods = 'crash';
      m.deploymentDegraded = true;
      return changed(m);
    }
    m.pods = 'running';
    changed(m);
    if (outcome === 'flap' && flapsLeft > 0) {
      later(scenario.flapMs ?? 30, () => {
        if (m.revision !== revision) return;
        m.pods = 'creating';
        changed(m);
        later(scenario.flapMs ?? 30, () => rollOut(m, revision, scenario, flapsLeft - 1));
      });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<number> {
    const scenarioFor = (name: string) => scenarioOf(name);
    const auth = req.headers.authorization;
    if (!auth) throw new HttpProblem(401, 16, 'no session information');
    if (auth !== `Bearer ${token}`) throw new HttpProblem(401, 16, 'invalid session: token signature is invalid');
    if (req.method !== 'GET' && !String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      res.writeHead(415, { 'content-type': 'text/plain' }).end('Invalid content type');
      return 415;
    }
    if (req.method !== 'GET') throw new HttpProblem(404, 5, 'Not Found');
    const project = query.get('project') ?? query.get('projects') ?? undefined;
    const missing = (name: string) =>
      project
        ? new HttpProblem(404, 5, `applications.argoproj.io "${name}" not found`)
        : new HttpProblem(403, 7, `permission denied: applications, get, ${name}, sub: loco, iat: ${new Date().toISOString()}`);
    const found = async (name: string) => {
      const m = await resolve(name);
      if (!m || (project && project !== m.slug)) throw missing(name);
      return m;
    };

    if (path === '/api/v1/stream/applications') {
      const name = query.get('name') ?? '';
      if (scenarioFor(name).streamUnavailable) throw new HttpProblem(503, 14, 'streaming is not available');
      const m = await resolve(name);
      await delay(scenarioFor(name).latencyMs);
      // The ADDED line is checked before the head goes out, so a violation there still answers 500.
      const added = m && (!project || project === m.slug) ? checked('watchLine', { result: { type: 'ADDED', application: toApplication(m) } }) : undefined;
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      let sent = 0;
      const dropAfter = scenarioFor(name).dropStreamAfterLines;
      const willDrop = dropAfter !== undefined && (drops.get(name) ?? scenarioFor(name).dropStreamTimes ?? 1) > 0;
      const writeLine = (text: string) => {
        res.write(text + '\n');
        sent += 1;
        if (willDrop && sent === dropAfter) {
          drops.set(name, (drops.get(name) ?? scenarioFor(name).dropStreamTimes ?? 1) - 1);
          res.socket?.end(); // a proxy cutting the connection: no error line, no final chunk
        }
      };
      const set = watchers.get(name) ?? new Set();
      // Later lines are published from a refresh or a timer: a violation must end this stream,
      // not throw into whoever published the change.
      const send = (line: object) => {
        let text: string;
        try {
          text = checked('watchLine', line);
        } catch (error) {
          set.delete(send);
          res.end(streamError((error as Error).message) + '\n');
          return;
        }
        writeLine(text);
      };
      watchers.set(name, set);
      set.add(send);
      res.on('close', () => set.delete(send));
      if (added) writeLine(added);
      // The first connection after the last scripted cut lets a held rollout go on, so the
      // outcome cannot arrive before every cut has happened, however slow the machine.
      if (!willDrop) {
        const held = afterDrops.get(name);
        afterDrops.delete(name);
        held?.();
      }
      return 200;
    }

    const logs = /^\/api\/v1\/applications\/([^/]+)\/logs$/.exec(path);
    if (logs) {
      const m = await found(decodeURIComponent(logs[1]));
      const tree = toTree(m) as { nodes: { kind: string; name: string }[] };
      const pods = tree.nodes.filter((n) => n.kind === 'Pod' && (!query.get('podName') || n.name === query.get('podName')));
      const tail = Number(query.get('tailLines') ?? 3);
      // Every line is known up front: check them all before the head, so a violation answers 500.
      const lines: string[] = [];
      for (const pod of pods) {
        const contents = m.pods === 'crash' || m.pods === 'oom' ? ['starting', 'Error: connect ECONNREFUSED 10.0.0.5:5432', 'exiting with code 1'] : ['starting', 'listening on :8080', 'GET /healthz 200'];
        for (const content of contents.slice(-tail)) {
          lines.push(checked('logLine', { result: { content, timeStampStr: new Date().toISOString(), podName: pod.name, last: false } }));
        }
      }
      if (query.get('follow') === 'true') {
        // Followed: the recent lines, then a new line per pod every 200 ms until the client
        // goes, as a running app logs; no `last` line (the real server sends none while following).
        res.writeHead(200, { 'content-type': 'application/json' }).write(lines.map((l) => l + '\n').join(''));
        let tick = 0;
        const timer = setInterval(() => {
          tick += 1;
          try {
            res.write(pods.map((pod) => checked('logLine', { result: { content: `GET /orders 200 (tick ${tick})`, timeStampStr: new Date().toISOString(), podName: pod.name, last: false } }) + '\n').join(''));
          } catch (error) {
            clearInterval(timer);
            res.end(streamError((error as Error).message) + '\n');
          }
        }, 200);
        res.on('close', () => clearInterval(timer));
        return 200;
      }
      lines.push(checked('logLine', { result: { content: '', timeStampStr: '', podName: '', last: true } }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(lines.map((l) => l + '\n').join(''));
      return 200;
    }

    const treeMatch = /^\/api\/v1\/applications\/([^/]+)\/resource-tree$/.exec(path);
    if (treeMatch) {
      const m = await found(decodeURIComponent(treeMatch[1]));
      await delay(scenarioFor(m.name).latencyMs);
      const body = checked('v1alpha1ApplicationTree', toTree(m));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return 200;
    }

    const appMatch = /^\/api\/v1\/applications\/([^/]+)$/.exec(path);
    if (appMatch) {
      const m = await found(decodeURIComponent(appMatch[1]));
      await delay(scenarioFor(m.name).latencyMs);
      // Refresh blocks until the controller has reconciled, as the real server does.
      if (query.get('refresh')) await reconcile(m);
      const body = checked('v1alpha1Application', toApplication(m));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return 200;
    }
    throw new HttpProblem(404, 5, 'Not Found');
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://double');
    const record = (status: number) => calls.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), status, at: performance.now() });
    handle(req, res, url.pathname, url.searchParams).then(record, (error: unknown) => {
      const problem = error instanceof HttpProblem ? error : new HttpProblem(500, 13, (error as Error).message);
      record(problem.status);
      if (res.headersSent) {
        res.end();
        return;
      }
      const body = { error: problem.message, code: problem.grpc, message: problem.message };
      if (validate) violations.push(...contractProblems('runtimeError', body));
      res.writeHead(problem.status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    setScenario: (application, scenario) => void scenarios.set(application, scenario),
    calls,
    violations,
    onHealthChange: (listener) => void listeners.push(listener),
    async stop() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

const delay = (ms: number | undefined) => (ms ? new Promise((ok) => setTimeout(ok, ms)) : Promise.resolve());
