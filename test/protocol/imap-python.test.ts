// IMAP against Python's imaplib, a client nobody here wrote: one script per scenario
// (test/fixtures/imap/py/), each printing what the server answered as JSON.
// Users keep the scenarios apart: alice reads, bob searches, carol changes, dave appends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImap, imaplib, fixtureMessage, type ImapFixture } from '../helpers/imap.ts';
import { listMaildir } from '../../src/mail/storage/maildir.ts';

interface R { typ: string; data: unknown }
type Out = Record<string, R>;

let f: ImapFixture;
const PLAIN = fixtureMessage('plain.eml');
const NESTED = fixtureMessage('nested.eml');
const UTF8 = fixtureMessage('utf8.eml');

before(async () => {
  f = await startImap({}, { users: [['carol', 'christmas'], ['dave', 'daisy-bell']] });
  for (const local of ['alice', 'bob', 'carol']) {
    await f.deliver(local, PLAIN, local === 'bob' ? { flags: 'S' } : {});
    await f.deliver(local, NESTED);
    await f.deliver(local, UTF8);
  }
});
after(() => f?.stop());

const login = (local: string, mode = 'plain'): Array<string | number> => {
  const pass: Record<string, string> = { alice: 'wonderland', bob: 'builder', carol: 'christmas', dave: 'daisy-bell' };
  return [mode, mode === 'ssl' ? f.tlsPort : f.port, `${local}@demo.test`, pass[local]!];
};

/** All the text of an imaplib result (lines and literals), for regex checks. */
function flat(r: R | undefined): string {
  const walk = (v: unknown): string => (Array.isArray(v) ? v.map(walk).join('\n') : v === null || v === undefined ? '' : String(v));
  return walk(r?.data);
}

/** The literal of a FETCH result: imaplib gives [[head, literal], ')']. */
function literal(r: R | undefined): string {
  const first = (r?.data as unknown[] | undefined)?.[0];
  assert.ok(Array.isArray(first), `expected a literal in ${JSON.stringify(r)}`);
  return String(first[1]);
}

