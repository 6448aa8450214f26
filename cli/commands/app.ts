// Read-only commands about apps and deployments: apps, status, logs, events, history, open.

import { spawn } from 'node:child_process';
import kleur from 'kleur';
import { LocoError } from '../../generator/errors.ts';
import type { Deployment, DeploymentEvent, HistoryEntry } from '../../api/client/index.ts';
import type { Action } from '../action.ts';
import { resolveTarget } from '../app-config.ts';
import { parseDuration } from '../duration.ts';
import { createView, reportOutcome } from '../follow.ts';
import { paintStatus, printFields, printJson, printTable, shortCommit } from '../output.ts';

export const apps: Action = async (ctx) => {
  const client = await ctx.client();
  const list = await client.listApps(await ctx.workspace());
  if (ctx.json) return void printJson(list);
  // One row per app and profile: the latest deployment there.
  const rows = list.flatMap((a) => {
    const profiles = Array.isArray(a.profiles) ? (a.profiles as { profile?: string; deployment?: Deployment }[]) : [];
    return profiles.length ? profiles.map((p) => ({ app: a.name, profile: p.profile ?? '', d: p.deployment })) : [{ app: a.name, profile: '', d: undefined }];
  });
  printTable(rows, [
    { header: 'app', value: (r) => r.app },
    { header: 'profile', value: (r) => r.profile },
    { header: 'status', value: (r) => r.d?.status ?? '', paint: paintStatus },
    { header: 'image', value: (r) => r.d?.image ?? '' },
    { header: 'commit', value: (r) => shortCommit(r.d?.commit) },
    { header: 'url', value: (r) => (typeof r.d?.url === 'string' ? r.d.url : '') },
    { header: 'updated', value: (r) => r.d?.updatedAt ?? '' },
], 'no apps yet: deploy one with loco deploy');
};

export const status: Action = async (ctx, [appArg], flags) => {
  const { app, profile } = await resolveTarget(appArg, flags, 'status');
  const client = await ctx.client();
  const s = await client.status(await ctx.workspace(), app, profile);
  if (ctx.json) return void printJson(s);
  const d = s.deployment;
  printFields([
    ['app', `${app}@${profile}`],
    ['url', typeof s.url === 'string' ? s.url : undefined],
    ['sync', s.sync ? paintStatus(s.sync) : kleur.dim('unknown (no Argo CD)')],
    ['health', s.health ? paintStatus(s.health) : kleur.dim('unknown (no Argo CD)')],
    ['revision', shortCommit(s.revision)],
    ['deployment', d ? `${d.id} ${paintStatus(d.status)}${d.reason ? ` (${d.reason})` : ''} ${kleur.dim(d.createdAt)}` : 'none yet'],
    ['image', d?.image],
    ['message', d?.message],
    ['next', d?.status === 'failed' ? d.nextStep : undefined],
    ['dashboard', typeof s.dashboardUrl === 'string' ? s.dashboardUrl : undefined],
    ['note', typeof s.message === 'string' ? kleur.dim(s.message) : undefined],
  ]);
  if (s.resources?.length) {
    process.stdout.write('\n');
    printTable(s.resources, [
      { header: 'kind', value: (r) => r.kind },
      { header: 'name', value: (r) => r.name },
      { header: 'sync', value: (r) => r.sync, paint: paintStatus },
      { header: 'health', value: (r) => r.health, paint: paintStatus },
      { header: 'message', value: (r) => r.message },
    ], '');
  }
  // Pods are not in Argo CD's resource list, only in its tree: they are where the cause shows.
  if (s.unhealthy?.length) {
    process.stdout.write(`\n${kleur.bold('not healthy')}\n`);
    for (const r of s.unhealthy) process.stdout.write(`  ${r.kind}/${r.name}  ${paintStatus(r.health)}${r.message ? `  ${r.message}` : ''}\n`);
  }
};

export const logs: Action = async (ctx, [appArg], flags) => {
  const { app, profile } = await resolveTarget(appArg, flags, 'logs');
  const client = await ctx.client();
  const workspace = await ctx.workspace();
  const sinceSeconds = flags.since === undefined ? undefined : Math.max(1, Math.round(parseDuration(flags.since, '--since') / 1000));
  const tail = Number(flags.tail ?? 100);
  const seen = new Set<string>();
  const show = (line: unknown) => {
    const key = JSON.stringify(line);
    if (seen.has(key)) return;
    seen.add(key);
    if (seen.size > 10_000) seen.delete(seen.values().next().value!); // only overlaps need it: bound the memory of -f
    process.stdout.write((ctx.json ? JSON.stringify(line) : formatLogLine(line)) + '\n');
  };
  if (flags.follow) {
    // The API streams the pods' lines as they are written. A stream ends when its pods do (a
    // rollout replaced them): follow the new ones from a few seconds back, without repeats.
    let since = sinceSeconds;
    let tailLines = tail;
    for (;;) {
      const opened = Date.now();
      for await (const line of client.followLogs(workspace, app, { profile, tail: tailLines, ...(since ? { since } : {}) })) show(line);
      if (Date.now() - opened < 2000) await new Promise((r) => setTimeout(r, 2000)); // never a tight loop
      since = 5;
      tailLines = 1000;
    }
  }
  const response = await client.logs(workspace, app, { profile, tail, since: sinceSeconds });
  const body = (await response.json()) as unknown;
  const lines = Array.isArray(body) ? body : ((body as { lines?: unknown[] })?.lines ?? []);
  if (ctx.json) return void printJson(lines);
  lines.forEach(show);
  if (lines.length === 0) process.stderr.write(kleur.dim(`no log lines for ${app}@${profile}${sinceSeconds ? ` in the last ${sinceSeconds}s` : ''}\n`));
};

