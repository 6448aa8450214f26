// The app types Loco knows, as data: which workload runs the app and which parts of the
// platform it gets. The generator fills these shapes in with typed code; add-ons (static UI,
// Redis, Postgres, blob storage) join by adding an entry here and a base shape beside it.

export type WorkloadKind = 'Deployment' | 'CronJob';

export interface AppTypeTemplate {
  /** The value of `[Metadata] Type` (canonical upper case). */
  type: string;
  /** One line for the reference page. */
  summary: string;
  workload: WorkloadKind;
  /** Gets a Service, an HTTPRoute or GRPCRoute and a BackendTrafficPolicy. */
  isRouted: boolean;
  /** May be scaled horizontally (replicas, HPA, PDB). */
  isScalable: boolean;
  /** Health check kind when `[Health] Kind` is omitted (`routed` follows Routing.Protocol). */
  defaultHealth: 'routed' | 'none';
}

export const appTypes: readonly AppTypeTemplate[] = [
  {
    type: 'SERVICE',
    summary: 'a long-running web or gRPC service reachable through the gateway',
    workload: 'Deployment',
    isRouted: true,
    isScalable: true,
    defaultHealth: 'routed',
  },
  {
    type: 'WORKER',
    summary: 'a long-running background process with no route (queue consumers, schedulers)',
    workload: 'Deployment',
    isRouted: false,
    isScalable: true,
    defaultHealth: 'none',
  },
  {
    type: 'CRON',
    summary: 'a job run on a schedule (`[Cron] Schedule`)',
    workload: 'CronJob',
    isRouted: false,
    isScalable: false,
    defaultHealth: 'none',
  },
];

export function appTypeTemplate(type: string): AppTypeTemplate {
  const found = appTypes.find((t) => t.type === type);
  if (!found) throw new Error(`unknown app type ${type}`);
  return found;
}
