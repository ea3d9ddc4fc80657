import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FolderState, VANISHED_HISTORY, type ScannedMessage } from './state.ts';

const msg = (uid: number, letters = ''): ScannedMessage => ({ uid, id: `id${uid}`, filename: `id${uid}:2,${letters}`, isNew: false, size: 10, time: uid * 1000, letters });

test('applyScan() reports added, re-flagged and vanished messages and bumps MODSEQ for each', () => {
  const s = new FolderState(1);
  assert.deepEqual(s.applyScan([msg(2), msg(1)]), { added: [1, 2], expunged: [], flagged: [], highestModseq: 3 });
  assert.deepEqual(s.applyScan([msg(1), msg(2)]), { added: [], expunged: [], flagged: [], highestModseq: 3 });
  const c = s.applyScan([msg(1, 'S')]);
  assert.deepEqual(c, { added: [], expunged: [2], flagged: [1], highestModseq: 5 });
  assert.equal(s.messages.get(1)!.modseq, 4);
  assert.deepEqual(s.vanishedSince(3), { uids: [2], complete: true });
  assert.deepEqual(s.vanishedSince(5), { uids: [], complete: true });
});

test('a rename without a flag change is followed but does not bump MODSEQ', () => {
  const s = new FolderState(1);
  s.applyScan([{ ...msg(1), isNew: true, filename: 'id1' }]);
  s.applyScan([msg(1)]);
  assert.equal(s.messages.get(1)!.filename, 'id1:2,');
  assert.equal(s.highestModseq, 2);
});

test('expunge history is bounded; vanishedSince() says when it no longer reaches back', () => {
  const s = new FolderState(1);
  const n = VANISHED_HISTORY + 5;
  for (let i = 1; i <= n; i++) s.add(msg(i));
  s.remove(Array.from({ length: n }, (_, i) => i + 1));
  assert.equal(s.vanished.length, VANISHED_HISTORY);
  assert.equal(s.vanishedSince(0).complete, false);
  assert.equal(s.vanishedSince(s.vanishedFloor).complete, true);
});

test('snapshot() round-trips through fromSnapshot()', () => {
  const s = new FolderState(9);
  s.add(msg(1, 'S'));
  s.remove([1]);
  s.add(msg(2));
  assert.deepEqual(FolderState.fromSnapshot(JSON.parse(JSON.stringify(s.snapshot()))).snapshot(), s.snapshot());
});
