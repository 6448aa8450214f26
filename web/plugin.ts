// The web dashboard at `/` (issue: reviewers and auditors): sign-in with an API token into an
// HttpOnly, SameSite=Strict session cookie, then server-rendered pages. Every page asks the API
// itself (fastify.inject with the user's token), so the dashboard can show and do exactly what
// the API allows that user — one set of rules. State changes are POST forms carrying a CSRF
// token derived from the session; the board and deployment pages update live over SSE.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { StatusNotice } from '../api/metrics.ts';
import { startSse } from '../api/http/sse.ts';
import { cookieValue, SESSION_COOKIE } from '../api/auth/session-cookie.ts';
import { workspaceSlug } from '../generator/names.ts';
import { page } from './html.ts';
import * as pages from './pages.ts';

const APP_JS = readFileSync(new URL('./assets/app.js', import.meta.url), 'utf8');

const csrfFor = (token: string) => createHash('sha256').update(`loco-csrf:${token}`).digest('hex');
const sessionOf = (request: FastifyRequest) => cookieValue(request.headers.cookie, SESSION_COOKIE);

interface Me { user: { name: string }; memberships: { org: string; workspace: string; role: string }[] }

async function api<T>(app: FastifyInstance, token: string, method: 'GET' | 'POST', url: string): Promise<{ status: number; body: T }> {
  const r = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) }, ...(method === 'POST' ? { payload: '{}' } : {}) });
  return { status: r.statusCode, body: r.json() as T };
}

