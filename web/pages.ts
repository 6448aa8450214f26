// The dashboard's pages, as pure functions of the API's own JSON answers (the plugin fetches
// them with the signed-in user's token, so every page shows exactly what the API lets that
// user see).

import { age, html, Html } from './html.ts';

export interface DeploymentView {
  id: string; app: string; profile: string; change: string; status: string; reason?: string; message?: string; nextStep?: string;
  image: string; commit?: string; actor: string; createdAt: string; finishedAt?: string;
}
export interface EventView { seq: number; time: string; type: string; message: string; data?: Record<string, unknown> }
export interface AppView { name: string; profiles: { profile: string; deployment: DeploymentView }[] }
export interface PromotionView {
  id: string; app: string; from: string; to: string; status: string; title?: string; body?: string; author?: string;
  approvals?: { user: string; at: string }[]; approvalsRequired?: number; pullRequest?: { number?: number; url?: string }; deploymentId?: string;
}
export interface HistoryView { commit: string; time: string; actor?: string; app?: string; profile?: string; change?: string; image?: string; deploymentId?: string; outcome?: string; subject?: string }

const outcome = (status: string, reason?: string) => html`<span class="${status}">${status}</span>${reason ? html` <span class="muted">(${reason})</span>` : ''}`;
const short = (sha?: string) => (sha ? sha.slice(0, 7) : '');

export function signIn(error?: string, github = false): Html {
  return html`<h1>Sign in to Loco</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
${github ? html`<form method="post" action="/session/github"><button type="submit">Sign in with GitHub</button></form><p class="muted">or with an API token:</p>` : ''}
<form method="post" action="/session">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus size="40">
<p class="muted">A personal token: <code>loco tokens create</code>, or the admin's in <code>$LOCO_DATA_DIR/admin-token</code>.</p>
<button type="submit">Sign in</button></form>`;
}

/** The GitHub device flow's second step: enter the code on GitHub, then come back. */
export function githubCode(flow: { deviceCode: string; userCode: string; verificationUri: string }, notYet?: string): Html {
  return html`<h1>Sign in with GitHub</h1>
${notYet ? html`<p class="error" role="status">${notYet}</p>` : ''}
<p>Open <a href="${flow.verificationUri}" target="_blank" rel="noopener">${flow.verificationUri}</a> and enter the code</p>
<p><strong style="font-size:1.6rem;letter-spacing:.15em"><code id="user-code">${flow.userCode}</code></strong></p>
<form method="post" action="/session/github/complete">
<input type="hidden" name="deviceCode" value="${flow.deviceCode}"><input type="hidden" name="userCode" value="${flow.userCode}"><input type="hidden" name="verificationUri" value="${flow.verificationUri}">
<button type="submit">I have approved Loco on GitHub</button></form>`;
}

export function board(ws: string, apps: AppView[], waiting: PromotionView[]): Html {
  const profiles = [...new Set(apps.flatMap((a) => a.profiles.map((p) => p.profile)))].sort();
  const cell = (a: AppView, profile: string) => {
    const d = a.profiles.find((p) => p.profile === profile)?.deployment;
    if (!d) return html`<td class="muted">—</td>`;
    return html`<td data-app="${a.name}" data-profile="${profile}"><a href="/deployments/${d.id}">${outcome(d.status, d.reason)}</a><br>
<code>${d.image}</code><br><span class="muted">${short(d.commit)} · ${age(d.finishedAt ?? d.createdAt)} · ${d.actor}</span></td>`;
  };
  return html`<h1>Board</h1>
<div class="wrap"><table id="board" data-live="${ws}/live"><caption class="muted">The release running in each profile, live</caption>
<thead><tr><th scope="col">App</th>${profiles.map((p) => html`<th scope="col">${p}</th>`)}</tr></thead>
<tbody>${apps.map((a) => html`<tr><th scope="row">${a.name}</th>${profiles.map((p) => cell(a, p))}</tr>`)}</tbody></table></div>
${apps.length === 0 ? html`<p>No apps yet: <code>loco deploy</code> one.</p>` : ''}
<h2>Waiting for review</h2>
${waiting.length ? html`<ul>${waiting.map((p) => html`<li><a href="${ws}/promotions#${p.id}">${p.app}: ${p.from} → ${p.to}</a> (${p.status})</li>`)}</ul>` : html`<p class="muted">Nothing waits for review.</p>`}`;
}

export function deployment(d: DeploymentView, events: EventView[], diff?: string): Html {
  const logs = events.flatMap((e) => (Array.isArray(e.data?.logs) ? (e.data!.logs as { pod?: string; line: string }[]) : []));
  const trailers = [['Loco-Deployment', d.id], ['Loco-App', d.app], ['Loco-Profile', d.profile], ['Loco-Actor', d.actor]];
  return html`<h1>Deployment <code>${d.id}</code></h1>
<p>${d.app}@${d.profile} · ${d.change} · <span id="status">${outcome(d.status, d.reason)}</span></p>
${d.message ? html`<p>${d.message}</p>` : ''}
${d.nextStep ? html`<p class="error"><strong>Next step:</strong> ${d.nextStep}</p>` : ''}
<p>Image <code>${d.image}</code>${d.commit ? html` · commit <code>${d.commit}</code>` : ''}</p>
<h2>Events</h2>
<ol id="events"${d.finishedAt ? '' : html` data-stream="/api/v1/deployments/${d.id}/events"`} data-after="${events.at(-1)?.seq ?? 0}">${events.map(eventItem)}</ol>
${logs.length ? html`<h2>Last log lines</h2><pre>${logs.map((l) => `${l.pod ? `[${l.pod}] ` : ''}${l.line}\n`).join('')}</pre>` : ''}
<h2>Commit trailers</h2><pre>${trailers.map(([k, v]) => `${k}: ${v}\n`).join('')}</pre>
${diff !== undefined ? html`<h2>Rendered change</h2><pre aria-label="diff of the commit">${diff || '(no file changed)'}</pre>` : ''}`;
}

