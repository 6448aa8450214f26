// `npm start`: the Loco API with settings from the environment (DESIGN.md "Fixed conventions").

import './telemetry.ts'; // first: tracing must be running before fastify and pg load
import { isLocoError } from '../generator/errors.ts';
import { optionsFromEnv } from './options.ts';
import { startServer } from './server.ts';

const options = optionsFromEnv();
try {
  const server = await startServer(options);
  const { bootstrap } = server.app.loco;
  console.log(`Loco API listening on ${server.url} (database: ${server.app.loco.database.kind}, data: ${options.dataDir})`);
  if (bootstrap.created) {
    console.log(`First start: created org "default", workspace "default" and user "admin".`);
    console.log(`The admin's API token is in ${bootstrap.adminTokenPath} (mode 0600): export LOCO_TOKEN=$(cat ${bootstrap.adminTokenPath})`);
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: stopping`);
    server.close().then(() => process.exit(0), (error) => {
      console.error(error);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  if (isLocoError(error)) {
    console.error(`error: ${error.message}\n  hint: ${error.hint}`);
    process.exit(2);
  }
  throw error;
}