function formatLogLine(line: unknown): string {
  if (typeof line === 'string') return line;
  const l = line as { time?: string; pod?: string; line?: string; message?: string; content?: string };
  return [l.time ? kleur.dim(l.time) : '', l.pod ? kleur.cyan(l.pod) : '', l.line ?? l.message ?? l.content ?? JSON.stringify(line)].filter(Boolean).join(' ');
}

export const events: Action = async (ctx, [id], flags) => {
  const client = await ctx.client();
  const deploymentId = String(id);
  if (flags.follow === false || ctx.json) {
    const [deployment, list] = await Promise.all([client.getDeployment(deploymentId), client.listEvents(deploymentId)]);
    if (ctx.json) return void printJson({ deployment, events: list });
    printEvents(list);
    process.stdout.write(`${deployment.id}: ${paintStatus(deployment.status)}${deployment.message ? ` — ${deployment.message}` : ''}\n`);
    return;
  }
  const started = Date.now();
  const view = createView(ctx);
  const seen: DeploymentEvent[] = [];
  try {
    for await (const e of client.followEvents(deploymentId)) {
      seen.push(e);
      view.event(e);
    }
  } finally {
    view.stop();
  }
  return reportOutcome(ctx, await client.getDeployment(deploymentId), seen, Date.now() - started, 'deployment');
};

function printEvents(list: DeploymentEvent[]): void {
  printTable(list, [
    { header: 'time', value: (e) => e.time },
    { header: 'type', value: (e) => e.type, paint: paintStatus },
    { header: 'message', value: (e) => e.message },
  ], 'no events');
}

export const history: Action = async (ctx, [appArg], flags) => {
  const client = await ctx.client();
  const since = flags.since === undefined ? undefined : toTime(flags.since);
  const until = flags.until === undefined ? undefined : toTime(flags.until);
  const body = await client.history(await ctx.workspace(), {
    app: typeof appArg === 'string' ? appArg : undefined,
    profile: str(flags.profile) || undefined,
    actor: str(flags.actor) || undefined,
    since,
    until,
    limit: Number(flags.limit ?? 50),
  });
  const entries: HistoryEntry[] = Array.isArray(body) ? body : body.entries;
  if (ctx.json) return void printJson(entries);
  printTable(entries, [
    { header: 'time', value: (e) => e.time },
    { header: 'commit', value: (e) => shortCommit(e.commit) },
    { header: 'change', value: (e) => e.change ?? '' },
    { header: 'app', value: (e) => (e.app ? `${e.app}@${e.profile ?? ''}` : '') },
    { header: 'actor', value: (e) => e.actor ?? '' },
    { header: 'outcome', value: (e) => str(e.outcome), paint: paintStatus },
    { header: 'pr', value: (e) => { const pr = e.pullRequest as { number?: number; approver?: string } | undefined; return pr ? `${pr.number ? `#${pr.number}` : 'local'}${pr.approver ? ` by ${pr.approver}` : ''}` : ''; } },
    { header: 'subject', value: (e) => e.subject ?? '' },
  ], 'no changes yet');
};

/** `7d`, `2h` → an ISO time that long ago; anything else is passed on as a date. */
function toTime(value: unknown): string {
  const text = String(value);
  if (/^\d+(ms|s|m|h|d)$/.test(text)) return new Date(Date.now() - parseDuration(text, '--since')).toISOString();
  if (Number.isNaN(Date.parse(text))) throw new LocoError('usage.time', `"${text}" is neither a date nor a duration`, 'write it like 2025-01-31, 2025-01-31T12:00:00Z or 7d');
  return new Date(text).toISOString();
}

export const open: Action = async (ctx, [appArg], flags) => {
  let url: string | undefined;
  let what: string;
  if (flags.docs) {
    url = `${ctx.apiUrl()}/docs`;
    what = 'API documentation';
  } else {
    const { app, profile } = await resolveTarget(appArg, flags, 'open');
    const client = await ctx.client();
    const s = await client.status(await ctx.workspace(), app, profile);
    const field = flags.dashboard ? ['dashboardUrl', 'argocdUrl'] : ['url', 'appUrl'];
    url = field.map((k) => s[k]).find((v): v is string => typeof v === 'string');
    what = flags.dashboard ? `the Argo CD dashboard of ${app}@${profile}` : `${app}@${profile}`;
    if (!url) {
      throw new LocoError('not-found.url', `the API knows no ${flags.dashboard ? 'dashboard URL' : 'URL'} for ${what}`,
        flags.dashboard ? 'the API links Argo CD when it runs with LOCO_ARGOCD_URL and LOCO_ARGOCD_TOKEN set; ask its operator' : `an app gets a URL when it has [Routing]; check loco status ${app} --profile ${profile}`);
    }
  }
  if (ctx.json) return void printJson({ url });
  process.stdout.write(`${url}\n`);
  if (ctx.interactive) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'start' : 'xdg-open';
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write(kleur.dim(`(could not start ${opener}; open the URL yourself)\n`)));
    child.unref();
  }
};

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}
