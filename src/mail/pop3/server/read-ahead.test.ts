// Tests for the pipelined-RETR read-ahead: hand-over, and closing what was not used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadAhead } from './read-ahead.ts';
import type { MailboxSnapshot, MessageReader } from './store.ts';

/** A snapshot that records opens and closes. */
function fakeSnapshot(): { snapshot: MailboxSnapshot; opened: string[]; closed: string[] } {
  const opened: string[] = [];
  const closed: string[] = [];
  const snapshot: MailboxSnapshot = {
    messages: [{ id: 'a', size: 3 }, { id: 'b', size: 3 }],
    open(id) {
      if (id === 'gone') return Promise.resolve(null);
      opened.push(id);
      let done = false;
      const reader: MessageReader = {
        read: () => Promise.resolve(done ? null : ((done = true), Buffer.from(id))),
        close: () => { closed.push(id); return Promise.resolve(); },
      };
      return Promise.resolve(reader);
    },
    remove: () => Promise.resolve(0),
  };
  return { snapshot, opened, closed };
}

const tick = () => new Promise((r) => setImmediate(r));

test('ReadAhead hands over the message it opened early, with its first chunk, without opening it again', async () => {
  const { snapshot, opened } = fakeSnapshot();
  const ra = new ReadAhead(snapshot);
  ra.start('b', 4);
  const got = await ra.take('b', 4);
  assert.deepEqual(got?.first, Buffer.from('b'));
  assert.deepEqual(opened, ['b']);
  assert.equal(await ra.take('gone', 4), null);
});

test('ReadAhead closes a message read ahead in vain: another id was asked for, or the session ended', async () => {
  const { snapshot, opened, closed } = fakeSnapshot();
  const ra = new ReadAhead(snapshot);
  ra.start('a', 4);
  const got = await ra.take('b', 4);
  await tick();
  assert.deepEqual(got?.first, Buffer.from('b'));
  assert.deepEqual(opened, ['a', 'b']);
  assert.deepEqual(closed, ['a']);
  ra.start('a', 4);
  ra.dispose();
  await tick();
  assert.deepEqual(closed, ['a', 'a']);
});
