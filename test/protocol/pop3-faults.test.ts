// POP3 when storage fails (STYLE "Errors"): an unexpected failure before any output
// becomes "-ERR [SYS/TEMP] internal error (id)" and the session goes on; a failure in
// the middle of a RETR drops the connection, so the client never sees a false end.
// A slow store is not mistaken for an idle client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPop3, RawClient, type Pop3Fixture } from './pop3-helpers.ts';
import { MaildirPop3Store } from '../../src/mail/pop3/server/maildir-store.ts';
import type { MailboxSnapshot, Pop3Store } from '../../src/mail/pop3/server/store.ts';
import type { User } from '../../src/mail/directory/directory.ts';

/** Wraps the maildir store; each flag makes one operation fail with EIO. */
class FaultyStore implements Pop3Store {
  inner: Pop3Store | null = null;
  failSnapshot = false;
  snapshotDelayMs = 0;
  failOpen = false;
  /** Fail reads after this many successful ones (null: never). */
  failReadAfter: number | null = null;

  async snapshot(user: User): Promise<MailboxSnapshot> {
    if (this.failSnapshot) throw Object.assign(new Error('EIO: snapshot'), { code: 'EIO' });
    if (this.snapshotDelayMs > 0) await new Promise((r) => setTimeout(r, this.snapshotDelayMs));
    const snap = await this.inner!.snapshot(user);
    return {
      messages: snap.messages,
      remove: (ids) => snap.remove(ids),
      open: async (id) => {
        if (this.failOpen) throw Object.assign(new Error('EIO: open'), { code: 'EIO' });
        const reader = await snap.open(id);
        if (!reader) return null;
        let reads = 0;
        return {
          read: (max) => {
            if (this.failReadAfter !== null && reads++ >= this.failReadAfter) return Promise.reject(Object.assign(new Error('EIO: read'), { code: 'EIO' }));
            return reader.read(max);
          },
          close: () => reader.close(),
        };
      },
    };
  }
}

const store = new FaultyStore();
let f: Pop3Fixture;
before(async () => {
  f = await startPop3({ limits: { pop3IdleTimeoutSeconds: 1 } }, { store });
  store.inner = new MaildirPop3Store(f.ctx.layout);
  await f.deliver('alice', 'Subject: small\n\nx\n');
  await f.deliver('alice', Buffer.alloc(512 * 1024, 'a'));
});
after(() => f.stop());

async function open(): Promise<RawClient> {
  const c = await RawClient.open(f.port);
  await c.line();
  return c;
}

test('a maildrop that cannot be opened at login gives [SYS/TEMP] and leaves the mailbox unlocked', async () => {
  store.failSnapshot = true;
  const c = await open();
  try {
    assert.equal(await c.login(), '-ERR [SYS/TEMP] cannot open the maildrop now; try again later');
  } finally {
    store.failSnapshot = false;
  }
  assert.match(await c.login(), /^\+OK alice@demo\.test has 2 messages/, 'no lock was left behind');
  await c.quit();
});

test('a slow server is not an idle client: a login that takes longer than the idle timeout completes', async () => {
  store.snapshotDelayMs = 1500;
  const c = await open();
  try {
    assert.match(await c.login(), /^\+OK alice@demo\.test has 2 messages/);
  } finally {
    store.snapshotDelayMs = 0;
  }
  await c.quit();
});

test('an unexpected error before any output becomes -ERR [SYS/TEMP] internal error (id), and the session goes on', async () => {
  const c = await open();
  await c.login();
  store.failOpen = true;
  try {
    assert.match(await c.cmd('RETR 1'), /^-ERR \[SYS\/TEMP\] internal error \([0-9a-z]+\); try again later$/);
  } finally {
    store.failOpen = false;
  }
  assert.match(await c.cmd('RETR 1'), /^\+OK \d+ octets$/);
  assert.deepEqual(await c.body(), ['Subject: small', '', 'x']);
  await c.quit();
});

test('a read error in the middle of a RETR drops the connection without the terminator', async () => {
  const c = await open();
  await c.login();
  store.failReadAfter = 2;
  try {
    assert.equal(await c.cmd('RETR 2'), `+OK ${512 * 1024} octets`);
    const lines: string[] = [];
    for (let l = await c.line(); l !== null; l = await c.line()) lines.push(l);
    assert.ok(!lines.includes('.'), 'no terminator: the client must not take a partial message as whole');
    assert.ok(c.closed);
  } finally {
    store.failReadAfter = null;
  }
  // The lock went with the connection.
  let reply = '';
  for (let i = 0; i < 50 && !reply.startsWith('+OK'); i++) {
    const d = await open();
    reply = await d.login();
    await d.quit();
  }
  assert.match(reply, /^\+OK alice@demo\.test has 2 messages/);
});
