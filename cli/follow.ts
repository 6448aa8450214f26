// Following a deployment to its outcome, shared by deploy, rollback, scale, env and promote:
// print the id at once, stream the events, and end with an exit code that matches what
// happened — 0 succeeded (or committed with no Argo CD), 1 failed, 4 could not find out.

import kleur from 'kleur';
import { LocoError, isLocoError } from '../generator/errors.ts';
import { isFinished, type Deployment, type DeploymentEvent, type LocoClient } from '../api/client/index.ts';
import type { Context } from './context.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { printJson, shortCommit } from './output.ts';
import { createProgressView, type ProgressView } from './progress.ts';

export interface FollowOptions {
  wait: boolean;
  timeoutMs: number;
  /** The progress view already showing local phases (deploy), if any. */
  view?: ProgressView;
  /** What to call the change in messages: "deployment", "rollback", … */
  noun?: string;
}

export function waitOptions(flags: Record<string, unknown>): { wait: boolean; timeoutMs: number } {
  return { wait: flags.wait !== false, timeoutMs: parseDuration(flags.timeout ?? '10m', '--timeout') };
}

/** The stream progress is written to: stdout, or stderr when stdout carries JSON. */
export function progressStream(ctx: Context): NodeJS.WriteStream {
  return ctx.json ? process.stderr : process.stdout;
}

export function createView(ctx: Context): ProgressView {
  const stream = progressStream(ctx);
  return createProgressView(stream, ctx.interactive && Boolean(stream.isTTY));
}

export async function followDeployment(ctx: Context, client: LocoClient, deployment: Deployment, opts: FollowOptions): Promise<number> {
  const out = progressStream(ctx);
  const view = opts.view ?? createView(ctx);
  const started = Date.now();
  view.line(`Deployment ${kleur.bold(deployment.id)} (${deployment.app}@${deployment.profile}, ${deployment.image})`);
  if (!opts.wait) {
    view.stop();
    if (ctx.json) printJson({ outcome: 'pending', deployment, events: [] });
    else out.write(`Not waiting. Follow it: loco events ${deployment.id}\n`);
    return 0;
  }
  const events: DeploymentEvent[] = [];
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('timeout')), opts.timeoutMs);
  const interrupted = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', interrupted);
  try {
    for await (const event of client.followEvents(deployment.id, {
      signal: abort.signal,
      onReconnect: (n, why) => view.note(`event stream dropped (${why}); reconnecting (${n})…`),
    })) {
      events.push(event);
      ctx.debug(`event ${JSON.stringify(event)}`);
      view.event(event);
    }
  } catch (error) {
    view.stop();
    const reason = abort.signal.aborted ? String((abort.signal.reason as Error)?.message) : undefined;
    if (reason === 'interrupted') {
      out.write(`\nStopped watching; ${deployment.id} goes on. Follow it: loco events ${deployment.id}\n`);
      return 130;
    }
    if (reason === 'timeout') return unknownOutcome(ctx, deployment, events, `no outcome within ${formatDuration(opts.timeoutMs)}`);
    if (isLocoError(error) && error.family === 'unreachable') {
      throw new LocoError(error.code, `lost contact with the API while following ${deployment.id}: ${error.message}`,
        `the deployment may still be running; check it later: loco events ${deployment.id}`, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', interrupted);
  }
  view.stop();
  const final = await client.getDeployment(deployment.id);
  return reportOutcome(ctx, final, events, Date.now() - started, opts.noun ?? 'deployment');
}

function unknownOutcome(ctx: Context, deployment: Deployment, events: DeploymentEvent[], why: string): number {
  if (ctx.json) printJson({ outcome: 'unknown', reason: why, deployment, events });
  process.stderr.write(
    `${kleur.yellow('?')} Could not find out whether ${deployment.id} succeeded: ${why}. It has not failed; it is still running.\n` +
      `${kleur.yellow('hint:')} keep following it: loco events ${deployment.id}\n`,
  );
  return 4;
}

export function reportOutcome(ctx: Context, d: Deployment, events: DeploymentEvent[], elapsedMs: number, noun: string): number {
  const target = `${d.app}@${d.profile}`;
  if (!isFinished(d)) return unknownOutcome(ctx, d, events, `the event stream ended while it was ${d.status}`);
  const outcome = d.status === 'failed' ? 'failed' : d.status === 'succeeded' ? 'succeeded' : 'committed';
  if (ctx.json) printJson({ outcome, deployment: d, events });
  const out = progressStream(ctx);
  const at = typeof d.url === 'string' ? `\n  ${target} is at ${d.url}` : '';
  if (outcome === 'succeeded') {
    out.write(`${kleur.green('✓')} ${cap(noun)} ${d.id} of ${target} succeeded in ${formatDuration(tookMs(d) ?? elapsedMs)}${d.commit ? ` (commit ${shortCommit(d.commit)})` : ''}.${at}\n`);
    return 0;
  }
  if (outcome === 'committed') {
    // The API's message repeats the commit subject; keep only what explains the early end.
    const why = /no argo cd/i.test(d.message ?? '') ? 'No Argo CD is configured, so the rollout is not followed.' : (d.message ?? '');
    out.write(`${kleur.green('✓')} Committed ${shortCommit(d.commit)} for ${target}. ${why}${at}\n`);
    return 0;
  }
  process.stderr.write(`${kleur.red('✗')} ${cap(noun)} ${d.id} of ${target} failed${d.reason ? ` (${d.reason})` : ''}: ${d.message ?? 'no reason given'}\n`);
  const pruned = pruneLists(events);
  if (pruned) {
    // what the prune guard refused (api/deployments/prepare.ts refuseWidePrune), so the user can judge it
    if (pruned.removed.length) process.stderr.write(`${kleur.dim('Would remove:')} ${pruned.removed.join(', ')}\n`);
    if (pruned.added.length) process.stderr.write(`${kleur.dim('Would add:')} ${pruned.added.join(', ')}\n`);
  }
  const logs = lastLogLines(events);
  if (logs.length > 0) {
    process.stderr.write(`${kleur.dim(`Last log lines of Pod/${logs[0].pod}:`)}\n${logs.map((l) => `  ${l.line}`).join('\n')}\n`);
  }
  process.stderr.write(`${kleur.yellow('Next:')} ${d.nextStep ?? `see what happened: loco events ${d.id}; loco logs ${d.app} --profile ${d.profile}`}\n`);
  return 1;
}

/** How long the deployment took by its own record (created → finished), not how long we watched. */
function tookMs(d: Deployment): number | undefined {
  const ms = d.finishedAt ? Date.parse(d.finishedAt) - Date.parse(d.createdAt) : NaN;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The crashed pod's last lines the API attached to the failed event (api/argocd/tracker.ts), if any. */
function lastLogLines(events: DeploymentEvent[]): { pod: string; line: string }[] {
  const logs = events.findLast((e) => e.type === 'failed')?.data?.logs;
  return Array.isArray(logs) ? logs.filter((l): l is { pod: string; line: string } => typeof l?.line === 'string' && typeof l?.pod === 'string') : [];
}

/** The resources a refused wide prune would remove and add, from the failed event's data (reason prune). */
function pruneLists(events: DeploymentEvent[]): { removed: string[]; added: string[] } | undefined {
  const data = events.findLast((e) => e.type === 'failed')?.data;
  if (data?.reason !== 'prune') return undefined;
  const names = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { removed: names(data.removed), added: names(data.added) };
}
