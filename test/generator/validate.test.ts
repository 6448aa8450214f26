// Validation of loco.toml: every problem at once, each with file:line:column, key path, what
// is wrong and how to fix it; case-insensitive keys; profile short keys; defaults.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocoError, parseConfig, profileNames, resolveProfile } from '../../generator/index.ts';

function problemsOf(text: string, file = 'loco.toml') {
  try {
    parseConfig(text, file);
  } catch (error) {
    assert.ok(error instanceof LocoError);
    assert.equal(error.code, 'config.invalid');
    return error.problems!;
  }
  assert.fail('expected the config to be refused');
}

test('every problem of a file is reported at once, in line order, with positions', () => {
  const problems = problemsOf(
    [
      '[Metadata]', //                1
      'Name = "Bad_Name"', //         2
      '[Resources]', //               3
      '  Memroy = "1Gi"', //          4
      'CPU = "lots"', //              5
      '[Routing]', //                 6
      'Port = 70000', //              7
      'PathPrefix = "api"', //        8
      '[Health]', //                  9
      'StartupGracePeriod = "10m"', // 10
    ].join('\n'),
    'apps/api/loco.toml',
  );
  assert.deepEqual(
    problems.map((p) => [p.path, p.at!.line, p.at!.column]),
    [
      ['Metadata.Name', 2, 1],
      ['Resources.Memroy', 4, 3],
      ['Resources.CPU', 5, 1],
      ['Routing.Port', 7, 1],
      ['Routing.PathPrefix', 8, 1],
      ['Health.StartupGracePeriod', 10, 1],
    ],
  );
  assert.ok(problems.every((p) => p.at!.file === 'apps/api/loco.toml' && p.message && p.hint));
});

test('an unknown key gets "did you mean" with the canonical path', () => {
  const [p] = problemsOf('[Metadata]\nName = "api"\n[Resources]\nMemroy = "1Gi"\n');
  assert.equal(p.code, 'config.unknown-key');
  assert.equal(p.message, 'Resources.Memroy is not a known key');
  assert.equal(p.hint, 'did you mean Resources.Memory?');
});

test('a key in the wrong section is pointed to its section', () => {
  const [p] = problemsOf('[Metadata]\nName = "api"\n[Resources]\nPathPrefix = "/x"\n');
  assert.match(p.hint, /belongs in \[Routing\]/);
});

test('keys match case-insensitively; the same key in two spellings is refused', () => {
  const config = parseConfig('[metadata]\nNAME = "api"\n[resources.scalers]\nCpuTarget = 50\n[Resources]\ncpu = "1"\n');
  const spec = resolveProfile(config, 'default', 'ws');
  assert.equal(spec.resources.scalers.cpuTarget, 50);
  assert.equal(spec.resources.cpu, '1');
  const [p] = problemsOf('[Metadata]\nName = "api"\n[Resources]\nCPU = "1"\nCpu = "2"\n');
  assert.equal(p.code, 'config.duplicate-key');
  assert.equal(p.at!.line, 5);
});

test('the issue\'s profile example works as written, short keys included', () => {
  const config = parseConfig(`[Metadata]\nName = "api"\n[Profile.dev]\n  CPU = "100m"\n  Memory = "128Mi"\n  BaseDomain = "dev.deploy-app.com"\n[Profile.prod]\n  CPU = "500m"\n  Memory = "1Gi"\n  Replicas.Max = 5\n`);
  assert.deepEqual(profileNames(config), ['dev', 'prod']);
  const dev = resolveProfile(config, 'dev', 'ws');
  assert.equal(dev.routing.baseDomain, 'dev.deploy-app.com');
  assert.equal(dev.resources.memory, '128Mi');
  const prod = resolveProfile(config, 'prod', 'ws');
  assert.deepEqual([prod.resources.cpu, prod.resources.replicas.max, prod.resources.scalers.enabled], ['500m', 5, true]);
});

