#!/usr/bin/env node
// Entry point of the `loco` command. Plain JavaScript on purpose: it must run on any Node to
// say which one is needed, before the TypeScript sources (type stripping, Node >= 22.18) load.
import module from 'node:module';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `loco needs Node.js 22.18 or newer (this is ${process.version}).\n` +
      'Run `npm install` in the Loco folder (it brings Node.js 24), then use `npx loco …`.\n',
  );
  process.exit(2);
}
// Caches compiled code between runs: start-up is most of a short command's time.
module.enableCompileCache?.();
await import('./main.ts');
