// Tests for the session's numbered view of the maildrop (DELE, RSET, STAT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Maildrop } from './maildrop.ts';
import type { MailboxSnapshot } from './store.ts';

const snapshot: MailboxSnapshot = {
  messages: [{ id: 'a', size: 100 }, { id: 'b', size: 200 }, { id: 'c', size: 300 }],
  open: () => Promise.resolve(null),
  remove: () => Promise.resolve(0),
};

test('Maildrop numbers messages from 1, hides deleted ones from STAT and LIST, and RSET restores them', () => {
  const drop = new Maildrop(snapshot);
  assert.deepEqual(drop.stat(), { count: 3, octets: 600 });
  assert.deepEqual(drop.lookup(2), { ok: true, msg: { id: 'b', size: 200 } });
  assert.deepEqual(drop.lookup(4), { ok: false, reply: { kind: 'err', text: 'no such message: 4 (maildrop has 3)' } });
  drop.markDeleted(3);
  drop.markDeleted(1);
  assert.deepEqual(drop.lookup(1), { ok: false, reply: { kind: 'err', text: 'message 1 already deleted' } });
  assert.deepEqual(drop.stat(), { count: 1, octets: 200 });
  assert.deepEqual(drop.visible().map((v) => v.n), [2]);
  assert.deepEqual(drop.deletedIds(), ['a', 'c']);
  assert.equal(drop.reset(), 2);
  assert.deepEqual(drop.deletedIds(), []);
  assert.deepEqual(drop.stat(), { count: 3, octets: 600 });
});
