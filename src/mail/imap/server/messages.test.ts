// Message commands: APPEND (inline, LITERAL+, streamed, MULTIAPPEND, TRYCREATE, quota,
// oversize), FETCH items and partials, implicit \Seen, STORE forms and UNCHANGEDSINCE,
// COPY/MOVE with COPYUID, EXPUNGE/UID EXPUNGE, CLOSE/UNSELECT, EXAMINE read-only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestImap, crlf, type ImapTestServer, type RawImap } from './_test-harness.ts';

let s: ImapTestServer;
before(async () => { s = await startTestImap({ limits: { messageSizeBytes: 2 * 1024 * 1024 } }); });
after(async () => { await s.stop(); });

const MSG = crlf('From: Bob <bob@demo.test>\nTo: Alice <alice@demo.test>\nSubject: Test message\nDate: Tue, 24 Nov 2026 10:00:00 +0000\nMessage-ID: <m1@demo.test>\n\nHello Alice,\nthis is the body.\n');

async function append(c: RawImap, mailbox: string, body: string, extra = ''): Promise<string> {
  const tag = c.nextTag();
  c.send(`${tag} APPEND ${mailbox}${extra} {${Buffer.byteLength(body)}}\r\n`);
  const cont = await c.line();
  if (!cont.startsWith('+')) return cont;
  c.send(`${body}\r\n`);
  return (await c.until(tag)).tagged;
}

test('APPEND answers APPENDUID after the message is stored; flags and date are kept', async () => {
  const c = await s.login('bob@demo.test', 'builder');
  const r = await append(c, 'Drafts', MSG, ' (\\Draft $Label1) "24-Nov-2026 11:00:00 +0100"');
  assert.match(r, /OK \[APPENDUID \d+ 1\] APPEND completed/);
  await c.cmd('SELECT Drafts');
  const f = await c.cmd('FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)');
  assert.deepEqual(f.untagged, [`* 1 FETCH (FLAGS (\\Draft $Label1) INTERNALDATE "24-Nov-2026 10:00:00 +0000" RFC822.SIZE ${Buffer.byteLength(MSG)})`]);
  assert.ok(readdirSync(join(s.maildir('bob', 'Drafts'), 'cur')).some((n) => n.endsWith(',Da') || n.includes(':2,Da')), 'flags are in the file name');
  c.close();
});

test('APPEND to a missing mailbox is NO [TRYCREATE]; LITERAL+ and MULTIAPPEND; bad flags are BAD', async () => {
  const c = await s.login('bob@demo.test', 'builder');
  assert.match(await append(c, 'Nowhere', MSG), /NO \[TRYCREATE\]/);
  const tag = c.nextTag();
  const a = crlf('Subject: a\n\n1\n');
  const b = crlf('Subject: b\n\n2\n');
  c.send(`${tag} APPEND Trash (\\Seen) {${a.length}+}\r\n${a} {${b.length}+}\r\n${b}\r\n`);
  assert.match((await c.until(tag)).tagged, /OK \[APPENDUID \d+ 1:2\]/);
  assert.match(await append(c, 'Trash', MSG, ' (\\Bogus)'), /BAD APPEND: unknown system flag/);
  c.close();
});

