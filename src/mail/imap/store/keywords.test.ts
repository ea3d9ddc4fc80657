import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { ensureKeywords, formatKeywords, keywordIndex, parseKeywords, MAX_KEYWORDS } from './keywords.ts';
import { isTandemError } from '../../../lib/errors.ts';
import { withTempRoot } from './_test-folder.ts';

test('parseKeywords() reads Dovecot lines and keeps holes at their letter', () => {
  const k = parseKeywords('0 $Forwarded\n2 Work\nbad line\n30 TooFar\n');
  assert.equal(k[0], '$Forwarded');
  assert.equal(k[1], undefined);
  assert.equal(keywordIndex(k, 'work'), 2);
  assert.equal(formatKeywords(k), '0 $Forwarded\n2 Work\n');
});

test('ensureKeywords() fills holes first and refuses a 27th keyword', () => withTempRoot(async (root) => {
  mkdirSync(root, { recursive: true });
  const names = Array.from({ length: MAX_KEYWORDS }, (_, i) => `k${i}`);
  const all = await ensureKeywords(root, names);
  assert.equal(all.length, MAX_KEYWORDS);
  assert.deepEqual(await ensureKeywords(root, ['K3']), all, 'case-insensitive, nothing new');
  await assert.rejects(ensureKeywords(root, ['more']), (e) => isTandemError(e, 'not-possible'));
}));