test('a file without profiles has the profile "default", and three lines are a full config', () => {
  const config = parseConfig('Metadata.ConfigVersion = 1\nMetadata.Name = "hello"\nBuild.Image = "nginx:1.27"\n');
  assert.deepEqual(profileNames(config), ['default']);
  const spec = resolveProfile(config, 'default', 'acme--default');
  assert.equal(spec.metadata.type, 'SERVICE');
  assert.equal(spec.build.type, 'image');
  assert.equal(spec.routing.baseDomain, 'default.acme--default.loco.localhost');
  assert.equal(spec.health.kind, 'http');
});

test('Min above Max in a profile is reported against that profile\'s key', () => {
  const problems = problemsOf('[Metadata]\nName = "api"\n[Resources.Replicas]\nMin = 3\n[Profile.prod]\nReplicas.Max = 2\n');
  assert.equal(problems.length, 1);
  assert.match(problems[0].message, /Min \(3\) is greater than Max \(2\) \(profile prod\)/);
});

test('a build is a Dockerfile or a prebuilt image, never both', () => {
  const [p] = problemsOf('[Metadata]\nName = "api"\n[Build]\nDockerfilePath = "Dockerfile"\nImage = "nginx:1"\n');
  assert.equal(p.code, 'config.conflict');
});

test('a plain variable that looks like a secret is refused with the way to reference one', () => {
  const [p] = problemsOf('[Metadata]\nName = "api"\n[Env.Variables]\nDB_PASSWORD = "hunter2"\n');
  assert.equal(p.code, 'config.plain-secret');
  assert.match(p.hint, /Env\.Secrets/);
  assert.equal(p.at!.line, 4);
});

test('type-specific rules: CRON needs a schedule, cmd health needs a command', () => {
  const cron = problemsOf('[Metadata]\nName = "job"\nType = "cron"\n');
  assert.equal(cron[0].path, 'Cron.Schedule');
  const cmd = problemsOf('[Metadata]\nName = "w"\nType = "WORKER"\n[Health]\nKind = "cmd"\n');
  assert.equal(cmd[0].path, 'Health.Command');
  assert.equal(cmd[0].at!.line, 5);
});

