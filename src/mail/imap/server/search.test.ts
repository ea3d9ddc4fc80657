// SEARCH, ESEARCH (RETURN MIN MAX ALL COUNT SAVE and "$"), CHARSET handling, SORT and THREAD
// through the real message layer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestImap, type ImapTestServer, type RawImap } from './_test-harness.ts';

let s: ImapTestServer;
let c: RawImap;

before(async () => {
  s = await startTestImap();
  const msgs = [
    'From: Carol <carol@example.com>\nSubject: Budget 2027\nDate: Mon, 02 Nov 2026 09:00:00 +0000\nMessage-ID: <a@x>\n\nthe numbers\n',
    'From: Dave <dave@example.com>\nSubject: Re: Budget 2027\nDate: Tue, 03 Nov 2026 09:00:00 +0000\nMessage-ID: <b@x>\nIn-Reply-To: <a@x>\nReferences: <a@x>\n\nlooks fine\n',
    'From: Alice <alice@demo.test>\nSubject: Lunch\nDate: Sun, 01 Nov 2026 12:00:00 +0000\nMessage-ID: <c@x>\n\nnoon?\n',
    'From: Bob <bob@demo.test>\nSubject: Zebra report\nDate: Wed, 04 Nov 2026 09:00:00 +0000\nMessage-ID: <d@x>\n\nstripes and numbers\n',
  ];
  for (const m of msgs) await s.deliver('alice', m, { mailbox: 'Archive' });
  c = await s.login();
  await c.cmd('SELECT Archive');
  await c.cmd('STORE 2 +FLAGS.SILENT (\\Flagged)');
});
after(async () => { c.close(); await s.stop(); });

test('SEARCH by text, header and flags; UID SEARCH answers UIDs', async () => {
  assert.deepEqual((await c.cmd('SEARCH BODY numbers')).untagged, ['* SEARCH 1 4']);
  assert.deepEqual((await c.cmd('SEARCH SUBJECT budget NOT FLAGGED')).untagged, ['* SEARCH 1']);
  assert.deepEqual((await c.cmd('SEARCH OR FROM carol FROM dave')).untagged, ['* SEARCH 1 2']);
  assert.deepEqual((await c.cmd('UID SEARCH FLAGGED')).untagged, ['* SEARCH 2']);
  assert.deepEqual((await c.cmd('SEARCH CHARSET UTF-8 SUBJECT lunch')).untagged, ['* SEARCH 3']);
  assert.deepEqual((await c.cmd('SEARCH SENTBEFORE 2-Nov-2026')).untagged, ['* SEARCH 3']);
});

test('SEARCH with an unknown charset is NO [BADCHARSET (UTF-8 US-ASCII)]', async () => {
  assert.match((await c.cmd('SEARCH CHARSET KOI8-R ALL')).tagged, /NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/);
});

test('ESEARCH: RETURN (MIN MAX COUNT ALL); SAVE then "$" in a later command', async () => {
  const r = await c.cmd('UID SEARCH RETURN (MIN MAX COUNT ALL) BODY numbers');
  assert.match(r.untagged[0]!, /^\* ESEARCH \(TAG "a\d+"\) UID MIN 1 MAX 4 ALL 1,4 COUNT 2$/);
  const saved = await c.cmd('SEARCH RETURN (SAVE) FROM carol');
  assert.deepEqual(saved.untagged, [], 'SAVE alone returns no ESEARCH');
  assert.deepEqual((await c.cmd('FETCH $ (UID)')).untagged, ['* 1 FETCH (UID 1)']);
  assert.deepEqual((await c.cmd('SEARCH $')).untagged, ['* SEARCH 1']);
  assert.match((await c.cmd('SEARCH RETURN (COUNT) NOT ALL')).untagged[0]!, /COUNT 0$/);
});

test('SORT by date, reverse subject, and UID SORT', async () => {
  assert.deepEqual((await c.cmd('SORT (DATE) UTF-8 ALL')).untagged, ['* SORT 3 1 2 4']);
  assert.deepEqual((await c.cmd('SORT (REVERSE SUBJECT) UTF-8 ALL')).untagged, ['* SORT 4 3 1 2']);
  assert.deepEqual((await c.cmd('UID SORT (FROM) UTF-8 ALL')).untagged, ['* SORT 3 4 1 2']);
  assert.match((await c.cmd('SORT (DATE) KOI8-R ALL')).tagged, /NO \[BADCHARSET/);
});

test('THREAD REFERENCES links the reply; ORDEREDSUBJECT groups by base subject', async () => {
  assert.deepEqual((await c.cmd('THREAD REFERENCES UTF-8 ALL')).untagged, ['* THREAD (3)(1 2)(4)']);
  assert.deepEqual((await c.cmd('THREAD ORDEREDSUBJECT UTF-8 ALL')).untagged, ['* THREAD (3)(1 2)(4)'], 'threads in order of their first date');
  assert.match((await c.cmd('THREAD FOO UTF-8 ALL')).tagged, /BAD unknown THREAD algorithm FOO/);
});

test('after ENABLE IMAP4rev2 SEARCH answers ESEARCH', async () => {
  const d = await s.login();
  await d.cmd('ENABLE IMAP4rev2');
  const sel = await d.cmd('SELECT Archive');
  assert.ok(sel.untagged.includes('* LIST () "/" "Archive"'), 'rev2 SELECT includes LIST');
  assert.ok(!sel.untagged.some((l) => l.includes('RECENT')), 'no RECENT in rev2');
  assert.match((await d.cmd('SEARCH FLAGGED')).untagged[0]!, /^\* ESEARCH \(TAG "a\d+"\) ALL 2$/);
  d.close();
});
