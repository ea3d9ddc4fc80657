// Tests for sequence sets: parsing, expansion with `*` and `$`, membership, compression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseSequenceSet, expandSequenceSet, sequenceContains, formatSequenceSet } from './sequence-set.ts';

test('parseSequenceSet() reads numbers, ranges, * and $ (RFC 3501 section 9, RFC 5182)', () => {
  assert.deepEqual(parseSequenceSet('1:4,7,9:*'), { kind: 'ranges', ranges: [{ start: 1, end: 4 }, { start: 7, end: 7 }, { start: 9, end: '*' }] });
  assert.deepEqual(parseSequenceSet('$'), { kind: 'saved' });
  for (const bad of ['', '0', '1:', ':2', '1::2', '1,,2', 'a', '-1', '4294967296', '1:2:3', '$,1']) assert.equal(parseSequenceSet(bad), null, bad);
});

test('expandSequenceSet() resolves *, reversed ranges and bounds', () => {
  const set = (s: string) => parseSequenceSet(s)!;
  assert.deepEqual(expandSequenceSet(set('2:4,*'), 10), [2, 3, 4, 10]);
  assert.deepEqual(expandSequenceSet(set('4:2'), 10), [2, 3, 4]);
  assert.deepEqual(expandSequenceSet(set('*:8'), 10), [8, 9, 10]);
  assert.deepEqual(expandSequenceSet(set('5:20'), 7), [5, 6, 7]);
  assert.deepEqual(expandSequenceSet(set('1:*'), 0), []);
  assert.deepEqual(expandSequenceSet(set('$'), 10, [9, 3, 3, 40]), [3, 9]);
  assert.ok(sequenceContains(set('1:3,9:*'), 12, 20));
  assert.ok(!sequenceContains(set('1:3,9:*'), 5, 20));
  assert.ok(sequenceContains(set('*'), 20, 20));
  assert.ok(sequenceContains(set('$'), 4, 20, [4]));
});

test('formatSequenceSet() compresses runs', () => {
  assert.equal(formatSequenceSet([1, 2, 3, 7, 9, 10]), '1:3,7,9:10');
  assert.equal(formatSequenceSet([5, 1, 5, 2]), '1:2,5');
  assert.equal(formatSequenceSet([]), '');
});

test('property: format then parse then expand gives the numbers back', () => {
  fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 500 }), { maxLength: 60 }), (nums) => {
    const text = formatSequenceSet(nums);
    const expected = [...nums].sort((a, b) => a - b);
    if (nums.length === 0) return assert.equal(text, '');
    const set = parseSequenceSet(text)!;
    assert.deepEqual(expandSequenceSet(set, 500), expected);
    for (const n of expected) assert.ok(sequenceContains(set, n, 500));
  }), { numRuns: 200 });
});