test('a cron schedule with out-of-range fields, Quartz-only syntax or no possible date is refused, naming the field', () => {
  const cron = (schedule: string, zone = 'UTC') => `[Metadata]\nName = "job"\nType = "CRON"\n[Cron]\nSchedule = "${schedule}"\nTimeZone = "${zone}"\n`;
  const [bad] = problemsOf(cron('99 99 99 99 99'));
  assert.equal(bad.path, 'Cron.Schedule');
  assert.equal(bad.at!.line, 5);
  assert.match(bad.message, /"99 99 99 99 99" is not a cron schedule: .*minute.*99/);
  assert.match(bad.hint, /\*\/15 \* \* \* \*/);
  assert.match(problemsOf(cron('0 25 * * *'))[0].message, /hour/);
  assert.match(problemsOf(cron('0 0 * 13 *'))[0].message, /month/);
  assert.match(problemsOf(cron('0 0 * * * *'))[0].message, /6 fields, Kubernetes wants five/);
  assert.match(problemsOf(cron('0 0 L * *'))[0].message, /"L" \(L, W and # are not supported\)/);
  assert.match(problemsOf(cron('0 0 30 2 *'))[0].message, /never runs/);
  for (const ok of ['*/15 * * * *', '30 2 * * MON-FRI', '0 0 1 JAN,JUL *', '0 9-17/2 * * 1-5', '@hourly']) parseConfig(cron(ok), 'loco.toml');
});

test('a time zone the tz database does not know, an offset or a mis-spelt name is refused', () => {
  const cron = (zone: string) => `[Metadata]\nName = "job"\nType = "CRON"\n[Cron]\nSchedule = "@daily"\nTimeZone = "${zone}"\n`;
  const [mars] = problemsOf(cron('Mars/Olympus_Mons'));
  assert.equal(mars.path, 'Cron.TimeZone');
  assert.equal(mars.at!.line, 6);
  assert.match(mars.message, /"Mars\/Olympus_Mons" is not a time zone name$/);
  assert.match(mars.hint, /Europe\/Berlin/);
  assert.match(problemsOf(cron('+01:00'))[0].message, /is not a time zone name/);
  const [lower] = problemsOf(cron('europe/berlin'));
  assert.match(lower.hint, /write "Europe\/Berlin"/);
  for (const ok of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'US/Pacific']) parseConfig(cron(ok), 'loco.toml');
});

test('routing on a WORKER or CRON app is refused where it is written (it would get no URL); an empty [Routing] or a Port is fine', () => {
  const worker = problemsOf('[Metadata]\nName = "w"\nType = "WORKER"\n[Routing]\nPort = 8080\nPathPrefix = "/api"\n');
  assert.equal(worker.length, 1);
  assert.equal(worker[0].path, 'Routing.PathPrefix');
  assert.equal(worker[0].at!.line, 6);
  assert.match(worker[0].message, /Routing only applies to apps that take traffic \(Type "SERVICE"\), not "WORKER"/);
  const cron = problemsOf('[Metadata]\nName = "j"\nType = "CRON"\n[Cron]\nSchedule = "@daily"\n[Profile.prod]\nRouting.Subdomain = "j"\n');
  assert.equal(cron[0].path, 'Routing.Subdomain');
  assert.match(cron[0].message, /\(profile prod\)$/);
  parseConfig('[Metadata]\nName = "w"\nType = "WORKER"\n[Routing]\n', 'loco.toml');
  parseConfig('[Metadata]\nName = "w"\nType = "WORKER"\n[Routing]\nPort = 9000\n', 'loco.toml'); // health and metrics default to it
});

test('an invalid enum value gets "did you mean"', () => {
  const [p] = problemsOf('[Metadata]\nName = "api"\nType = "SERVCE"\n');
  assert.equal(p.hint, 'did you mean "SERVICE"?');
});

test('a TOML syntax error is one problem with its position', () => {
  const problems = problemsOf('[Metadata]\nName = "api\n');
  assert.equal(problems[0].code, 'config.syntax');
  assert.equal(problems[0].at!.line, 2);
});

test('keys inside inline tables and after multi-line strings are located', () => {
  const problems = problemsOf('[Metadata]\nName = "api"\nDescription = """\nName = 1\n"""\n[Resources]\nReplicas = { Min = 1, Mux = 2 }\n');
  assert.deepEqual(problems.map((p) => [p.path, p.at!.line, p.at!.column]), [['Resources.Replicas.Mux', 7, 23]]);
});

test('Metadata inside a profile is refused: every profile deploys the same app', () => {
  const [p] = problemsOf('[Metadata]\nName = "api"\n[Profile.dev.Metadata]\nName = "other"\n');
  assert.match(p.hint, /same for every profile/);
});

test('profile names are letters and digits only (no "-")', () => {
  const [p] = problemsOf('[Metadata]\nName = "api"\n[Profile.pre-prod]\nCPU = "1"\n');
  assert.equal(p.path, 'Profile.pre-prod');
});

test('the key positions of a parsed file are located on first use, and answer as an eager scan does', async () => {
  const { lazyKeyPositions, locateKeys, pathId } = await import('../../generator/config/locate.ts');
  const text = ['[Metadata]', 'Name = "web"', '[Profile.dev]', '  CPU = "100m"', 'Replicas.Min = 2'].join('\n');
  const eager = locateKeys(text);
  const config = parseConfig(text);
  assert.deepEqual([...config.positions], [...eager]);
  assert.deepEqual(config.positions.get(pathId(['Profile', 'dev', 'CPU'])), { line: 4, column: 3 });
  // a set before any read (as the 0.1 translation's aliases do) keeps the scanned keys too
  const lazy = lazyKeyPositions(text);
  lazy.set(pathId(['Alias']), { line: 9, column: 9 });
  assert.equal(lazy.size, eager.size + 1);
  assert.deepEqual(lazy.get(pathId(['Metadata', 'Name'])), eager.get(pathId(['Metadata', 'Name'])));
  assert.ok(lazy.has(pathId(['Alias'])));
});