const webPlugin: FastifyPluginAsync = async (app) => {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));

  const send = (reply: FastifyReply, html: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);

  /** The signed-in user (or a redirect to the sign-in page). */
  async function session(request: FastifyRequest, reply: FastifyReply): Promise<{ token: string; me: Me; csrf: string } | undefined> {
    const token = sessionOf(request);
    const me = token ? await api<Me>(app, token, 'GET', '/me') : undefined;
    if (!token || !me || me.status !== 200) {
      void send(reply, page({ title: 'Sign in' }, pages.signIn(token ? 'Your session ended: sign in again.' : undefined, github())), 401);
      return undefined;
    }
    return { token, me: me.body, csrf: csrfFor(token) };
  }

  function checkCsrf(request: FastifyRequest, token: string): boolean {
    const sent = Buffer.from(String((request.body as Record<string, string> | undefined)?.csrf ?? ''));
    const expected = Buffer.from(csrfFor(token));
    return sent.length === expected.length && timingSafeEqual(sent, expected);
  }

  const github = () => Boolean(app.loco.options.githubOAuth);
  function signedIn(request: FastifyRequest, reply: FastifyReply, token: string) {
    const secure = request.protocol === 'https' ? '; Secure' : '';
    return reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/${secure}`).redirect('/', 303);
  }

  const frame = (s: { me: Me; csrf: string }, title: string, workspace?: { org: string; workspace: string }) => ({ title, user: s.me.user.name, csrf: s.csrf, ...(workspace ? { workspace } : {}) });
  const wsPath = (org: string, ws: string) => `/w/${encodeURIComponent(org)}/${encodeURIComponent(ws)}`;
  const apiWs = (org: string, ws: string) => `/orgs/${encodeURIComponent(org)}/workspaces/${encodeURIComponent(ws)}`;
  const ui = { config: { public: true } } as const;

  app.get('/assets/app.js', ui, async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(APP_JS));

  app.get('/', ui, async (request, reply) => {
    const s = await session(request, reply);
    if (!s) return reply;
    const first = s.me.memberships[0];
    if (!first) return send(reply, page(frame(s, 'No workspace'), pages.signIn('You are not a member of any workspace yet: ask a workspace admin to add you.')));
    return reply.redirect(wsPath(first.org, first.workspace));
  });

  app.post('/session', ui, async (request, reply) => {
    const token = String((request.body as Record<string, string> | undefined)?.token ?? '').trim();
    const me = token ? await api<Me>(app, token, 'GET', '/me') : undefined;
    if (!me || me.status !== 200) return send(reply, page({ title: 'Sign in' }, pages.signIn('That token was not accepted: check it and try again.', github())), 401);
    return signedIn(request, reply, token);
  });

  // GitHub's device flow, driven by the user's clicks (no polling loop in the page): start it,
  // show the code, and ask GitHub once each time the user says they approved.
  app.post('/session/github', ui, async (request, reply) => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/auth/github/device' });
    if (r.statusCode !== 200) return send(reply, page({ title: 'Sign in' }, pages.signIn('GitHub sign-in is not available here: use an API token.', false)), 503);
    return send(reply, page({ title: 'Sign in with GitHub' }, pages.githubCode(r.json())));
  });

  app.post('/session/github/complete', ui, async (request, reply) => {
    const flow = request.body as { deviceCode?: string; userCode?: string; verificationUri?: string };
    const r = await app.inject({ method: 'POST', url: '/api/v1/auth/github/token', payload: { deviceCode: String(flow.deviceCode ?? '') } });
    const answer = r.json() as { status?: string; token?: string; detail?: string; hint?: string };
    if (r.statusCode === 200 && answer.status === 'complete' && answer.token) return signedIn(request, reply, answer.token);
    if (r.statusCode === 200) {
      const shown = { deviceCode: String(flow.deviceCode), userCode: String(flow.userCode), verificationUri: String(flow.verificationUri) };
      return send(reply, page({ title: 'Sign in with GitHub' }, pages.githubCode(shown, 'GitHub has not seen your approval yet: enter the code there, then press the button again.')), 202);
    }
    return send(reply, page({ title: 'Sign in' }, pages.signIn(`GitHub sign-in failed: ${answer.detail ?? r.statusCode}${answer.hint ? ` (${answer.hint})` : ''}`, github())), 401);
  });

  app.post('/session/end', ui, async (request, reply) => {
    const token = sessionOf(request);
    if (token && !checkCsrf(request, token)) return reply.code(403).send('refused: missing or wrong CSRF token');
    return reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`).redirect('/', 303);
  });

  app.get('/w/:org/:ws', ui, async (request, reply) => {
    const s = await session(request, reply);
    if (!s) return reply;
    const { org, ws } = request.params as { org: string; ws: string };
    const apps = await api<pages.AppView[]>(app, s.token, 'GET', `${apiWs(org, ws)}/apps`);
    if (apps.status !== 200) return send(reply, page(frame(s, 'Not found'), pages.signIn(`Workspace ${org}/${ws} was not found.`)), 404);
    const open = await api<pages.PromotionView[]>(app, s.token, 'GET', `${apiWs(org, ws)}/promotions?status=open`);
    const approved = await api<pages.PromotionView[]>(app, s.token, 'GET', `${apiWs(org, ws)}/promotions?status=approved`);
    return send(reply, page(frame(s, 'Board', { org, workspace: ws }), pages.board(wsPath(org, ws), apps.body, [...open.body, ...approved.body])));
  });

  // Live board: a status change of any deployment of this workspace tells the page to refresh its table.
  app.get('/w/:org/:ws/live', ui, async (request, reply) => {
    const token = sessionOf(request);
    const { org, ws } = request.params as { org: string; ws: string };
    if (!token || (await api(app, token, 'GET', apiWs(org, ws))).status !== 200) return reply.code(404).send('not found');
    const sse = startSse(request, reply, 'board changes');
    const workspace = `${org}/${ws}`;
    const listener = (n: StatusNotice) => n.workspace === workspace && sse.send('changed', { app: n.app, profile: n.profile, status: n.status });
    app.loco.bus.onStatusChange(listener);
    sse.gone.addEventListener('abort', () => {
      app.loco.bus.offStatusChange(listener);
      sse.end();
    });
    return reply;
  });

  app.get('/deployments/:id', ui, async (request, reply) => {
    const s = await session(request, reply);
    if (!s) return reply;
    const { id } = request.params as { id: string };
    const d = await api<pages.DeploymentView & { org: string; workspace: string }>(app, s.token, 'GET', `/deployments/${encodeURIComponent(id)}`);
    if (d.status !== 200) return send(reply, page(frame(s, 'Not found'), pages.signIn(`Deployment ${id} was not found.`)), 404);
    const events = await api<pages.EventView[]>(app, s.token, 'GET', `/deployments/${encodeURIComponent(id)}/events`);
    const diff = await commitDiff(s.token, d.body);
    return send(reply, page(frame(s, id, { org: d.body.org, workspace: d.body.workspace }), pages.deployment(d.body, events.body, diff)));
  });

  /** The change the deployment's commit made to its app's files (the user may read the deployment, so its commit too). */
  async function commitDiff(token: string, d: pages.DeploymentView & { org: string; workspace: string }): Promise<string | undefined> {
    if (!d.commit) return undefined;
    const query = new URLSearchParams({ app: d.app, limit: '1000' });
    const entries = await api<{ commit: string; parents?: string[] }[]>(app, token, 'GET', `${apiWs(d.org, d.workspace)}/history?${query}`);
    const parent = entries.status === 200 ? entries.body.find((e) => e.commit === d.commit)?.parents?.[0] : undefined;
    if (!parent) return undefined;
    return (await app.loco.store.diff(workspaceSlug(d.org, d.workspace), parent, d.commit, `apps/${d.app}/`)).patch;
  }

  async function historyRows(request: FastifyRequest, token: string) {
    const { org, ws } = request.params as { org: string; ws: string };
    const q = request.query as Record<string, string>;
    const filters = Object.fromEntries(['app', 'profile', 'actor', 'since', 'outcome'].filter((k) => q[k]).map((k) => [k, q[k]]));
    const params = new URLSearchParams({ limit: '1000', ...Object.fromEntries(Object.entries(filters).filter(([k]) => k !== 'outcome')) });
    const r = await api<pages.HistoryView[]>(app, token, 'GET', `${apiWs(org, ws)}/history?${params}`);
    const rows = r.status === 200 ? r.body.filter((row) => !filters.outcome || row.outcome === filters.outcome) : [];
    return { org, ws, filters, rows, status: r.status };
  }

  app.get('/w/:org/:ws/history', ui, async (request, reply) => {
    const s = await session(request, reply);
    if (!s) return reply;
    const h = await historyRows(request, s.token);
    return send(reply, page(frame(s, 'History', { org: h.org, workspace: h.ws }), pages.history(wsPath(h.org, h.ws), h.rows, h.filters)), h.status === 200 ? 200 : 404);
  });
  app.get('/w/:org/:ws/history.csv', ui, async (request, reply) => {
    const s = await session(request, reply);
    if (!s) return reply;
    const h = await historyRows(request, s.token);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${h.org}-${h.ws}-history.csv"`).send(pages.historyCsv(h.rows));
  });
  app.get('/w/:org/:ws/history.json', ui, async (request, reply) => {
    const s = await session(request, reply);
    if (!s) return reply;
    const h = await historyRows(request, s.token);
    return reply.header('content-disposition', `attachment; filename="${h.org}-${h.ws}-history.json"`).send(h.rows);
  });

  app.get('/w/:org/:ws/audit', ui, async (request, reply) => {
    const s = await session(request, reply);
    if (!s) return reply;
    const { org, ws } = request.params as { org: string; ws: string };
    const r = await api<Parameters<typeof pages.audit>[0]>(app, s.token, 'GET', `${apiWs(org, ws)}/audit/verify`);
    if (r.status !== 200) return send(reply, page(frame(s, 'Not found'), pages.signIn(`Workspace ${org}/${ws} was not found.`)), 404);
    return send(reply, page(frame(s, 'Audit', { org, workspace: ws }), pages.audit(r.body)));
  });

  async function promotionsPage(request: FastifyRequest, reply: FastifyReply, s: { token: string; me: Me; csrf: string }, error?: string) {
    const { org, ws } = request.params as { org: string; ws: string };
    const r = await api<pages.PromotionView[]>(app, s.token, 'GET', `${apiWs(org, ws)}/promotions`);
    if (r.status !== 200) return send(reply, page(frame(s, 'Not found'), pages.signIn(`Workspace ${org}/${ws} was not found.`)), 404);
    const role = s.me.memberships.find((m) => m.org === org && m.workspace === ws)?.role ?? 'read';
    const canReview = role === 'admin' || role === 'deploy';
    return send(reply, page(frame(s, 'Promotions', { org, workspace: ws }), pages.promotions(wsPath(org, ws), r.body, s.me.user.name, canReview, s.csrf, error)), error ? 409 : 200);
  }

  app.get('/w/:org/:ws/promotions', ui, async (request, reply) => {
    const s = await session(request, reply);
    return s ? promotionsPage(request, reply, s) : reply;
  });

  app.post('/w/:org/:ws/promotions/:id/:verb', ui, async (request, reply) => {
    const s = await session(request, reply);
    if (!s) return reply;
    if (!checkCsrf(request, s.token)) return reply.code(403).send('refused: missing or wrong CSRF token');
    const { org, ws, id, verb } = request.params as { org: string; ws: string; id: string; verb: string };
    if (!['approve', 'merge', 'close'].includes(verb)) return reply.code(404).send('not found');
    const r = await api<{ detail?: string; message?: string; hint?: string }>(app, s.token, 'POST', `/promotions/${encodeURIComponent(id)}/${verb}`);
    if (r.status >= 400) return promotionsPage(request, reply, s, `${verb} refused: ${r.body.detail ?? r.body.message ?? r.status}${r.body.hint ? ` — ${r.body.hint}` : ''}`);
    return reply.redirect(`${wsPath(org, ws)}/promotions#${id}`, 303);
  });
};

export default webPlugin;
