// LIST pattern matching (RFC 9051 6.3.9) and the implied parents LIST shows. Pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listMatcher, withParents } from './list-match.ts';

test('"*" crosses levels, "%" stops at the separator, the reference is a prefix', () => {
  const cases: Array<[string, string, string, boolean]> = [
    ['', '*', 'a/b/c', true],
    ['', '%', 'a/b', false],
    ['', '%', 'a', true],
    ['', 'a/%', 'a/b', true],
    ['', 'a/%', 'a/b/c', false],
    ['a/', '%', 'a/b', true],
    ['', 'A', 'a', false],
    ['', 'inbox', 'INBOX', true],
    ['', 'InBox/%', 'INBOX/Lists', true],
    ['', 'v1.2', 'v1.2', true],
    ['', 'v1.2', 'v1x2', false],
    ['', 'a(b)*', 'a(b)c', true],
    ['', '%/x', 'a/x', true],
  ];
  for (const [ref, pattern, name, want] of cases) assert.equal(listMatcher(ref, pattern)(name), want, `${ref}|${pattern} vs ${name}`);
});

test('withParents adds missing levels as not real, keeps real ones', () => {
  assert.deepEqual([...withParents(['INBOX', 'a/b/c', 'a'])], [['INBOX', true], ['a/b/c', true], ['a', true], ['a/b', false]]);
});