test('imaplib: LOGIN refuses a wrong password, then LIST shows INBOX and the special-use folders, STATUS counts, CREATE nests', async () => {
  const r = await imaplib<Out>('login_list', f.certFile, login('dave'));
  assert.match(String(r.welcome), /^\* OK/);
  assert.ok((r.caps_before as unknown as string[]).includes('IMAP4REV1'), 'imaplib needs IMAP4rev1 in the greeting capabilities');
  assert.equal(r.bad_login!.typ, 'ERROR');
  assert.match(String(r.bad_login!.data), /AUTHENTICATIONFAILED|invalid|fail/i);
  assert.equal(r.login!.typ, 'OK');
  const list = flat(r.list);
  for (const name of ['INBOX', 'Drafts', 'Sent', 'Trash', 'Junk', 'Archive']) assert.match(list, new RegExp(`"/" "?${name}"?$`, 'm'), `LIST has ${name}:\n${list}`);
  assert.match(list, /\(.*\\Sent.*\) "\/" "?Sent"?/, 'special-use attribute on Sent (RFC 6154)');
  assert.match(flat(r.list_pattern), /"\/" "?INBOX"?$/);
  assert.equal((r.list_pattern!.data as string[]).length, 1, 'LIST "" INBOX matches one mailbox');
  assert.match(flat(r.lsub), /"\/" "?Sent"?/, 'the special-use folders are subscribed');
  assert.match(flat(r.status), /INBOX"? \(.*MESSAGES 0.*\)/);
  assert.match(flat(r.status), /UIDNEXT \d+/);
  assert.equal(r.create!.typ, 'OK');
  assert.match(flat(r.list_after_create), /"\/" "?Projects\/Tandem"?/);
  assert.equal(r.logout!.typ, 'BYE');
});

test('imaplib: SELECT and FETCH of flags, sizes, envelope, bodystructure, nested MIME sections and partials; PEEK leaves \\Seen alone', async () => {
  const r = await imaplib<Out>('fetch', f.certFile, login('alice'));
  assert.equal(r.select!.typ, 'OK');
  assert.deepEqual(r.exists, ['3']);
  assert.match(String((r.uidvalidity as unknown as string[])[0]), /^\d+$/);
  assert.deepEqual(r.uidnext, ['4']);
  assert.match(String((r.flags as unknown as string[])[0]), /\\Seen/);

  const all = r.all!.data as string[];
  assert.equal(all.length, 3);
  [PLAIN, NESTED, UTF8].forEach((msg, i) => {
    assert.match(all[i]!, new RegExp(`^${i + 1} \\(`));
    assert.match(all[i]!, new RegExp(`UID ${i + 1}\\b`));
    assert.match(all[i]!, new RegExp(`RFC822.SIZE ${msg.length}\\b`), 'RFC822.SIZE is the stored (CRLF) size');
    assert.match(all[i]!, /INTERNALDATE "\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}"/);
  });

  const env = flat(r.envelope);
  assert.match(env, /ENVELOPE \("Mon, 02 Nov 2026 10:15:00 \+0100" "Lunch on Friday" \(\("Carol Example" NIL "carol" "example.org"\)\)/);
  assert.match(env, /\(\("Alice Liddell" NIL "alice" "demo.test"\)\) \(\(NIL NIL "bob" "demo.test"\)\) NIL NIL "<lunch-1@example.org>"\)/, 'to, cc, bcc, in-reply-to, message-id');

  const bs = flat(r.bodystructure);
  assert.match(bs, /^2 \(BODYSTRUCTURE \(\(\("TEXT" "PLAIN" \("CHARSET" "us-ascii"\)/i, 'multipart/mixed > multipart/alternative > text/plain');
  assert.match(bs, /"TEXT" "HTML"/i);
  assert.match(bs, /"ALTERNATIVE"/i);
  assert.match(bs, /"APPLICATION" "PDF" \("NAME" "report.pdf"\) NIL NIL "BASE64"/i);
  assert.match(bs, /"MESSAGE" "RFC822" NIL NIL NIL "7BIT" \d+ \(".*" "Inner message"/i, 'message/rfc822 carries the inner envelope');
  assert.match(bs, /"IMAGE" "PNG"/i);
  assert.match(bs, /"MIXED"/i);

  assert.equal(literal(r.part_1_2), '<p>The report is attached. <b>HTML</b> version.</p>');
  assert.equal(literal(r.part_2_mime), 'Content-Type: application/pdf; name="report.pdf"\r\nContent-Disposition: attachment; filename="report.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n');
  assert.match(literal(r.part_3_header), /^From: Erin Forward <erin@example.com>\r\n[\s\S]*Subject: Inner message\r\n[\s\S]*\r\n\r\n$/);
  assert.equal(literal(r.part_3_1), 'Inner text part.');
  assert.equal(literal(r.part_3_2), 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==');

  const hf = literal(r.header_fields);
  assert.match(hf, /^From: Carol Example <carol@example.org>\r\n/m);
  assert.match(hf, /^Subject: Lunch on Friday\r\n/m);
  assert.doesNotMatch(hf, /^To:/m);
  assert.ok(hf.endsWith('\r\n\r\n'), 'HEADER.FIELDS ends with the blank line');

  assert.match(flat(r.partial), /BODY\[\]<0> \{10\}/);
  assert.equal(literal(r.partial), 'Return-Pat');
  assert.match(flat(r.partial_beyond), /BODY\[\]<100000> (""|\{0\})/, 'a partial beyond the end is an empty string (RFC 3501 6.4.5)');

  assert.doesNotMatch(flat(r.flags_after_peek), /\\Seen/, 'BODY.PEEK does not set \\Seen');
  assert.match(literal(r.body_text), /Straßencafé/, 'BODY[TEXT] of the 8bit message, octets as stored');
  assert.match(flat(r.body_text) + flat(r.flags_after_body), /\\Seen/, 'BODY[TEXT] without PEEK sets \\Seen');
  assert.match(flat(r.flags_after_body), /\\Seen/);
  assert.equal((r.uid_fetch!.data as string[]).length, 3);
});

test('imaplib: STORE adds and removes flags and keywords, COPY answers COPYUID or TRYCREATE, EXPUNGE removes \\Deleted', async () => {
  const r = await imaplib<Out>('store_copy_expunge', f.certFile, [...login('carol'), 'Archive']);
  assert.match(flat(r.store_add), /^1 \(.*FLAGS \(.*\\Flagged.*\)/);
  assert.match(flat(r.store_add), /\$Important/);
  assert.equal(r.store_silent!.typ, 'OK');
  assert.doesNotMatch(flat(r.flags_1), /\\Flagged/);
  assert.match(flat(r.flags_1), /\$Important/, 'a keyword stays');
  assert.equal(r.copy!.typ, 'OK');
  assert.match(flat(r.copy), /\[COPYUID \d+ 1:2 1:2\]/, 'COPYUID source and target UIDs (RFC 4315)');
  assert.equal(r.copy_missing!.typ, 'NO');
  assert.match(flat(r.copy_missing), /\[TRYCREATE\]/);
  assert.equal(r.expunge!.typ, 'OK');
  assert.deepEqual(r.expunge!.data, ['2'], 'one EXPUNGE response, for message 2');
  const after = r.after!.data as string[];
  assert.equal(after.length, 2);
  assert.match(after[0]!, /UID 1\b/);
  assert.match(after[1]!, /^2 \(.*UID 3\b/, 'message 3 is now number 2 and keeps UID 3');
  assert.match(flat(r.target), /Lunch on Friday/);
  assert.match(flat(r.target), /Quarterly report/);
  assert.match(flat(r.target), /\$Important/, 'COPY keeps keywords');
  const files = await listMaildir(f.maildir('carol'));
  assert.equal(files.length, 2, 'the expunged file is gone from the Maildir');
  assert.equal((await listMaildir(f.maildir('carol', 'Archive'))).length, 2);
});

test('imaplib: SEARCH by subject, sender, flag, OR, TEXT, UID, and CHARSET UTF-8 with non-ASCII literals', async () => {
  const r = await imaplib<Out>('search', f.certFile, login('bob'));
  assert.deepEqual(r.all!.data, ['1 2 3']);
  assert.deepEqual(r.subject!.data, ['1']);
  assert.deepEqual(r.from!.data, ['2']);
  assert.deepEqual(r.unseen!.data, ['2 3']);
  assert.deepEqual(r.or!.data, ['1 2']);
  assert.deepEqual(r.text_rare!.data, ['1']);
  assert.deepEqual(r.uid!.data, ['2']);
  assert.deepEqual(r.utf8_subject!.data, ['3'], 'SUBJECT matches the decoded RFC 2047 subject');
  assert.deepEqual(r.utf8_body!.data, ['3'], 'BODY matches the 8bit UTF-8 text');
  assert.deepEqual(r.utf8_none!.data, [''], 'no match is an empty SEARCH');
  assert.equal(r.bad_charset!.typ, 'NO', JSON.stringify(r.bad_charset));
  assert.match(flat(r.bad_charset), /\[BADCHARSET/);
});

test('imaplib: APPEND with flags and date returns APPENDUID; the message reads back byte for byte', async () => {
  const marker = `m${Date.now()}`;
  const r = await imaplib<Out>('append', f.certFile, [...login('dave'), marker]);
  assert.equal(r.append!.typ, 'OK');
  const appendUid = /\[APPENDUID (\d+) (\d+)\]/.exec(flat(r.append));
  assert.ok(appendUid, `APPENDUID in ${flat(r.append)}`);
  assert.equal(r.append_missing!.typ, 'NO');
  assert.match(flat(r.append_missing), /\[TRYCREATE\]/);
  assert.deepEqual(r.search!.data, [appendUid[2]]);
  const fetched = flat(r.fetch);
  assert.match(fetched, /\\Seen/);
  assert.match(fetched, /\\Draft/);
  assert.match(fetched, /INTERNALDATE "05-Nov-2026 09:00:00 [+-]\d{4}"/);
  assert.match(fetched, new RegExp(`RFC822.SIZE ${String(r.size)}\\b`));
  assert.match(literal(r.fetch), new RegExp(`^From: Alice <alice@demo.test>\r\nTo: bob@demo.test\r\nSubject: appended ${marker}\r\n`));
  assert.equal((await listMaildir(f.maildir('dave'))).length, 1);
});

test('imaplib: STARTTLS then LOGIN; the certificate verifies against the volume certificate', async () => {
  const r = await imaplib<Out>('tls', f.certFile, login('alice', 'starttls'));
  assert.equal(r.login!.typ, 'OK');
  assert.ok(Array.isArray(r.cipher), 'the connection is TLS');
  assert.doesNotMatch(flat(r.caps_after), /STARTTLS/, 'no STARTTLS once TLS is on');
  assert.equal(r.select!.typ, 'OK');
  assert.equal(r.noop!.typ, 'OK');
});

test('imaplib: IMAP4_SSL on the implicit-TLS port', async () => {
  const r = await imaplib<Out>('tls', f.certFile, login('alice', 'ssl'));
  assert.ok(!(r.caps as unknown as string[]).includes('STARTTLS'));
  assert.equal(r.login!.typ, 'OK');
  assert.equal(r.select!.typ, 'OK');
});

test('imaplib: AUTHENTICATE PLAIN refuses a wrong password and accepts the right one', async () => {
  const r = await imaplib<Out>('auth_plain', f.certFile, login('bob'));
  assert.ok((r.caps as unknown as string[]).includes('AUTH=PLAIN'), (r.caps as unknown as string[]).join(' '));
  assert.equal(r.bad!.typ, 'ERROR');
  assert.equal(r.good!.typ, 'OK');
  assert.equal(r.state, 'AUTH');
  assert.equal(r.select!.typ, 'OK');
});
