// Plain variables whose names say "secret" anywhere are refused (their values would be committed
// in clear text to the GitOps repository), in [Env.Variables], Env.File and `loco env set`;
// loco.toml's [Env] NotSecret lets through a name that only looks secret.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocoError, parseConfig, renderApp, setOverrides } from '../../generator/index.ts';

const APP = '[Metadata]\nName = "api"\n';

function refusal(work: () => unknown): LocoError {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof LocoError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

const render = (text: string, envFile?: string) =>
  renderApp({ config: parseConfig(text), configText: text, profile: 'default', image: 'registry.example.com/acme/api:1', workspace: 'acme--web', ...(envFile !== undefined ? { envFile } : {}) });

test('names with SECRET, PASSWORD, TOKEN, KEY words anywhere are refused, each at its line', () => {
  const names = ['AWS_SECRET_ACCESS_KEY', 'SECRET_KEY_BASE', 'STRIPE_SECRET_KEY', 'DJANGO_SECRET_KEY', 'JWT_SECRET_KEY', 'DB_PASS', 'GITHUB_TOKEN_VALUE', 'GOOGLE_APPLICATION_CREDENTIALS', 'OPENAI_API_KEY_V2', 'AWS_ACCESS_KEY_ID', 'SSH_PRIVATE_KEY_PEM', 'DB_PASSWORD'];
  const text = APP + '[Env.Variables]\n' + names.map((n) => `${n} = "x"`).join('\n') + '\nLOG_LEVEL = "info"\nPASSENGER_COUNT = "3"\n';
  const problems = refusal(() => parseConfig(text)).problems!;
  assert.deepEqual(problems.map((p) => p.code), names.map(() => 'config.plain-secret'));
  assert.deepEqual(problems.map((p) => p.path), names.map((n) => `Env.Variables.${n}`));
  assert.deepEqual(problems.map((p) => p.at?.line), names.map((_, i) => 4 + i));
  assert.match(problems[0].message, /AWS_SECRET_ACCESS_KEY looks like a secret and would be stored in plain text/);
  assert.match(problems[0].hint, /\[Env\.Secrets\].*NotSecret = \["AWS_SECRET_ACCESS_KEY"\]/);
});

test('[Env] NotSecret lets a name that only looks secret through, into the ConfigMap', () => {
  const text = APP + '[Env]\nNotSecret = ["TOKEN_URL"]\n[Env.Variables]\nTOKEN_URL = "https://auth.example.com/token"\n';
  const configmap = [...render(text).entries()].find(([path]) => path.endsWith('configmap.yaml'));
  assert.ok(configmap);
  assert.match(String(configmap[1]), /TOKEN_URL: https:\/\/auth\.example\.com\/token/);
  // only the names listed
  assert.equal(refusal(() => parseConfig(text + 'API_TOKEN = "x"\n')).problems![0].path, 'Env.Variables.API_TOKEN');
});

test('a profile that sets a secret-looking variable is refused naming the profile; its own NotSecret allows it', () => {
  const text = APP + '[Profile.dev.Env.Variables]\nTOKEN_URL = "u"\n';
  const [problem] = refusal(() => parseConfig(text)).problems!;
  assert.equal(problem.code, 'config.plain-secret');
  assert.match(problem.message, /\(profile dev\)/);
  assert.doesNotThrow(() => parseConfig(APP + '[Profile.dev.Env]\nNotSecret = ["TOKEN_URL"]\n[Profile.dev.Env.Variables]\nTOKEN_URL = "u"\n'));
});

test('Env.NotSecret must list variable names', () => {
  const [problem] = refusal(() => parseConfig(APP + '[Env]\nNotSecret = ["not a name"]\n')).problems!;
  assert.equal(problem.path, 'Env.NotSecret');
});

test('Env.File variables follow the same rule and the same NotSecret', () => {
  const withFile = APP + '[Env]\nFile = ".env"\n';
  const error = refusal(() => render(withFile, 'STRIPE_SECRET_KEY=sk_live_1\n'));
  assert.equal(error.problems![0].path, 'Env.File.STRIPE_SECRET_KEY');
  assert.match(error.problems![0].message, /STRIPE_SECRET_KEY looks like a secret/);
  assert.doesNotThrow(() => render(APP + '[Env]\nFile = ".env"\nNotSecret = ["TOKEN_URL"]\n', 'TOKEN_URL=https://a/b\n'));
});

test('loco env set refuses a secret-looking name unless the app lists it in NotSecret', () => {
  const error = refusal(() => setOverrides('', 'prod', { env: { set: { JWT_SECRET_KEY: 'k' } } }));
  assert.equal(error.code, 'validation.invalid-override');
  assert.equal(error.problems![0].code, 'config.plain-secret');
  assert.match(error.problems![0].hint, /\[Env\.Secrets\]/);
  const text = setOverrides('', 'prod', { env: { set: { TOKEN_URL: 'u' }, notSecret: ['TOKEN_URL'] } });
  assert.match(text, /TOKEN_URL = "u"/);
  // an existing overrides file keeps reading: only the names being set are checked
  assert.doesNotThrow(() => setOverrides(text, 'prod', { env: { set: { MODE: 'x' } } }));
});
