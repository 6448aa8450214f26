// The promotion summary: what changes in the target profile, read from rendered overlays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, renderApp, configDigest } from '../../generator/index.ts';
import { compareProfiles, promotionBody, readProfileState } from '../../api/promotions/summary.ts';

const V1 = `[Metadata]
ConfigVersion = 1
Name = "api"

[Build]
Image = "registry.example.com/acme/api:1.0.0"

[Resources]
CPU = "250m"
Memory = "256Mi"

[Routing]
Port = 8080

[Env.Variables]
GREETING = "hello"
OLD_FLAG = "x"

[Env.Secrets]
DATABASE_URL = "db/url"

[Profile.dev]
CPU = "100m"

[Profile.prod]
Replicas.Min = 2
Replicas.Max = 2
`;

const V2 = V1.replace('GREETING = "hello"\nOLD_FLAG = "x"', 'GREETING = "bonjour"\nNEW_FLAG = "y"')
  .replace('DATABASE_URL = "db/url"', 'DATABASE_URL = "db/url2"\nSTRIPE_KEY = "stripe/secret-value-name"')
  .replace('Replicas.Min = 2\nReplicas.Max = 2', 'Replicas.Min = 3\nReplicas.Max = 3\nMemory = "512Mi"');

const render = (text: string, profile: string, image: string) =>
  renderApp({ config: parseConfig(text), configText: text, profile, image, workspace: 'acme-shop' });

test('the summary lists image, replicas, resources and env keys that change in the target profile', () => {
  const before = readProfileState(render(V1, 'prod', 'registry.example.com/acme/api:1.0.0'), 'api', 'prod');
  const after = readProfileState(render(V2, 'prod', 'registry.example.com/acme/api:1.1.0'), 'api', 'prod')!;
  const change = compareProfiles(before, after);
  assert.equal(change.firstRelease, false);
  assert.deepEqual(change.image, { from: 'registry.example.com/acme/api:1.0.0', to: 'registry.example.com/acme/api:1.1.0' });
  assert.deepEqual(change.replicas, { from: '2', to: '3' });
  assert.ok(change.resources.some((r) => r.key === 'requests.memory' && r.from === '256Mi' && r.to === '512Mi'));
  assert.deepEqual(change.env.added.filter((k) => !k.startsWith('LOCO_')), ['NEW_FLAG']);
  assert.deepEqual(change.env.removed, ['OLD_FLAG']);
  assert.ok(change.env.changed.includes('GREETING'));
  assert.deepEqual(change.secrets, { added: ['STRIPE_KEY'], removed: [], changed: ['DATABASE_URL'] });
});

test('the pull-request body shows keys and the source outcome but never env or secret values', () => {
  const before = readProfileState(render(V1, 'prod', 'registry.example.com/acme/api:1.0.0'), 'api', 'prod');
  const after = readProfileState(render(V2, 'prod', 'registry.example.com/acme/api:1.1.0'), 'api', 'prod')!;
  const body = promotionBody({
    app: 'api', from: 'dev', to: 'prod', image: 'registry.example.com/acme/api:1.1.0', configDigest: configDigest(V2),
    source: { deploymentId: 'dpl_01JD0000000000000000000000', profile: 'dev', status: 'succeeded', commit: 'a'.repeat(40), finishedAt: '2025-01-01T00:00:00.000Z' },
    change: compareProfiles(before, after),
  });
  assert.match(body, /\| Image \| `registry\.example\.com\/acme\/api:1\.1\.0` \|/);
  assert.match(body, new RegExp(`Config digest \\| \`${configDigest(V2)}\``));
  assert.match(body, /\*\*succeeded\*\* in dev/);
  assert.match(body, /Replicas: `2` → `3`/);
  assert.match(body, /Env keys: added `NEW_FLAG`.*removed `OLD_FLAG`.*changed .*`GREETING`/);
  assert.match(body, /Secret references: added `STRIPE_KEY`; changed `DATABASE_URL`/);
  for (const value of ['bonjour', 'hello', 'db/url2', 'stripe/secret-value-name', '"y"']) assert.ok(!body.includes(value), `body leaks ${value}`);
});

test('a first release says so, and an identical release says nothing changes', () => {
  const after = readProfileState(render(V1, 'prod', 'registry.example.com/acme/api:1.0.0'), 'api', 'prod')!;
  assert.equal(compareProfiles(null, after).firstRelease, true);
  const same = compareProfiles(after, after);
  const body = promotionBody({ app: 'api', from: 'dev', to: 'prod', image: 'i', configDigest: 'd', source: { deploymentId: 'dpl_x', profile: 'dev', status: 'succeeded' }, change: same });
  assert.match(body, /Nothing changes in prod/);
});
