// Untagged updates between sessions (RFC 9051 7.4.1): no EXPUNGE after FETCH/STORE/SEARCH
// by sequence number, EXISTS and FETCH FLAGS from other sessions, IDLE woken by another
// process's delivery, QRESYNC (VANISHED), and a mailbox deleted or re-created under a session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startTestImap, type ImapTestServer } from './_test-harness.ts';

let s: ImapTestServer;
before(async () => { s = await startTestImap(); });
after(async () => { await s.stop(); });

async function fill(mailbox: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await s.deliver('alice', `Subject: ${i}\n\nbody ${i}\n`, { mailbox });
}

test('an expunge by another session is held back during FETCH/STORE by sequence number and sent at NOOP', async () => {
  const a = await s.login();
  const b = await s.login();
  await a.cmd('CREATE Two');
  await fill('Two', 3);
  await a.cmd('SELECT Two');
  await b.cmd('SELECT Two');
  await b.cmd('STORE 2 +FLAGS.SILENT (\\Deleted)');
  await b.cmd('EXPUNGE');
  const fetch = await a.cmd('FETCH 1:* (UID)');
  assert.ok(!fetch.raw.includes(' EXPUNGE\r\n'), fetch.raw);
  assert.equal(fetch.untagged.filter((l) => / FETCH \(UID /.test(l)).length, 2, 'the expunged message is not served');
  assert.match(fetch.tagged, /NO \[EXPUNGEISSUED\] messages 2 were expunged/);
  const store = await a.cmd('STORE 3 +FLAGS (\\Seen)');
  assert.deepEqual(store.untagged, ['* 3 FETCH (FLAGS (\\Seen))'], 'sequence numbers did not move yet');
  const noop = await a.cmd('NOOP');
  assert.deepEqual(noop.untagged, ['* 2 EXPUNGE']);
  assert.deepEqual((await a.cmd('FETCH 2 (UID)')).untagged, ['* 2 FETCH (UID 3)']);
  a.close();
  b.close();
});

test('UID commands may receive EXPUNGE; new messages from another session arrive as EXISTS', async () => {
  const a = await s.login();
  const b = await s.login();
  await a.cmd('CREATE Three');
  await fill('Three', 2);
  await a.cmd('SELECT Three');
  await b.cmd('SELECT Three');
  await b.cmd('UID STORE 1 +FLAGS.SILENT (\\Deleted)');
  await b.cmd('EXPUNGE');
  const uf = await a.cmd('UID FETCH 2 (FLAGS)');
  assert.deepEqual(uf.untagged.filter((l) => l.includes('EXPUNGE')), ['* 1 EXPUNGE'], uf.raw);
  const tag = b.nextTag();
  const m = 'Subject: new\r\n\r\nx\r\n';
  b.send(`${tag} APPEND Three {${m.length}+}\r\n${m}\r\n`);
  assert.ok((await b.until(tag)).ok);
  assert.ok((await a.cmd('NOOP')).untagged.includes('* 2 EXISTS'));
  a.close();
  b.close();
});

test('IDLE: a delivery by another process (a file in new/) reaches the client without a command', async () => {
  const a = await s.login();
  await a.cmd('CREATE Idle');
  await a.cmd('SELECT Idle');
  const tag = a.nextTag();
  a.send(`${tag} IDLE\r\n`);
  assert.equal(await a.line(), '+ idling');
  await s.deliver('alice', 'Subject: pushed\n\nhi\n', { mailbox: 'Idle' });
  assert.equal(await a.line(10_000), '* 1 EXISTS');
  a.send('DONE\r\n');
  assert.match((await a.until(tag)).tagged, /OK IDLE terminated/);
  assert.equal(s.service.deps.watches.size > 0, true);
  await a.cmd('LOGOUT');
});

test('IDLE without DONE: anything else ends it with BAD', async () => {
  const a = await s.login();
  const tag = a.nextTag();
  a.send(`${tag} IDLE\r\n`);
  await a.line();
  a.send('NOOP\r\n');
  assert.match((await a.until(tag)).tagged, /BAD expected DONE/);
  a.close();
});

test('QRESYNC: SELECT reports VANISHED (EARLIER) and changed flags since the known MODSEQ', async () => {
  const a = await s.login();
  await a.cmd('CREATE Q');
  await fill('Q', 4);
  await a.cmd('ENABLE QRESYNC');
  const sel = await a.cmd('SELECT Q');
  const uv = /UIDVALIDITY (\d+)/.exec(sel.raw)![1]!;
  const ms = /HIGHESTMODSEQ (\d+)/.exec(sel.raw)![1]!;
  await a.cmd('STORE 1 +FLAGS.SILENT (\\Flagged)');
  await a.cmd('STORE 3 +FLAGS.SILENT (\\Deleted)');
  const exp = await a.cmd('EXPUNGE');
  assert.deepEqual(exp.untagged, ['* VANISHED 3'], 'VANISHED instead of EXPUNGE after ENABLE QRESYNC');
  await a.cmd('UNSELECT');
  const again = await a.cmd(`SELECT Q (QRESYNC (${uv} ${ms} 1:4))`);
  assert.ok(again.untagged.includes('* VANISHED (EARLIER) 3'), again.raw);
  assert.ok(again.untagged.some((l) => /^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$/.test(l)), again.raw);
  assert.ok(!again.untagged.some((l) => /FETCH \(UID 2 /.test(l)), 'unchanged messages are not sent');
  const fv = await a.cmd(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${ms} VANISHED)`);
  assert.equal(fv.untagged[0], '* VANISHED (EARLIER) 3');
  assert.match((await a.cmd(`SELECT Q (QRESYNC (1 ${ms}))`)).tagged, /OK/, 'another UIDVALIDITY: a plain SELECT');
  a.close();
});

test('CONDSTORE: FETCH CHANGEDSINCE returns only changed messages with MODSEQ; SEARCH MODSEQ', async () => {
  const a = await s.login();
  await a.cmd('CREATE C');
  await fill('C', 3);
  const sel = await a.cmd('SELECT C (CONDSTORE)');
  const ms = /HIGHESTMODSEQ (\d+)/.exec(sel.raw)![1]!;
  await a.cmd('STORE 2 +FLAGS.SILENT (\\Answered)');
  const r = await a.cmd(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${ms})`);
  assert.equal(r.untagged.length, 1);
  assert.match(r.untagged[0]!, /^\* 2 FETCH \(FLAGS \(\\Answered\) MODSEQ \(\d+\)\)$/);
  a.close();
});

test('a mailbox deleted by another session: the selecting session gets BYE, never stale UIDs', async () => {
  const a = await s.login();
  const b = await s.login();
  await a.cmd('CREATE Doomed');
  await fill('Doomed', 1);
  await a.cmd('SELECT Doomed');
  assert.ok((await b.cmd('DELETE Doomed')).ok);
  const r = await a.cmd('NOOP');
  assert.ok(r.untagged.some((l) => /^\* BYE mailbox Doomed was deleted/.test(l)), r.raw);
  assert.ok(await a.waitClosed());
  b.close();
});

test('the folder removed by another program: the watch notices and the session says BYE', async () => {
  const a = await s.login();
  await a.cmd('CREATE Vanish');
  await a.cmd('SELECT Vanish');
  rmSync(s.maildir('alice', 'Vanish'), { recursive: true, force: true });
  // The next NOOP's sync fails on the missing directory; the session must not answer from memory.
  const r = await a.cmd('NOOP').catch((e: Error) => ({ raw: e.message, untagged: [] as string[] }));
  assert.ok(r.untagged.some((l) => /^\* BYE mailbox Vanish was deleted or renamed by another program/.test(l)), r.raw);
  assert.ok(await a.waitClosed());
});

test('FETCH while another session keeps renaming the same files with STORE never reports them expunged (BUG-1)', async () => {
  const a = await s.login();
  const b = await s.login();
  await a.cmd('CREATE Busy');
  await fill('Busy', 20);
  await a.cmd('SELECT Busy');
  await b.cmd('SELECT Busy');
  let storing = true;
  const storer = (async () => {
    for (let i = 0; storing && i < 400; i++) await b.cmd(`STORE 1:20 ${i % 2 ? '-' : '+'}FLAGS.SILENT (\\Flagged)`);
  })();
  try {
    for (let i = 0; i < 15; i++) {
      const r = await a.cmd('FETCH 1:20 (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
      assert.ok(r.ok, r.tagged);
      assert.equal(r.untagged.filter((l) => l.includes('BODY[HEADER.FIELDS (SUBJECT)]')).length, 20);
    }
  } finally {
    storing = false;
    await storer;
  }
  a.close();
  b.close();
});

test('a command pipelined in the same packet as DONE is run, not lost', async () => {
  const a = await s.login();
  await a.cmd('SELECT INBOX');
  const tag = a.nextTag();
  a.send(`${tag} IDLE\r\n`);
  assert.equal(await a.line(), '+ idling');
  a.send('DONE\r\nz9 NOOP\r\n');
  assert.ok((await a.until(tag)).ok);
  assert.equal((await a.until('z9')).tagged, 'z9 OK NOOP completed');
  a.close();
});
