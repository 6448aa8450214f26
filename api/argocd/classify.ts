// The outcome rules (DESIGN.md "Deployment lifecycle"): given an Argo CD Application, its
// resource tree and what the tracker remembers (since when healthy, since when a pod cause
// has shown), say where the deployment of one commit stands and why. Pure: no clock, no I/O;
// `wakeAt` tells the caller when the answer may change without new input.

import { findCause, findHealthCause, type CauseCode, type FailureReason, type HealthText } from './causes.ts';
import type { Application, ApplicationTree, ResourceNode } from './types.ts';

export type { FailureReason } from './causes.ts';

export type DeploymentState = 'waiting' | 'syncing' | 'progressing' | 'succeeded' | 'failed';

export interface ClassifyContext {
  /** The commit the deployment made. */
  revision: string;
  now: number;
  /** When tracking began (ms); the progress deadline counts from here. */
  startedAt: number;
  /** Since when Healthy has held without a break, as last reported by this function's `isHealthy`. */
  healthySince?: number;
  /** Since when the current fatal pod cause has shown (`cause.code` of the previous answer). */
  causeSince?: number;
  progressDeadlineMs?: number;
  healthyDebounceMs?: number;
  causeGraceMs?: number;
}

export const DEFAULTS = { progressDeadlineMs: 600_000, healthyDebounceMs: 5_000, causeGraceMs: 30_000 };

export interface Cause {
  code: CauseCode;
  /** `Pod/api-7d9-abc` */
  resource: string;
  message: string;
  isFatal: boolean;
}

export interface ResourceProblem {
  kind: string;
  name: string;
  namespace?: string;
  status: string;
  message: string;
}

export interface Classification {
  state: DeploymentState;
  reason?: FailureReason;
  message: string;
  nextStep?: string;
  /** Healthy for this commit right now (before the debounce). */
  isHealthy: boolean;
  cause?: Cause;
  /** Which rule gave the next step (a pod's cause, or the failing resource kind's). */
  causeCode?: CauseCode;
  wakeAt?: number;
  data: {
    syncStatus?: string;
    healthStatus?: string;
    operationPhase?: string;
    syncRevision?: string;
    resources?: ResourceProblem[];
  };
}

