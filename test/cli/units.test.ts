// The CLI's pure pieces: SSE framing, durations, profile choice, problem lines, env pairs,
// tables, YAML stream and settings files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSse, type SseMessage } from '../../api/client/sse.ts';
import { errorFromResponse } from '../../api/client/errors.ts';
import { parseDuration } from '../../cli/duration.ts';
import { pickProfile } from '../../cli/app-config.ts';
import { formatProblem } from '../../cli/report-error.ts';
import { parseAssignments } from '../../cli/commands/changes.ts';
import { yamlStream, suggestName } from '../../cli/commands/offline.ts';
import { phaseText } from '../../cli/progress.ts';
import { readSettings, readToken, writeSettings, writeToken } from '../../cli/settings.ts';
import { exitCodeFor, LocoError } from '../../generator/errors.ts';

/** An SSE body delivered in the given chunks, as a proxy may cut it. */
async function readChunks(chunks: string[]): Promise<SseMessage[]> {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
  const out: SseMessage[] = [];
  for await (const m of readSse(body)) out.push(m);
  return out;
}

test('SSE messages split across chunks are assembled, comments skipped', async () => {
  const messages = await readChunks([': keepalive\n\nid: 1\nevent: committed\ndata: {"seq":1}\n\nid: 2\nevent: sync', 'ing\ndata: {"seq":2,\ndata: "x":1}\r\n\r\n']);
  assert.deepEqual(messages, [
    { id: '1', event: 'committed', data: '{"seq":1}' },
    { id: '2', event: 'syncing', data: '{"seq":2,\n"x":1}' },
  ]);
});

test('SSE: CRLF line ends cut between CR and LF stay one line end, so a two-line message stays one message', async () => {
  const stream = 'id: 7\r\nevent: log\r\ndata: first\r\ndata: second\r\n\r\nid: 8\r\ndata: next\r\n\r\n';
  const expected = [
    { id: '7', event: 'log', data: 'first\nsecond' },
    { id: '8', event: 'message', data: 'next' },
  ];
  // Every cut a proxy could make, including each one between a CR and its LF.
  for (let cut = 1; cut < stream.length; cut++) {
    assert.deepEqual(await readChunks([stream.slice(0, cut), stream.slice(cut)]), expected, `cut at ${cut}: ${JSON.stringify(stream.slice(0, cut))}`);
  }
  assert.deepEqual(await readChunks([...stream]), expected, 'one character per chunk');
});

test('SSE: lone CR line ends, and a message cut off before its blank line is not delivered half', async () => {
  const stream = 'event: log\rdata: a\rdata: b\r\r:comment\rdata: c\r\r';
  const expected = [
    { event: 'log', data: 'a\nb' },
    { event: 'message', data: 'c' },
  ];
  assert.deepEqual(await readChunks([stream]), expected);
  assert.deepEqual(await readChunks([...stream]), expected, 'one character per chunk');
  assert.deepEqual(await readChunks(['data: whole\n\n', 'data: cut off']), [{ event: 'message', data: 'whole' }]);
});

test('durations: units, combinations, bare numbers are seconds, junk is a usage error', () => {
  assert.equal(parseDuration('90s', '--timeout'), 90_000);
  assert.equal(parseDuration('1h30m', '--timeout'), 5_400_000);
  assert.equal(parseDuration('15', '--timeout'), 15_000);
  assert.throws(() => parseDuration('soon', '--timeout'), (e: LocoError) => exitCodeFor(e.code) === 2 && /90s/.test(e.hint));
});

test('profile choice: flag, the only profile, dev, else ask for --profile', () => {
  assert.equal(pickProfile('prod', ['dev', 'prod'], 'deploy'), 'prod');
  assert.equal(pickProfile(undefined, ['default'], 'deploy'), 'default');
  assert.equal(pickProfile(undefined, ['prod', 'dev'], 'deploy'), 'dev');
  assert.throws(() => pickProfile(undefined, ['uat', 'prod'], 'deploy'), /which profile\? \(loco.toml has: uat, prod\)/);
  assert.throws(() => pickProfile('qa', ['dev'], 'deploy'), (e: LocoError) => e.code === 'usage.unknown-profile' && e.hint.includes('--profile dev'));
});

