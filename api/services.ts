// What the route plugins share, decorated onto the fastify instance as `app.loco`.

import type { EntityManager } from '@mikro-orm/postgresql';
import type { Database } from './db/orm.ts';
import type { GitopsStore } from './gitops/index.ts';
import type { EventBus } from './deployments/bus.ts';
import type { DeploymentRunner } from './deployments/runner.ts';
import type { LocoOptions } from './options.ts';
import type { BootstrapResult } from './bootstrap.ts';
import type { ArgoCdAccess } from './argocd-access.ts';
import type { PreflightFn } from './kubernetes/preflight.ts';
import type { LocoMetrics } from './metrics.ts';
import type { SseRegistry } from './http/sse.ts';
import type { Clock } from './argocd/clock.ts';
import type { DeploysFirst } from './http/deploys-first.ts';

export interface LocoServices {
  options: LocoOptions;
  database: Database;
  /** A fresh EntityManager (one per request or task). */
  em(): EntityManager;
  store: GitopsStore;
  bus: EventBus;
  runner: DeploymentRunner;
  /** Argo CD reads for status and logs; null when no Argo CD is configured. */
  argocd: ArgoCdAccess | null;
  /** The Kubernetes preflight (says it skipped without LOCO_KUBECONFIG). */
  preflight: PreflightFn;
  bootstrap: BootstrapResult;
  metrics: LocoMetrics;
  /** Open SSE streams, ended with a `reconnect` event on shutdown. */
  streams: SseRegistry;
  /** Event-stream starts wait while deploy requests are being answered (http/deploys-first.ts). */
  deploysFirst: DeploysFirst;
  /** Time for token and invitation expiry (options.clock, else the system's). */
  clock: Clock;
}

declare module 'fastify' {
  interface FastifyInstance {
    loco: LocoServices;
  }
}