export const eventItem = (e: EventView) => html`<li><time datetime="${e.time}">${e.time.slice(11, 19)}</time> <strong>${e.type}</strong> ${e.message}</li>`;

export function history(ws: string, rows: HistoryView[], filters: Record<string, string>): Html {
  const query = new URLSearchParams(filters).toString();
  const field = (name: string, label: string, type = 'text') => html`<label>${label} <input name="${name}" type="${type}" value="${filters[name] ?? ''}"></label>`;
  return html`<h1>History</h1>
<form method="get" action="${ws}/history">${field('app', 'App')}${field('profile', 'Profile')}${field('actor', 'Actor')}${field('since', 'Since (ISO time)')}
<label>Outcome <select name="outcome">${['', 'succeeded', 'failed', 'committed'].map((o) => html`<option value="${o}"${filters.outcome === o ? new Html(' selected') : ''}>${o || 'any'}</option>`)}</select></label>
<button>Filter</button></form>
<p>Export: <a href="${ws}/history.csv?${query}">CSV</a> · <a href="${ws}/history.json?${query}">JSON</a></p>
<div class="wrap"><table><thead><tr><th>Time</th><th>Commit</th><th>Actor</th><th>Change</th><th>Image</th><th>Outcome</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td>${r.time}</td><td><code>${short(r.commit)}</code></td><td>${r.actor ?? ''}</td><td>${r.change ?? ''} ${r.app ?? ''}${r.profile ? `@${r.profile}` : ''}</td><td><code>${r.image ?? ''}</code></td>
<td>${r.deploymentId ? html`<a href="/deployments/${r.deploymentId}">${outcome(r.outcome ?? '')}</a>` : r.outcome ?? ''}</td></tr>`)}</tbody></table></div>`;
}

export function audit(report: { ok: boolean; commits: number; deployments: number; findings: { code: string; message: string; hint: string; commit?: string }[] }): Html {
  return html`<h1>Audit</h1>
<p class="${report.ok ? 'succeeded' : 'failed'}">${report.ok ? 'The history holds up' : `${report.findings.length} finding(s)`}: ${report.commits} commits, ${report.deployments} deployments.</p>
<ul>${report.findings.map((f) => html`<li><strong>${f.code}</strong> ${f.commit ? html`<code>${short(f.commit)}</code> ` : ''}${f.message}<br><span class="muted">${f.hint}</span></li>`)}</ul>`;
}

export function promotions(ws: string, list: PromotionView[], me: string, canReview: boolean, csrf: string, error?: string): Html {
  const action = (p: PromotionView, verb: string, label: string) =>
    html`<form class="inline" method="post" action="${ws}/promotions/${p.id}/${verb}"><input type="hidden" name="csrf" value="${csrf}"><button>${label}</button></form>`;
  return html`<h1>Promotions</h1>${error ? html`<p class="error" role="alert">${error}</p>` : ''}
${list.length === 0 ? html`<p class="muted">No promotions.</p>` : ''}
${list.map((p) => html`<section id="${p.id}"><h2>${p.app}: ${p.from} → ${p.to} <span class="${p.status === 'merged' ? 'succeeded' : 'pending'}">${p.status}</span></h2>
<p class="muted">${p.id} by ${p.author ?? ''} · approvals ${p.approvals?.length ?? 0}/${p.approvalsRequired ?? 1}${p.approvals?.length ? ` (${p.approvals.map((a) => a.user).join(', ')})` : ''}
${p.pullRequest?.url ? html` · <a href="${p.pullRequest.url}">pull request #${p.pullRequest.number ?? ''}</a>` : ''}${p.deploymentId ? html` · <a href="/deployments/${p.deploymentId}">deployment</a>` : ''}</p>
${p.body ? html`<pre>${p.body}</pre>` : ''}
${canReview && (p.status === 'open' || p.status === 'approved') ? html`<p>${p.author !== me && p.status === 'open' ? action(p, 'approve', 'Approve') : ''} ${p.status === 'approved' ? action(p, 'merge', 'Merge') : ''} ${action(p, 'close', 'Close')}</p>` : ''}
</section>`)}`;
}

/** CSV of history rows (RFC 4180 quoting). */
export function historyCsv(rows: HistoryView[]): string {
  const cols: (keyof HistoryView)[] = ['time', 'commit', 'actor', 'app', 'profile', 'change', 'image', 'deploymentId', 'outcome', 'subject'];
  const q = (v: unknown) => (/[",\n]/.test(String(v ?? '')) ? `"${String(v).replaceAll('"', '""')}"` : String(v ?? ''));
  return [cols.join(','), ...rows.map((r) => cols.map((c) => q(r[c])).join(','))].join('\r\n') + '\r\n';
}
