// mergedRanges (the set resolution of SelectedMailbox.resolve) agrees with the reference
// expansion of proto/sequence-set.ts on random sets. Pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { expandSequenceSet, type SeqNumber } from '../proto/sequence-set.ts';
import { mergedRanges } from './selected.ts';

const num: fc.Arbitrary<SeqNumber> = fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constant('*' as const));

test('mergedRanges covers exactly the numbers expandSequenceSet gives, in order, without overlaps', () => {
  fc.assert(fc.property(fc.array(fc.record({ start: num, end: num }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 50 }), (ranges, max) => {
    const set = { kind: 'ranges' as const, ranges };
    const merged = mergedRanges(set, max);
    const got: number[] = [];
    for (const [a, b] of merged) for (let n = Math.max(a, 1); n <= Math.min(b, max); n++) got.push(n);
    assert.deepEqual(got, expandSequenceSet(set, max));
    for (let i = 1; i < merged.length; i++) assert.ok(merged[i]![0] > merged[i - 1]![1] + 1);
  }));
});