test('a literal over the inline limit is streamed through a temp file that is deleted after', async () => {
  const c = await s.login('bob@demo.test', 'builder');
  const big = crlf(`Subject: big\n\n${'0123456789abcdef'.repeat(16 * 1024)}\n`);
  assert.match(await append(c, 'Archive', big), /OK \[APPENDUID/);
  assert.deepEqual(readdirSync(join(s.vol.layout.runDir, 'imap-tmp')), []);
  await c.cmd('SELECT Archive');
  const r = await c.cmd('FETCH 1 (RFC822.SIZE BODY.PEEK[TEXT]<262140.10>)');
  assert.match(r.untagged[0]!, new RegExp(`RFC822.SIZE ${Buffer.byteLength(big)} BODY\\[TEXT\\]<262140> \\{6\\}\r\ncdef\r\n\\)`));
  c.close();
});

test('APPEND over the size limit is refused before the data; over quota gets NO [OVERQUOTA] before the data', async () => {
  const c = await s.login('bob@demo.test', 'builder');
  const tag = c.nextTag();
  c.send(`${tag} APPEND INBOX {${3 * 1024 * 1024}}\r\n`);
  assert.match((await c.until(tag)).tagged, /BAD literal too big \(3145728 octets, limit 2097152\)/);
  // A quota set while the session is open applies at once.
  s.vol.directory.updateUser('bob@demo.test', { quotaBytes: 2000 });
  const t2 = c.nextTag();
  c.send(`${t2} APPEND INBOX {5000}\r\n`);
  assert.match((await c.until(t2)).tagged, /NO \[OVERQUOTA\] quota exceeded/);
  assert.ok((await c.cmd('NOOP')).ok, 'no literal was expected after the refusal');
  s.vol.directory.updateUser('bob@demo.test', { quotaBytes: 0 });
  c.close();
});

test('FETCH: ENVELOPE, BODYSTRUCTURE, sections, partials; BODY[] sets \\Seen, BODY.PEEK does not', async () => {
  await s.deliver('alice', MSG, { mailbox: 'Junk' });
  const c = await s.login();
  await c.cmd('SELECT Junk');
  const env = (await c.cmd('FETCH 1 (ENVELOPE BODYSTRUCTURE)')).untagged[0]!;
  assert.match(env, /ENVELOPE \("Tue, 24 Nov 2026 10:00:00 \+0000" "Test message" \(\("Bob" NIL "bob" "demo.test"\)\)/);
  assert.match(env, /BODYSTRUCTURE \("TEXT" "PLAIN" /);
  const peek = await c.cmd('FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] FLAGS)');
  assert.equal(peek.untagged[0], '* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {25}\r\nSubject: Test message\r\n\r\n FLAGS ())');
  const body = await c.cmd('FETCH 1 BODY[TEXT]<6.5>');
  assert.equal(body.untagged[0], '* 1 FETCH (BODY[TEXT]<6> {5}\r\nAlice FLAGS (\\Seen))');
  const uid = await c.cmd('UID FETCH 1:* (RFC822.SIZE)');
  assert.match(uid.untagged[0]!, /^\* 1 FETCH \(UID 1 RFC822.SIZE \d+\)$/);
  assert.equal((await c.cmd('FETCH 1 BINARY.SIZE[1]')).untagged[0], '* 1 FETCH (BINARY.SIZE[1] 33)');
  assert.match((await c.cmd('FETCH 1 (BODY[9])')).untagged[0]!, /^\* 1 FETCH \(BODY\[9\] ""\)$/);
  assert.match((await c.cmd('FETCH 5 FLAGS')).tagged, /OK/, 'a number beyond EXISTS selects nothing');
  assert.match((await c.cmd('FETCH 1 (BODY[HEADER.FIELDS ()])')).tagged, /BAD/);
  c.close();
});

test('STORE: +FLAGS, -FLAGS, FLAGS, .SILENT, keywords, UNCHANGEDSINCE with [MODIFIED]', async () => {
  const c = await s.login();
  await c.cmd('SELECT Junk');
  assert.deepEqual((await c.cmd('STORE 1 +FLAGS (\\Flagged $Important)')).untagged, ['* 1 FETCH (FLAGS (\\Flagged \\Seen $Important))']);
  assert.deepEqual((await c.cmd('STORE 1 -FLAGS.SILENT (\\Seen)')).untagged, []);
  assert.deepEqual((await c.cmd('UID STORE 1 FLAGS (\\Answered)')).untagged, ['* 1 FETCH (FLAGS (\\Answered) UID 1)']);
  const ms = (await c.cmd('FETCH 1 (MODSEQ)')).untagged[0]!;
  const modseq = /MODSEQ \((\d+)\)/.exec(ms)![1]!;
  const okStore = await c.cmd(`STORE 1 (UNCHANGEDSINCE ${modseq}) +FLAGS (\\Seen)`);
  assert.match(okStore.untagged[0]!, /^\* 1 FETCH \(FLAGS \(\\Answered \\Seen\) MODSEQ \(\d+\)\)$/);
  assert.match((await c.cmd(`STORE 1 (UNCHANGEDSINCE ${modseq}) +FLAGS (\\Draft)`)).tagged, /OK \[MODIFIED 1\]/);
  assert.match((await c.cmd('STORE 1 +FLAGS (\\Bogus)')).tagged, /BAD STORE: unknown system flag/);
  c.close();
});

test('EXAMINE is read-only: STORE and EXPUNGE are refused, FETCH BODY[] does not set \\Seen', async () => {
  await s.deliver('alice', MSG, { mailbox: 'Sent' });
  const c = await s.login();
  assert.match((await c.cmd('EXAMINE Sent')).tagged, /OK \[READ-ONLY\]/);
  assert.match((await c.cmd('STORE 1 +FLAGS (\\Seen)')).tagged, /NO \[READ-ONLY\]/);
  assert.match((await c.cmd('EXPUNGE')).tagged, /NO \[READ-ONLY\]/);
  assert.doesNotMatch((await c.cmd('FETCH 1 BODY[]')).untagged[0]!, /\\Seen/);
  assert.deepEqual((await c.cmd('FETCH 1 FLAGS')).untagged, ['* 1 FETCH (FLAGS ())']);
  c.close();
});

test('COPY and MOVE answer COPYUID; MOVE expunges the source; a missing target is [TRYCREATE]', async () => {
  const c = await s.login();
  await c.cmd('CREATE Work');
  await c.cmd('SELECT Sent');
  assert.match((await c.cmd('COPY 1 Work')).tagged, /OK \[COPYUID \d+ 1 1\] COPY completed/);
  assert.match((await c.cmd('COPY 1 Nope')).tagged, /NO \[TRYCREATE\]/);
  const mv = await c.cmd('UID MOVE 1 Work');
  assert.match(mv.untagged[0]!, /^\* OK \[COPYUID \d+ 1 2\] moved$/);
  assert.equal(mv.untagged[1], '* 1 EXPUNGE');
  assert.ok(mv.ok);
  assert.match((await c.cmd('STATUS Work (MESSAGES)')).untagged[0]!, /MESSAGES 2/);
  assert.ok((await c.cmd('UID COPY 99 Work')).ok, 'UID COPY of nothing is OK');
  c.close();
});

test('EXPUNGE reports in sequence order; UID EXPUNGE only touches its set; CLOSE expunges silently', async () => {
  const c = await s.login();
  await c.cmd('CREATE Exp');
  for (let i = 1; i <= 5; i++) await s.deliver('alice', `Subject: ${i}\n\n${i}\n`, { mailbox: 'Exp' });
  await c.cmd('SELECT Exp');
  await c.cmd('STORE 2,4,5 +FLAGS.SILENT (\\Deleted)');
  assert.deepEqual((await c.cmd('UID EXPUNGE 4:5')).untagged, ['* 5 EXPUNGE', '* 4 EXPUNGE']);
  assert.deepEqual((await c.cmd('EXPUNGE')).untagged, ['* 2 EXPUNGE']);
  await c.cmd('STORE 1 +FLAGS.SILENT (\\Deleted)');
  const close = await c.cmd('CLOSE');
  assert.deepEqual(close.untagged, []);
  assert.match((await c.cmd('STATUS Exp (MESSAGES)')).untagged[0]!, /MESSAGES 1/);
  assert.match((await c.cmd('FETCH 1 FLAGS')).tagged, /BAD FETCH needs a selected mailbox/);
  await c.cmd('SELECT Exp');
  await c.cmd('STORE 1 +FLAGS.SILENT (\\Deleted)');
  assert.ok((await c.cmd('UNSELECT')).ok);
  assert.match((await c.cmd('STATUS Exp (MESSAGES DELETED)')).untagged[0]!, /MESSAGES 1 DELETED 1/);
  c.close();
});

test('the 27th keyword of a folder is NO [LIMIT]; PERMANENTFLAGS then stops offering \\*', async () => {
  const c = await s.login('bob@demo.test', 'builder');
  await c.cmd('CREATE Kw');
  await s.deliver('bob', 'Subject: k\n\nk\n', { mailbox: 'Kw' });
  await c.cmd('SELECT Kw');
  const kws = Array.from({ length: 26 }, (_, i) => `$k${i}`);
  assert.ok((await c.cmd(`STORE 1 +FLAGS.SILENT (${kws.join(' ')})`)).ok);
  assert.match((await c.cmd('STORE 1 +FLAGS ($one-too-many)')).tagged, /NO \[LIMIT\]/);
  const sel = await c.cmd('SELECT Kw');
  const perm = sel.untagged.find((l) => l.includes('PERMANENTFLAGS'))!;
  assert.ok(perm.includes('$k25') && !perm.includes('\\*'), perm);
  c.close();
});

test('a failed SELECT leaves the session authenticated; with QRESYNC a re-SELECT starts with * OK [CLOSED]', async () => {
  const c = await s.login();
  await c.cmd('SELECT INBOX');
  assert.match((await c.cmd('SELECT Nope')).tagged, /NO \[NONEXISTENT\]/);
  assert.match((await c.cmd('FETCH 1 FLAGS')).tagged, /BAD FETCH needs a selected mailbox/);
  await c.cmd('ENABLE QRESYNC');
  await c.cmd('SELECT INBOX');
  const again = await c.cmd('EXAMINE Sent');
  assert.equal(again.untagged[0], '* OK [CLOSED] previous mailbox closed');
  assert.match(again.tagged, /OK \[READ-ONLY\]/);
  c.close();
});
