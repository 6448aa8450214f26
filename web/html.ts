// HTML building blocks of the dashboard: escaping and the page frame. Pages are plain strings
// rendered on the server (no framework, no CDN: the page works offline and weighs little).

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += (Array.isArray(v) ? v.map((x) => (x instanceof Html ? x.text : esc(x))).join('') : v instanceof Html ? v.text : esc(v)) + strings[i + 1];
  });
  return new Html(out);
}

const STYLE = `
:root{color-scheme:light dark;--fg:#111;--bg:#fff;--muted:#555;--line:#ccc;--ok:#0a6b2d;--bad:#a4161a;--run:#7a4d00;--link:#0645ad}
@media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#141414;--muted:#aaa;--line:#444;--ok:#5fd38a;--bad:#ff8a8a;--run:#f0c060;--link:#8ab4f8}}
body{font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0}
header{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line)}
header nav a{margin-right:.75rem}main{padding:1rem;max-width:72rem}
a{color:var(--link)}table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
.succeeded,.committed{color:var(--ok);font-weight:600}.failed{color:var(--bad);font-weight:600}.pending,.syncing,.progressing{color:var(--run);font-weight:600}
.muted{color:var(--muted)}code,pre{font:13px/1.4 ui-monospace,monospace}pre{overflow-x:auto;border:1px solid var(--line);padding:.5rem}
form.inline{display:inline}button,input,select{font:inherit;padding:.3rem .6rem}label{display:block;margin:.4rem 0}
.error{border:2px solid var(--bad);padding:.5rem}.wrap{overflow-x:auto}td code{word-break:break-all}
@media (max-width:40rem){th,td{padding:.25rem;font-size:13px}main{padding:.5rem}}
`;

export interface Frame {
  title: string;
  user?: string;
  csrf?: string;
  workspace?: { org: string; workspace: string };
}

export function page(frame: Frame, body: Html): string {
  const ws = frame.workspace ? `/w/${encodeURIComponent(frame.workspace.org)}/${encodeURIComponent(frame.workspace.workspace)}` : undefined;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${frame.title} · Loco</title><style>${new Html(STYLE)}</style><script src="/assets/app.js" defer></script></head>
<body><header><strong>Loco</strong>${ws ? html`<nav aria-label="workspace"><a href="${ws}">Board</a><a href="${ws}/history">History</a><a href="${ws}/promotions">Promotions</a><a href="${ws}/audit">Audit</a></nav>` : ''}
${frame.user ? html`<span class="muted">${frame.user}${frame.workspace ? ` · ${frame.workspace.org}/${frame.workspace.workspace}` : ''}</span>
<form class="inline" method="post" action="/session/end"><input type="hidden" name="csrf" value="${frame.csrf ?? ''}"><button>Sign out</button></form>` : ''}</header>
<main>${body}</main></body></html>`.text;
}

export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : s < 86400 ? `${Math.floor(s / 3600)}h ago` : `${Math.floor(s / 86400)}d ago`;
}