test('a config problem reads file:line:col key: message (hint)', () => {
  const line = formatProblem({ code: 'config.unknown-key', message: 'unknown key', hint: 'did you mean Memory?', path: 'Resources.Memroy', at: { file: 'loco.toml', line: 12, column: 3 } });
  assert.equal(line, 'loco.toml:12:3 Resources.Memroy: unknown key (did you mean Memory?)');
});

test('env assignments: NAME=value pairs, values may hold =, bad names refused', () => {
  assert.deepEqual(parseAssignments(['A=1', 'URL=postgres://x?a=b']), { A: '1', URL: 'postgres://x?a=b' });
  assert.throws(() => parseAssignments(['1BAD=x']), /not NAME=value/);
  assert.throws(() => parseAssignments(['NOVALUE']), /not NAME=value/);
});

test('problem+json keeps code and hint; a bare 401 becomes an auth error (exit 3)', () => {
  const e = errorFromResponse(409, JSON.stringify({ code: 'conflict.commit', detail: 'stale base', hint: 'deploy again', requestId: 'r1' }), 'http://x/api/v1/a', 'http://x');
  assert.equal(e.code, 'conflict.commit');
  assert.equal(e.hint, 'deploy again');
  assert.equal(e.data?.requestId, 'r1');
  const auth = errorFromResponse(401, 'nope', 'http://x/api/v1/me', 'http://x');
  assert.equal(exitCodeFor(auth.code), 3);
  assert.match(auth.hint, /loco login --api http:\/\/x/);
});

test('the YAML stream heads each file with its path and comments out non-YAML files', () => {
  const out = yamlStream([['apps/a/loco.toml', '[Metadata]\nName = "a"\n'], ['apps/a/base/k.yaml', 'kind: X\n']]);
  assert.equal(out, '---\n# Source: apps/a/loco.toml\n# [Metadata]\n# Name = "a"\n---\n# Source: apps/a/base/k.yaml\nkind: X\n');
});

test('folder names become valid app names', () => {
  assert.equal(suggestName('My_App 2'), 'my-app-2');
  assert.equal(suggestName('123'), 'app');
});

test('committed phase shows the short commit', () => {
  assert.equal(phaseText({ seq: 2, deploymentId: 'd', time: '', type: 'committed', message: 'committed', data: { commit: 'abc1234def' } }), 'Committed abc1234');
});

test('a warning event reads as a warning (the deploy goes on)', () => {
  assert.equal(phaseText({ seq: 2, deploymentId: 'd', time: '', type: 'warning', message: 'loco.toml:4:1 Metadata.Owner is not a key of loco.toml 0.1 and is ignored', data: { config: true } }), 'Warning: loco.toml:4:1 Metadata.Owner is not a key of loco.toml 0.1 and is ignored');
});

test('settings: API URL and workspace in config.toml, the token in a 0600 file keyed by API', () => {
  const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'loco-cfg-')) };
  writeSettings({ apiUrl: 'http://a:1', workspace: 'acme/shop' }, env);
  writeToken('http://a:1/', 'secret', env);
  assert.deepEqual(readSettings(env), { apiUrl: 'http://a:1', workspace: 'acme/shop' });
  assert.equal(readToken('http://a:1', env), 'secret');
  assert.equal(readToken('http://b:2', env), undefined);
  const creds = join(env.XDG_CONFIG_HOME, 'loco', 'credentials.toml');
  assert.equal(statSync(creds).mode & 0o777, 0o600);
  assert.doesNotMatch(readFileSync(join(env.XDG_CONFIG_HOME, 'loco', 'config.toml'), 'utf8'), /secret/);
  writeToken('http://a:1', undefined, env);
  assert.equal(readToken('http://a:1', env), undefined);
});
