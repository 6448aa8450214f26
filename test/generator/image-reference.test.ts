// Image references follow the OCI distribution grammar: what registries and container runtimes
// accept passes, and anything else (a newline smuggling YAML, upper-case paths, bad digests) is
// refused before it can become a container's image.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseImageReference } from '../../generator/image-reference.ts';
import { LocoError, parseConfig, renderApp } from '../../generator/index.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

test('references registries accept are parsed into their parts', () => {
  assert.deepEqual(parseImageReference('nginx'), { domain: null, path: 'nginx', tag: null, digest: null });
  assert.deepEqual(parseImageReference('nginx:1.27'), { domain: null, path: 'nginx', tag: '1.27', digest: null });
  assert.deepEqual(parseImageReference('ghcr.io/acme/api:1.4.2'), { domain: 'ghcr.io', path: 'acme/api', tag: '1.4.2', digest: null });
  assert.deepEqual(parseImageReference(`localhost:5000/a/b__c/d-e.f@${DIGEST}`), { domain: 'localhost:5000', path: 'a/b__c/d-e.f', tag: null, digest: DIGEST });
  assert.deepEqual(parseImageReference(`registry.example.com:443/acme/api:v1_x@${DIGEST}`), { domain: 'registry.example.com:443', path: 'acme/api', tag: 'v1_x', digest: DIGEST });
  assert.deepEqual(parseImageReference('[::1]:5000/api:1'), { domain: '[::1]:5000', path: 'api', tag: '1', digest: null });
});

test('references outside the grammar are refused with the reason', () => {
  const refused: Array<[string, RegExp]> = [
    ['nginx:1.27\nprivileged: true', /white space or a control character/],
    ['', /empty/],
    ['acme/API:1', /path component/],
    ['acme//api', /empty path component/],
    ['acme/api:-bad', /not a tag/],
    [`acme/api:${'t'.repeat(129)}`, /not a tag/],
    ['acme/api@sha256:abc', /not a digest/],
    [`acme/api@sha256:${'A'.repeat(64)}`, /64 lower-case hex/],
    ['acme/api@md5', /not a digest/],
    ['registry.example.com:port/api', /not a registry host/],
    [`${'a'.repeat(256)}:1`, /longer than 255/],
    ['acme/api_:1', /path component/],
  ];
  for (const [text, why] of refused) {
    const result = parseImageReference(text);
    assert.equal(typeof result, 'string', `${JSON.stringify(text)} was accepted`);
    assert.match(result as string, why, JSON.stringify(text));
  }
});

test('a hostile image never reaches the rendered Deployment: render refuses it', () => {
  const config = parseConfig('[Metadata]\nName = "api"\n');
  assert.throws(
    () => renderApp({ config, configText: '', profile: 'default', image: 'nginx:1.27\nprivileged: true', workspace: 'acme--dev' }),
    (e: LocoError) => e.code === 'validation.invalid-image' && /not an image reference/.test(e.message) && /registry\/name:tag/.test(e.hint),
  );
});

test('Build.Image in loco.toml is checked with the same grammar', () => {
  assert.throws(() => parseConfig('[Metadata]\nName = "api"\n[Build]\nImage = "acme/API:1"\n'), (e: LocoError) => e.code === 'config.invalid' && /not an image reference/.test(e.message));
});
