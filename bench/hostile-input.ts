// How long an unrelated GET waits while the API handles each hostile loco.toml / Env.File (the
// inputs of bench/hostile-inputs.ts), and a large valid config, over real HTTP on the embedded
// database. Peer: the issue's ~100 ms budget for an unrelated request. Run: npm run bench:hostile

import { percentile } from './support.ts';
import { hostileConfigs, hostileEnvFiles } from './hostile-inputs.ts';
import { measureWhileHostile } from './unrelated-get.ts';
import { config, startTestApi } from '../test/api/helpers.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const api = await startTestApi('pglite');
const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
const deployUrl = `${url}/api/v1/orgs/default/workspaces/default/apps/api/deployments`;
const base = { profile: 'dev', image: 'registry.example.com/acme/api:1', dryRun: true };
const withEnvFile = config('api').replace('[Metadata]', '[Env]\nFile = ".env"\n\n[Metadata]');
const largeValid = '[Metadata]\nName = "api"\n\n[Env.Variables]\n' + Array.from({ length: 3000 }, (_, n) => `VAR_${n} = "${'v'.repeat(60)}"`).join('\n') + '\n';

const cases = [
  ...hostileConfigs().map((c) => ({ name: `loco.toml: ${c.name}`, body: { ...base, config: c.text } })),
  ...hostileEnvFiles().map((c) => ({ name: `Env.File: ${c.name}`, body: { ...base, config: withEnvFile, envFile: c.text } })),
  { name: 'valid loco.toml with 3,000 Env.Variables', body: { ...base, profile: 'default', config: largeValid } },
];
await measureWhileHostile(url, api.adminToken, deployUrl, cases[0].body); // warm-up
console.log(`unrelated GET /api/v1/me while a hostile deploy is handled (${ROUNDS} rounds; budget ~100 ms)`);
for (const c of cases) {
  const waits: number[] = [];
  let status = 0;
  for (let n = 0; n < ROUNDS; n++) {
    const m = await measureWhileHostile(url, api.adminToken, deployUrl, c.body);
    waits.push(m.waitedMs);
    status = m.hostile.status;
  }
  console.log(`${c.name.padEnd(62)} answer ${status}  wait p50 ${percentile(waits, 50).toFixed(0).padStart(4)} ms  max ${Math.max(...waits).toFixed(0).padStart(4)} ms`);
}
await api.close();
