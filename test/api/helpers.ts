// Test support for the API suites: a fresh database of either kind (a uniquely named
// PostgreSQL database dropped afterwards, or the embedded PGlite in a temporary data dir),
// the API built on it, and small request helpers.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type LocoOptions } from '../../api/server.ts';
import { initTemplate } from '../../generator/index.ts';

export type DatabaseKind = 'pglite' | 'postgresql';
export const DATABASE_KINDS: DatabaseKind[] = ['pglite', 'postgresql'];
const ADMIN_URL = process.env.LOCO_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url?: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') return { drop: async () => {} };
  const name = `loco_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface TestApi {
  app: FastifyInstance;
  dataDir: string;
  adminToken: string;
  databaseUrl?: string;
  close(): Promise<void>;
}

export async function startTestApi(kind: DatabaseKind, extra: Partial<LocoOptions> = {}, shared?: { dataDir: string; database: TestDatabase }): Promise<TestApi> {
  const dataDir = shared?.dataDir ?? (await mkdtemp(join(tmpdir(), 'loco-api-')));
  const database = shared?.database ?? (await createTestDatabase(kind));
  const app = await buildApp({ dataDir, ...(database.url ? { databaseUrl: database.url } : {}), runner: { scanIntervalMs: 200, leaseSeconds: 5 }, ...extra });
  await app.ready();
  const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
  return {
    app,
    dataDir,
    adminToken,
    ...(database.url ? { databaseUrl: database.url } : {}),
    async close() {
      await app.close();
      if (!shared) {
        await database.drop();
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export async function call(app: FastifyInstance, token: string | null, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method: method as 'GET',
    url: `/api/v1${url}`,
    headers: { ...(token ? bearer(token) : {}), ...headers },
    ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
  });
}

export function config(name: string, image = `registry.example.com/acme/${name}:1`): string {
  return initTemplate({ name, image });
}

/** Follows the deployment's SSE stream to its end (the API closes it after the terminal event). */
export async function followEvents(app: FastifyInstance, token: string, id: string, lastEventId?: number): Promise<{ seq: number; type: string; message: string; data?: Record<string, unknown> }[]> {
  const response = await app.inject({
    method: 'GET',
    url: `/api/v1/deployments/${id}/events`,
    headers: { ...bearer(token), accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}) },
  });
  if (response.statusCode !== 200) throw new Error(`events: ${response.statusCode} ${response.body}`);
  return response.body
    .split('\n\n')
    .filter((frame) => frame.includes('data: '))
    .map((frame) => JSON.parse(frame.split('\n').find((l) => l.startsWith('data: '))!.slice(6)));
}

/** Creates a user with a personal token directly through the API's own token module. */
export async function userWithToken(app: FastifyInstance, name: string): Promise<string> {
  const { issuePersonalToken } = await import('../../api/auth/tokens.ts');
  const { User } = await import('../../api/db/entities.ts');
  const em = app.loco.em();
  let user = await em.findOne(User, { name });
  if (!user) {
    user = em.create(User, { id: `usr_${randomBytes(8).toString('hex')}`, name, email: `${name}@example.com`, githubId: null });
    await em.flush();
  }
  return issuePersonalToken(em, user.id, 'test');
}

/** Waits (on the API's own event notifications, no sleeping) until the deployment has an event matching `match`. */
export async function waitForEvent(app: FastifyInstance, token: string, id: string, match: (e: { type: string; message: string }) => boolean): Promise<void> {
  for (;;) {
    const woke = app.loco.bus.wait(id, 500);
    const events = (await call(app, token, 'GET', `/deployments/${id}/events`)).json() as { type: string; message: string }[];
    if (events.some(match)) return;
    await woke;
  }
}

/**
 * Fails with `what` when `promise` has not settled within `ms` — a safety net so that a broken
 * run ends (and its servers close) instead of hanging the suite; not a wait for anything.
 */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
