// `npm start`: the Loco API with settings from the environment (DESIGN.md "Fixed conventions").
// Everything it prints is a JSON log line (pino, through fastify), so log collectors parse it.
// SIGTERM/SIGINT: stop accepting, end event streams with `reconnect`, hand back deployment
// leases, exit; a second signal or 10 s later it exits anyway (Kubernetes kills at 30 s).

import './telemetry.ts'; // first: tracing must be running before fastify and pg load
import { isLocoError } from '../generator/errors.ts';
import { optionsFromEnv, type LocoOptions } from './options.ts';
import { startServer } from './server.ts';

const SHUTDOWN_LIMIT_MS = 10_000;

/** Which outside systems this process talks to, for the start-up line. */
function configuredSystems(options: LocoOptions, databaseKind: string): Record<string, string> {
  return {
    database: databaseKind === 'postgresql' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${options.dataDir} (set DATABASE_URL for PostgreSQL)`,
    gitHost: options.github ? `GitHub org ${options.github.org}` : `local repositories in ${options.dataDir}/repos (set LOCO_GITHUB_TOKEN and LOCO_GITHUB_ORG for GitHub)`,
    argocd: options.argocd ? options.argocd.url : 'not configured: deployments end at committed (set LOCO_ARGOCD_URL)',
    kubernetesPreflight: options.kubernetes ? options.kubernetes.kubeconfig : 'not configured: no preflight (set LOCO_KUBECONFIG)',
  };
}

const options = optionsFromEnv();
try {
  const server = await startServer(options);
  const { app } = server;
  const { bootstrap } = app.loco;
  app.log.info({ url: server.url, dataDir: options.dataDir, systems: configuredSystems(options, app.loco.database.kind) }, `Loco API listening on ${server.url}`);
  if (bootstrap.renewed) {
    app.log.warn({ adminTokenPath: bootstrap.adminTokenPath }, `The first-start admin token had expired: wrote a new one (90 days) to ${bootstrap.adminTokenPath} (mode 0600); run loco login --token with it, then loco tokens create for a token of your own`);
  }
  if (bootstrap.created) {
    app.log.info({ adminTokenPath: bootstrap.adminTokenPath }, `First start: created org "default", workspace "default" and user "admin"; the admin's API token is in ${bootstrap.adminTokenPath} (mode 0600)`);
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal, streams: app.loco.streams.size }, 'stopping: ending event streams and handing back deployment leases');
    const limit = setTimeout(() => {
      app.log.error({ signal }, `still stopping after ${SHUTDOWN_LIMIT_MS / 1000} s: exiting`);
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
    server.close().then(() => {
      app.log.info('stopped');
      process.exit(0);
    }, (error: unknown) => {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  if (isLocoError(error)) {
    process.stderr.write(`${JSON.stringify({ level: 50, time: Date.now(), code: error.code, msg: `error: ${error.message}; hint: ${error.hint}`, hint: error.hint })}\n`);
    process.exit(2);
  }
  throw error;
}
