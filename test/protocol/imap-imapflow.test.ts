// IMAP against imapflow, the Node IMAP client many mail apps use: special-use LIST,
// BODYSTRUCTURE, part download, APPEND, MOVE, flags, SEARCH, a CONDSTORE/QRESYNC resync
// after another session's changes, and IDLE hearing an SMTP delivery made through the
// real smtp process on the same volume.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ImapFlow, type ExpungeEvent, type FlagsEvent } from 'imapflow';
import { createTransport } from 'nodemailer';
import { startImap, fixtureMessage, eventually, type ImapFixture } from '../helpers/imap.ts';
import { listMaildir } from '../../src/mail/storage/maildir.ts';

let f: ImapFixture;
const PASSWORDS: Record<string, string> = { alice: 'wonderland', bob: 'builder', carol: 'christmas', dave: 'daisy-bell' };
const clients: ImapFlow[] = [];

before(async () => {
  f = await startImap({}, { users: [['carol', 'christmas'], ['dave', 'daisy-bell']] });
  await f.deliver('alice', fixtureMessage('plain.eml'));
  await f.deliver('alice', fixtureMessage('nested.eml'));
  for (let i = 1; i <= 3; i++) await f.deliver('carol', `Subject: sync ${i}\n\nmessage ${i}\n`);
});
after(async () => {
  await Promise.all(clients.map((c) => c.logout().catch(() => c.close())));
  await f?.stop();
});