const FAILING_CONDITIONS = ['ComparisonError', 'InvalidSpecError', 'SyncError'];
const short = (rev: string) => rev.slice(0, 7);
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** Argo CD times are RFC 3339 with seconds precision. */
function time(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

export function classifyOutcome(app: Application, tree: ApplicationTree | undefined, ctx: ClassifyContext): Classification {
  const deadline = ctx.startedAt + (ctx.progressDeadlineMs ?? DEFAULTS.progressDeadlineMs);
  const result = classifyNow(app, tree, ctx);
  if (result.state === 'succeeded' || result.state === 'failed') return result;
  if (ctx.now >= deadline) return timedOut(result, ctx);
  return { ...result, wakeAt: Math.min(result.wakeAt ?? deadline, deadline) };
}

function classifyNow(app: Application, tree: ApplicationTree | undefined, ctx: ClassifyContext): Classification {
  const status = app.status ?? {};
  const op = status.operationState;
  const data: Classification['data'] = {
    syncStatus: status.sync?.status,
    healthStatus: status.health?.status,
    operationPhase: op?.phase,
    syncRevision: status.sync?.revision,
  };
  const base = { isHealthy: false, data };

  const opRevision = op?.syncResult?.revision ?? op?.operation?.sync?.revision;
  const isOurOperation = opRevision === ctx.revision;
  const syncedToUs = status.sync?.revision === ctx.revision && status.sync?.status === 'Synced';
  if (isOurOperation && (op?.phase === 'Failed' || op?.phase === 'Error')) return syncFailed(app, ctx, base);
  // Conditions after the operation: a failed operation of ours carries per-resource results.
  const condition = failingCondition(app, ctx);
  if (condition) {
    const rule = findCause([condition.message]);
    const reason = rule?.reason === 'rejected' ? 'rejected' : condition.type === 'SyncError' ? 'sync-failed' : 'invalid-config';
    return {
      ...base,
      state: 'failed',
      reason,
      message: `Argo CD cannot apply commit ${short(ctx.revision)}: ${condition.type}: ${condition.message}`,
      nextStep: (rule ?? findCause(['is invalid']))!.nextStep({}),
    };
  }
  if (isOurOperation && (app.operation || op?.phase === 'Running' || op?.phase === 'Terminating' || !op?.finishedAt)) {
    return { ...base, state: 'syncing', message: `Argo CD is syncing commit ${short(ctx.revision)}${op?.message ? `: ${op.message}` : ''}` };
  }
  // A commit that changes nothing in this overlay needs no operation: Synced to it is enough.
  const reconciledAt = time(status.reconciledAt);
  const applied = isOurOperation ? op?.phase === 'Succeeded' : syncedToUs && !app.operation && (reconciledAt ?? 0) >= Math.floor(ctx.startedAt / 1000) * 1000;
  if (!applied) {
    return { ...base, state: 'waiting', message: `waiting for Argo CD to sync commit ${short(ctx.revision)} (now at ${status.sync?.revision ? short(status.sync.revision) : 'no revision'})` };
  }
  // As `argocd app wait`: health is only trusted once the app was compared after the sync finished.
  const finishedAt = isOurOperation ? time(op?.finishedAt) : undefined;
  if (!syncedToUs || app.operation || (finishedAt !== undefined && (reconciledAt === undefined || reconciledAt < finishedAt))) {
    return { ...base, state: 'progressing', message: `commit ${short(ctx.revision)} applied; waiting for Argo CD to compare the live state` };
  }
  return classifyHealth(app, tree, ctx, base);
}

function classifyHealth(
  app: Application,
  tree: ApplicationTree | undefined,
  ctx: ClassifyContext,
  base: { isHealthy: boolean; data: Classification['data'] },
): Classification {
  const health = app.status?.health?.status;
  const debounce = ctx.healthyDebounceMs ?? DEFAULTS.healthyDebounceMs;
  if (health === 'Healthy') {
    const since = ctx.healthySince ?? ctx.now;
    if (ctx.now - since >= debounce) {
      return { ...base, isHealthy: true, state: 'succeeded', message: `commit ${short(ctx.revision)} is synced and healthy` };
    }
    return {
      ...base,
      isHealthy: true,
      state: 'progressing',
      message: `healthy; confirming it holds for ${seconds(debounce)}`,
      wakeAt: since + debounce,
    };
  }
  const problems = unhealthyResources(app, tree);
  const cause = podCause(tree);
  const data = { ...base.data, resources: problems };
  if (health === 'Degraded') {
    const found = findHealthCause(healthTexts(cause, problems));
    const rule = found?.rule ?? findCause(['exceeded its progress deadline'])!;
    const worst = problems.find((p) => p.status === 'Degraded') ?? problems[0];
    const resource = found && found.item.kind !== 'Pod' ? `${found.item.kind}/${found.item.name}` : cause?.resource;
    return {
      ...base,
      data,
      cause,
      causeCode: rule.code,
      state: 'failed',
      reason: rule.reason === 'rejected' ? 'rejected' : 'degraded',
      message: `commit ${short(ctx.revision)} is synced but Degraded${worst ? `: ${worst.kind}/${worst.name}: ${worst.message}` : ''}${cause ? ` (${cause.resource}: ${cause.message})` : ''}`,
      nextStep: rule.nextStep({ resource, images: imagesOf(tree, cause) }),
    };
  }
  if (cause) {
    const rule = findHealthCause([{ kind: 'Pod', message: cause.message }])!.rule;
    const grace = ctx.causeGraceMs ?? DEFAULTS.causeGraceMs;
    const since = ctx.causeSince ?? ctx.now;
    const nextStep = rule.nextStep({ resource: cause.resource, images: imagesOf(tree, cause) });
    if (cause.isFatal && ctx.now - since >= grace) {
      return {
        ...base,
        data,
        cause,
        causeCode: rule.code,
        state: 'failed',
        reason: rule.reason === 'rejected' ? 'rejected' : 'degraded',
        message: `${cause.resource}: ${cause.message} (still failing after ${seconds(ctx.now - since)})`,
        nextStep,
      };
    }
    return {
      ...base,
      data,
      cause,
      state: 'progressing',
      message: `${health ?? 'Unknown'}: ${cause.resource}: ${cause.message}`,
      nextStep,
      wakeAt: cause.isFatal ? since + grace : undefined,
    };
  }
  const waitingOn = problems.find((p) => p.message) ?? problems[0];
  return {
    ...base,
    data,
    state: 'progressing',
    message: `${health ?? 'Unknown'}${waitingOn ? `: ${waitingOn.kind}/${waitingOn.name}${waitingOn.message ? `: ${waitingOn.message}` : ''}` : ''}`,
  };
}

function timedOut(last: Classification, ctx: ClassifyContext): Classification {
  const minutes = Math.round((ctx.progressDeadlineMs ?? DEFAULTS.progressDeadlineMs) / 6000) / 10;
  const rule = findHealthCause(healthTexts(last.cause, last.data.resources ?? []))?.rule;
  return {
    ...last,
    state: 'failed',
    reason: 'timeout',
    wakeAt: undefined,
    message: `no outcome for commit ${short(ctx.revision)} within the progress deadline (${minutes} min); last state: ${last.state}: ${last.message}`,
    nextStep:
      rule?.nextStep({ resource: last.cause?.resource }) ??
      (last.state === 'waiting'
        ? 'Argo CD did not pick up the commit. Check that the workspace\'s ApplicationSet is installed (argocd/README.md) and that Argo CD can reach the repository; then run `loco status`.'
        : 'Check `loco status` for resources that are not ready and `loco logs` for errors; raise the progress deadline if the app is known to start slowly.'),
  };
}

/** A ComparisonError/InvalidSpecError/SyncError that belongs to this attempt, not an old one. */
function failingCondition(app: Application, ctx: ClassifyContext): { type: string; message: string } | undefined {
  const status = app.status ?? {};
  const reconciledAt = time(status.reconciledAt) ?? 0;
  const isCurrent =
    status.sync?.revision === ctx.revision || reconciledAt >= Math.floor(ctx.startedAt / 1000) * 1000;
  for (const c of status.conditions ?? []) {
    if (!c.type || !FAILING_CONDITIONS.includes(c.type)) continue;
    const message = c.message ?? '';
    // "Failed last sync attempt to [<rev>]: …" names its revision; only ours counts.
    if (c.type === 'SyncError' && /\[[0-9a-f]{7,40}\]/.test(message) && !message.includes(ctx.revision)) continue;
    if (isCurrent || message.includes(ctx.revision)) return { type: c.type, message };
  }
  return undefined;
}

function syncFailed(app: Application, ctx: ClassifyContext, base: { isHealthy: boolean; data: Classification['data'] }): Classification {
  const op = app.status!.operationState!;
  const resources: ResourceProblem[] = (op.syncResult?.resources ?? [])
    .filter((r) => r.status === 'SyncFailed' || (r.status !== 'Synced' && r.status !== 'Pruned' && r.message))
    .map((r) => ({ kind: r.kind ?? '', name: r.name ?? '', namespace: r.namespace, status: r.status ?? 'SyncFailed', message: r.message ?? '' }));
  const rule = findCause([...resources.map((r) => r.message), op.message]);
  const detail = resources.map((r) => `${r.kind}/${r.name}: ${r.message}`).join('; ');
  return {
    ...base,
    data: { ...base.data, resources },
    state: 'failed',
    // Kubernetes refusing an apply is sync-failed (with the cause's next step) unless policy refused it.
    reason: rule?.reason === 'rejected' ? 'rejected' : 'sync-failed',
    message: `Argo CD could not apply commit ${short(ctx.revision)}: ${op.message ?? op.phase}${detail ? ` (${detail})` : ''}`,
    nextStep:
      rule?.nextStep({}) ??
      'Argo CD failed to apply the manifests. Read the resource messages above, fix loco.toml or the overrides, and deploy again.',
  };
}

/** Top-level resources that are not Healthy, with Argo CD's messages (tree first: it carries health since 3.0). */
function unhealthyResources(app: Application, tree: ApplicationTree | undefined): ResourceProblem[] {
  const seen = new Set<string>();
  const out: ResourceProblem[] = [];
  const add = (r: { kind?: string; name?: string; namespace?: string; health?: { status?: string; message?: string } }) => {
    const status = r.health?.status;
    if (!status || status === 'Healthy') return;
    const key = `${r.kind}/${r.namespace}/${r.name}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ kind: r.kind ?? '', name: r.name ?? '', namespace: r.namespace, status, message: r.health?.message ?? '' });
  };
  for (const n of tree?.nodes ?? []) if (!n.parentRefs || n.parentRefs.length === 0) add(n);
  for (const r of app.status?.resources ?? []) add(r);
  return out;
}

function info(node: ResourceNode, name: string): string | undefined {
  return node.info?.find((i) => i.name === name)?.value;
}

/** The first Degraded Pod with a recognisable cause (e.g. `Status Reason: ImagePullBackOff`). */
function podCause(tree: ApplicationTree | undefined): Cause | undefined {
  let best: Cause | undefined;
  for (const node of tree?.nodes ?? []) {
    if (node.kind !== 'Pod' || node.health?.status !== 'Degraded') continue;
    const reason = info(node, 'Status Reason');
    const text = [reason, node.health.message].filter(Boolean).join(': ');
    const rule = findHealthCause([reason, node.health.message].filter((t) => t !== undefined).map((message) => ({ kind: 'Pod', message })))?.rule;
    if (!rule) continue;
    const cause = { code: rule.code, resource: `Pod/${node.name}`, message: text, isFatal: rule.isFatal };
    if (!best || (cause.isFatal && !best.isFatal)) best = cause;
  }
  return best;
}

/** What explains a Degraded app, most telling first: the pod's cause, then Degraded resources, then the rest. */
function healthTexts(cause: Cause | undefined, problems: ResourceProblem[]): HealthText[] {
  const ranked = [...problems.filter((p) => p.status === 'Degraded'), ...problems.filter((p) => p.status !== 'Degraded')];
  return [...(cause ? [{ kind: 'Pod', message: cause.message }] : []), ...ranked.map((p) => ({ kind: p.kind, name: p.name, message: p.message }))];
}

function imagesOf(tree: ApplicationTree | undefined, cause: Cause | undefined): string[] | undefined {
  if (!cause) return undefined;
  const node = tree?.nodes?.find((n) => `Pod/${n.name}` === cause.resource);
  return node?.images;
}
