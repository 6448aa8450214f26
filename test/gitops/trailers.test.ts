// Commit messages: a one-line subject, then trailers git can read back.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCommitMessage, parseCommitMessage } from '../../api/gitops/trailers.ts';
import { unifiedHunks } from '../../generator/unified-diff.ts';

test('a message round-trips subject, body and trailers', () => {
  const text = formatCommitMessage('deploy(api@dev): img', { 'Loco-App': 'api', 'Loco-Actor': 'alice (github:1)' }, 'why it changed');
  assert.equal(text, 'deploy(api@dev): img\n\nwhy it changed\n\nLoco-App: api\nLoco-Actor: alice (github:1)\n');
  assert.deepEqual(parseCommitMessage(text), { subject: 'deploy(api@dev): img', body: 'why it changed', trailers: { 'Loco-App': 'api', 'Loco-Actor': 'alice (github:1)' } });
});

test('a newline in a value cannot forge another trailer', () => {
  const text = formatCommitMessage('x', { 'Loco-Actor': 'mallory\nLoco-App: prod-db' });
  assert.deepEqual(parseCommitMessage(text).trailers, { 'Loco-Actor': 'mallory Loco-App: prod-db' });
});

test('a message whose last paragraph is prose has no trailers', () => {
  assert.deepEqual(parseCommitMessage('Fix README\n\nSee: the docs\nand more prose\n').trailers, {});
});

test('unified hunks show removals before additions with three lines of context', () => {
  const before = 'a\nb\nc\nd\ne\nf\ng\nh\n';
  const after = 'a\nb\nc\nd\nE\nf\ng\nh\n';
  assert.equal(unifiedHunks(before, after), '@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n');
  assert.equal(unifiedHunks('same\n', 'same\n'), '');
});