/** A connected client; cleartext port with STARTTLS, the volume certificate trusted. */
async function connect(local: string, opts: { qresync?: boolean } = {}): Promise<ImapFlow> {
  const c = new ImapFlow({
    host: '127.0.0.1', port: f.port, secure: false,
    auth: { user: `${local}@demo.test`, pass: PASSWORDS[local]! },
    tls: { ca: [readFileSync(f.certFile)] },
    logger: false, disableAutoIdle: true, qresync: opts.qresync ?? false,
  });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

test('imapflow lists the mailboxes with the server\'s special-use attributes (RFC 6154) after STARTTLS', async () => {
  const c = await connect('alice');
  assert.equal(c.secureConnection, true, 'imapflow upgraded with STARTTLS');
  const list = await c.list();
  const byPath = new Map(list.map((m) => [m.path, m]));
  assert.ok(byPath.has('INBOX'));
  for (const [path, use] of [['Drafts', '\\Drafts'], ['Sent', '\\Sent'], ['Trash', '\\Trash'], ['Junk', '\\Junk'], ['Archive', '\\Archive']] as const) {
    const m = byPath.get(path);
    assert.ok(m, `${path} is listed: ${[...byPath.keys()].join(', ')}`);
    assert.equal(m.specialUse, use);
    assert.equal(m.specialUseSource, 'extension', `${path}: the attribute came from the server, not from its name`);
    assert.equal(m.delimiter, '/');
  }
  await c.logout();
});

test('imapflow fetches the BODYSTRUCTURE tree and downloads decoded parts, also inside an attached message', async () => {
  const c = await connect('alice');
  await c.mailboxOpen('INBOX', { readOnly: true });
  const msg = await c.fetchOne('2', { uid: true, envelope: true, bodyStructure: true, size: true });
  assert.ok(msg);
  assert.equal(msg.envelope?.subject, 'Quarterly report with attachments');
  const bs = msg.bodyStructure!;
  assert.equal(bs.type, 'multipart/mixed');
  const [alt, pdf, rfc822] = bs.childNodes ?? [];
  assert.equal(alt?.type, 'multipart/alternative');
  assert.deepEqual(alt?.childNodes?.map((n) => [n.part, n.type]), [['1.1', 'text/plain'], ['1.2', 'text/html']]);
  assert.equal(pdf?.part, '2');
  assert.equal(pdf?.type, 'application/pdf');
  assert.equal(pdf?.encoding, 'base64');
  assert.equal(pdf?.disposition, 'attachment');
  assert.equal(pdf?.dispositionParameters?.filename, 'report.pdf');
  assert.equal(rfc822?.type, 'message/rfc822');
  assert.equal(rfc822?.envelope?.subject, 'Inner message');

  const readAll = async (part: string): Promise<Buffer> => {
    const d = await c.download('2', part);
    assert.ok(d.content, `part ${part} downloads`);
    const chunks: Buffer[] = [];
    for await (const chunk of d.content) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const pdfBytes = await readAll('2');
  assert.ok(pdfBytes.subarray(0, 8).equals(Buffer.from('%PDF-1.4')), 'the base64 part is decoded');
  assert.ok(pdfBytes.toString('latin1').includes('%%EOF'));
  const png = await readAll('3.2');
  assert.ok(png.subarray(1, 4).equals(Buffer.from('PNG')), 'a part of the attached message');
  assert.equal((await readAll('1.1')).toString(), 'The report is attached. Plain text version.');
  await c.logout();
});

test('imapflow APPENDs, changes flags, SEARCHes and MOVEs with UIDPLUS answers', async () => {
  const c = await connect('bob');
  const raw = 'From: bob@demo.test\r\nTo: alice@demo.test\r\nSubject: imapflow draft\r\n\r\nwritten by imapflow\r\n';
  const appended = await c.append('INBOX', raw, ['\\Draft']);
  assert.ok(appended && appended.uid, `APPENDUID: ${JSON.stringify(appended, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  await c.append('INBOX', 'Subject: second\r\n\r\nsecond\r\n');
  await c.mailboxOpen('INBOX');
  const uid = appended.uid;
  assert.ok(await c.messageFlagsAdd(String(uid), ['\\Flagged', '\\Seen', '$Label1'], { uid: true }));
  assert.ok(await c.messageFlagsRemove(String(uid), ['\\Seen'], { uid: true }));
  const flagged = await c.fetchOne(String(uid), { flags: true }, { uid: true });
  assert.ok(flagged);
  assert.deepEqual([...flagged.flags!].sort(), ['$Label1', '\\Draft', '\\Flagged']);

  assert.deepEqual(await c.search({ flagged: true }, { uid: true }), [uid]);
  assert.deepEqual(await c.search({ subject: 'imapflow draft' }, { uid: true }), [uid]);
  assert.deepEqual(await c.search({ keyword: '$Label1' }, { uid: true }), [uid]);
  assert.equal((await c.search({ seen: false }, { uid: true }) || []).length, 2);
  assert.deepEqual(await c.search({ body: 'no such words anywhere' }), []);

  const moved = await c.messageMove(String(uid), 'Archive', { uid: true });
  assert.ok(moved && moved.uidMap, 'COPYUID from MOVE (RFC 6851)');
  const newUid = moved.uidMap.get(uid);
  assert.ok(newUid);
  assert.deepEqual(await c.search({ all: true }, { uid: true }), [uid + 1], 'the moved message left INBOX');
  await c.mailboxOpen('Archive');
  const there = await c.fetchOne(String(newUid), { flags: true, envelope: true }, { uid: true });
  assert.ok(there);
  assert.equal(there.envelope?.subject, 'imapflow draft');
  assert.ok(there.flags?.has('$Label1') && there.flags.has('\\Flagged'), 'MOVE keeps flags and keywords');
  assert.equal((await listMaildir(f.maildir('bob', 'Archive'))).length, 1);
  await c.logout();
});

test('CONDSTORE/QRESYNC: a client that comes back learns the flag changes and expunges another session made', async () => {
  const first = await connect('carol', { qresync: true });
  const box = await first.mailboxOpen('INBOX');
  const { uidValidity, highestModseq } = box;
  assert.ok(highestModseq, 'SELECT reports HIGHESTMODSEQ');
  await first.logout();

  const other = await connect('carol');
  await other.mailboxOpen('INBOX');
  await other.messageFlagsAdd('1', ['\\Answered'], { uid: true });
  await other.messageDelete('2', { uid: true });
  await other.logout();

  const back = await connect('carol', { qresync: true });
  const flags: FlagsEvent[] = [];
  const expunged: ExpungeEvent[] = [];
  back.on('flags', (e: FlagsEvent) => flags.push(e));
  back.on('expunge', (e: ExpungeEvent) => expunged.push(e));
  const reopened = await back.mailboxOpen('INBOX', { uidValidity, changedSince: highestModseq });
  assert.equal(reopened.uidValidity, uidValidity, 'UIDVALIDITY unchanged');
  assert.ok(reopened.highestModseq! > highestModseq, 'HIGHESTMODSEQ went up');
  assert.deepEqual(expunged.map((e) => [e.uid, e.vanished, e.earlier]), [[2, true, true]], 'VANISHED (EARLIER) 2');
  const changed = flags.find((e) => e.uid === 1);
  assert.ok(changed?.flags.has('\\Answered'), `FETCH of UID 1 with \\Answered: ${JSON.stringify(flags.map((e) => [e.uid, [...e.flags]]))}`);
  assert.ok(!flags.some((e) => e.uid === 3), 'UID 3 did not change and is not reported');

  // CONDSTORE FETCH CHANGEDSINCE (RFC 7162 3.1.4) on the same data.
  const since: number[] = [];
  for await (const m of back.fetch('1:*', { uid: true, flags: true }, { uid: true, changedSince: highestModseq })) since.push(m.uid);
  assert.deepEqual(since, [1]);
  await back.logout();
});

test('IDLE: a message delivered through the smtp process arrives as EXISTS without polling', async () => {
  const smtpPort = await f.smtpPort();
  const c = await connect('dave');
  await c.mailboxOpen('INBOX');
  const exists = new Promise<number>((resolve) => c.on('exists', (e: { count: number }) => resolve(e.count)));
  void c.idle().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 200)); // IDLE is on the wire

  const mailer = createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, tls: { rejectUnauthorized: false } });
  const info = await mailer.sendMail({ from: 'someone@example.org', to: 'dave@demo.test', subject: 'while idling', text: 'ping' });
  assert.match(String(info.response), /^250/);
  let timer: NodeJS.Timeout | undefined;
  const count = await Promise.race([exists, new Promise<null>((r) => { timer = setTimeout(() => r(null), 10_000); })]);
  clearTimeout(timer);
  assert.equal(count, 1, 'EXISTS arrived during IDLE within 10 s of the SMTP 250');
  await eventually(async () => (await listMaildir(f.maildir('dave'))).length === 1, 'the delivered file');
  await c.logout();
});
