// Benchmark (not a test): the dashboard's board with 50 apps × 3 profiles — bytes transferred
// (HTML + script) and time to first render in Debian's Chromium — beside the floor of the
// sign-in page (the smallest page the same server renders).
// Run: npm run bench:web   (APPS=… to change the count)

import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { call, followEvents, startTestApi } from '../test/api/helpers.ts';

const APPS = Number(process.env.APPS ?? 50);
const PROFILES = ['dev', 'uat', 'stage'];
const api = await startTestApi('pglite');
const url = await api.app.listen({ port: 0, host: '127.0.0.1' });
const ws = '/orgs/default/workspaces/default';
const started = performance.now();
for (let i = 0; i < APPS; i++) {
  const name = `app${String(i).padStart(2, '0')}`;
  const config = `[Metadata]\nName = "${name}"\n\n${PROFILES.map((p) => `[Profile.${p}]\n`).join('\n')}`;
  const ids = await Promise.all(PROFILES.map(async (profile) => (await call(api.app, api.adminToken, 'POST', `${ws}/apps/${name}/deployments`, { config, profile, image: `registry.example.com/acme/${name}:1.${i}` })).json().id as string));
  for (const id of ids) await followEvents(api.app, api.adminToken, id);
}
console.log(`bench/web: ${APPS} apps × ${PROFILES.length} profiles deployed in ${((performance.now() - started) / 1000).toFixed(1)} s (setup, not measured)`);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
async function measure(path: string, signedIn: boolean) {
  const context = await browser.newContext();
  if (signedIn) await context.addCookies([{ name: 'loco_session', value: api.adminToken, url }]);
  const page = await context.newPage();
  let bytes = 0;
  const bodies: Promise<void>[] = [];
  page.on('response', (r) => {
    if (!r.url().endsWith('/live')) bodies.push(r.body().then((b) => void (bytes += b.length), () => undefined));
  });
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto(`${url}${path}`, { waitUntil: 'load' });
    await Promise.all(bodies);
    runs.push(await page.evaluate(() => ((performance.getEntriesByType('paint' as never) as { name: string; startTime: number }[]).find((p) => p.name === 'first-contentful-paint')?.startTime ?? performance.now())));
  }
  await context.close();
  runs.sort((a, b) => a - b);
  return { bytesPerLoad: Math.round(bytes / 5), fcpMedianMs: runs[2] };
}
const floor = await measure('/', false);
const boardPage = await measure('/w/default/default', true);
console.log(`  board (${APPS * PROFILES.length} cells): ${(boardPage.bytesPerLoad / 1024).toFixed(1)} KiB per load, first contentful paint median ${boardPage.fcpMedianMs.toFixed(0)} ms`);
console.log(`  floor (sign-in page):   ${(floor.bytesPerLoad / 1024).toFixed(1)} KiB per load, first contentful paint median ${floor.fcpMedianMs.toFixed(0)} ms`);
console.log(JSON.stringify({ apps: APPS, profiles: PROFILES.length, board_bytes: boardPage.bytesPerLoad, board_fcp_ms: Math.round(boardPage.fcpMedianMs), floor_bytes: floor.bytesPerLoad, floor_fcp_ms: Math.round(floor.fcpMedianMs) }));
await browser.close();
await api.close();
