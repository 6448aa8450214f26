// `loco promote rules get|set` through the real CLI and a real API process: the default rule
// (prod needs one approval), setting a profile's approvals and emergency rollbacks (one
// profile changed, the others kept), -o json, and clear usage errors (exit 2).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loco, startApi, type RunningApi } from './harness.ts';

let api: RunningApi;
let env: Record<string, string>;

before(async () => {
  api = await startApi();
  env = { LOCO_API_URL: api.url, LOCO_TOKEN: api.adminToken };
});
after(async () => {
  await api?.stop();
});

const rules = async () => JSON.parse((await loco(['promote', 'rules', 'get', '-o', 'json'], { env })).stdout);

test('promote rules get shows the defaults; set changes one profile and keeps the others', async () => {
  const shown = await loco(['promote', 'rules'], { env });
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^prod\s+1\s+default$/m);
  assert.match(shown.stdout, /^emergency rollback: not allowed$/m);
  assert.deepEqual(await rules(), { profiles: {}, emergencyRollback: false });

  const uat = await loco(['promote', 'rules', 'set', 'uat', '--approvals', '2'], { env });
  assert.equal(uat.code, 0, uat.stderr);
  assert.equal(uat.stdout, 'uat of default/default now needs 2 approvals before a merge.\n');
  const prod = await loco(['promote', 'rules', 'set', 'prod', '--approvals', '0', '-o', 'json'], { env });
  assert.equal(prod.code, 0, prod.stderr);
  assert.deepEqual(JSON.parse(prod.stdout), { profiles: { uat: { approvals: 2 }, prod: { approvals: 0 } }, emergencyRollback: false });
  const emergency = await loco(['promote', 'rules', 'set', '--emergency-rollback', 'on'], { env });
  assert.equal(emergency.stdout, 'Emergency rollbacks in default/default are allowed.\n');
  assert.deepEqual(await rules(), { profiles: { uat: { approvals: 2 }, prod: { approvals: 0 } }, emergencyRollback: true });

  const table = (await loco(['promote', 'rules', 'get'], { env })).stdout;
  assert.match(table, /^prod\s+0\s+set$/m);
  assert.match(table, /^uat\s+2\s+set$/m);
  assert.match(table, /^production\s+1\s+default$/m);
});

test('promote rules set refuses what it cannot mean, naming the value and what to type', async () => {
  const cases: [string[], RegExp, RegExp][] = [
    [['set', 'prod', '--approvals', 'many'], /--approvals many is not a number of approvals/, /whole number from 0 \(no review\) to 10/],
    [['set', 'prod', '--approvals', '11'], /--approvals 11 is not a number of approvals/, /to 10/],
    [['set', '--approvals', '1'], /needs the profile it applies to/, /loco promote rules set prod --approvals 2/],
    [['set', 'prod'], /say how many approvals prod needs: --approvals N/, /loco promote rules set prod --approvals 2/],
    [['set', 'Prod!', '--approvals', '1'], /"Prod!" is not a profile name/, /lowercase letters, digits and dashes/],
    [['set', '--emergency-rollback', 'maybe'], /--emergency-rollback maybe is neither on nor off/, /--emergency-rollback on/],
    [['drop'], /loco promote rules drop is not a thing: use get or set/, /loco promote rules set/],
  ];
  for (const [args, message, hint] of cases) {
    const result = await loco(['promote', 'rules', ...args], { env });
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
    assert.match(result.stderr, hint, args.join(' '));
  }
  // nothing was changed by the refused commands
  assert.deepEqual(await rules(), { profiles: { uat: { approvals: 2 }, prod: { approvals: 0 } }, emergencyRollback: true });
});
