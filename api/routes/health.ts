// Probes for Kubernetes and load balancers: /healthz says the process answers, /readyz says it
// can do its job (database reachable, migrations applied, data directory writable). Public:
// probes carry no token. A failed check names itself; database error text stays in the log.

import type { FastifyPluginAsync } from 'fastify';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

type Check = { name: 'database' | 'migrations' | 'data-dir'; ok: boolean; message?: string };

const checkSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, ok: { type: 'boolean' }, message: { type: 'string' } },
};
const readySchema = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ready', 'not-ready'] }, checks: { type: 'array', items: checkSchema } },
};

const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', {
    config: { public: true },
    schema: { summary: 'Liveness: the process answers', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
    logLevel: 'warn', // probes every few seconds would drown the request log
  }, async () => ({ status: 'ok' }));

  app.get('/readyz', {
    config: { public: true },
    schema: { summary: 'Readiness: database reachable, migrations applied, data directory writable', response: { 200: readySchema, 503: readySchema } },
    logLevel: 'warn',
  }, async (request, reply) => {
    const { database, options } = app.loco;
    const checks: Check[] = [];
    const attempt = async (name: Check['name'], run: () => Promise<string | undefined>, failure: string) => {
      try {
        const problem = await run();
        checks.push(problem ? { name, ok: false, message: problem } : { name, ok: true });
      } catch (error) {
        request.log.warn({ check: name, err: error }, 'readiness check failed');
        checks.push({ name, ok: false, message: failure });
      }
    };
    await attempt('database', async () => {
      await database.orm.em.fork().execute('select 1');
      return undefined;
    }, 'the database does not answer');
    await attempt('migrations', async () => {
      const pending = await database.orm.migrator.getPending();
      return pending.length > 0 ? `${pending.length} migration(s) not applied: restart the API to apply them` : undefined;
    }, 'could not read the applied migrations');
    await attempt('data-dir', async () => {
      // write a probe file: a read-only or full volume fails here rather than on the next deploy
      const probe = join(options.dataDir, `.ready-${randomBytes(4).toString('hex')}`);
      await writeFile(probe, 'ok');
      await rm(probe);
      return undefined;
    }, `the data directory ${options.dataDir} is not writable`);
    const ready = checks.every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });
};

export default healthRoutes;
