// Hostile loco.toml and Env.File texts: each is refused as a config error (or parsed) at a cost
// bounded by the input, never by a blow-up that would stop a shared API (a 100,000-part dotted
// key ran it out of heap; a 60 kB dotenv line stalled it for seconds). Timings are in
// bench/hostile-input.ts; here only the outcome is asserted.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocoError, parseConfig, parseOverrides, profileNames, renderApp } from '../../generator/index.ts';
import { CONFIG_LIMITS } from '../../generator/config/limits.ts';
import { parseDotenv, ENV_FILE_MAX_BYTES } from '../../generator/render/env.ts';
import { hostileConfigs } from '../../bench/hostile-inputs.ts';

const API = '[Metadata]\nName = "api"\n';
const tooLarge = (e: unknown) => e instanceof LocoError && e.code === 'config.too-large' && e.problems?.[0]?.code === 'config.too-large' && e.hint.length > 0;

for (const { name, text } of hostileConfigs()) {
  test(`a loco.toml with ${name} is refused as config.too-large`, () => {
    assert.throws(() => parseConfig(text), tooLarge);
  });
}

test('overrides.toml has the same limits', () => {
  assert.throws(() => parseOverrides('X' + '.a'.repeat(100_000) + ' = 1\n'), tooLarge);
});

test('the message names the limit and where it was passed', () => {
  assert.throws(() => parseConfig(API + '[Env.Variables]\n' + 'A'.repeat(300) + ' = "x"\n'), (e: LocoError) => tooLarge(e) && /Env\.Variables/.test(e.message) && /256 characters/.test(e.message));
});

test('a large config within every limit is accepted', () => {
  const vars = Array.from({ length: 2000 }, (_, n) => `VAR_${n} = "${'v'.repeat(40)}"`).join('\n');
  const config = parseConfig(`${API}[Env.Variables]\n${vars}\n`);
  const tree = renderApp({ config, configText: '', profile: profileNames(config)[0], image: 'reg.example/a/api:1', workspace: 'acme--dev' });
  assert.ok([...tree.values()].some((t) => t.includes('VAR_1999')));
  assert.ok(2000 < CONFIG_LIMITS.keys);
});

test('Env.File follows util.parseEnv: export, comments, quotes, multi-line values and \\n in double quotes', () => {
  const vars = parseDotenv([
    '# a comment',
    'export A=plain # trailing comment',
    "B='single # kept'",
    'C="double\\nescape"',
    'D="first line',
    'second line"',
    'E=`back tick`',
    'F=  spaced  ',
    '',
  ].join('\n'));
  assert.deepEqual({ ...vars }, { A: 'plain', B: 'single # kept', C: 'double\nescape', D: 'first line\nsecond line', E: 'back tick', F: 'spaced' });
});

test('an Env.File line of 60 kB of spaces parses (the old regex took seconds on it)', () => {
  assert.deepEqual({ ...parseDotenv('A=' + ' '.repeat(60_000) + 'x\n') }, { A: 'x' });
});

test('an Env.File past its size limit is refused as config.too-large', () => {
  assert.throws(() => parseDotenv('A="' + '\\n'.repeat(ENV_FILE_MAX_BYTES) + '"'), tooLarge);
  assert.throws(() => parseDotenv('A=' + ' '.repeat(200_000) + 'x'), tooLarge);
});
