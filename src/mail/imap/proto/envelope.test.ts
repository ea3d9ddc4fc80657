// Tests for ENVELOPE and BODY/BODYSTRUCTURE serialisation, using the RFC 3501 section 7.4.2
// example and a nested multipart with a message/rfc822 part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatValue } from './format.ts';
import { bodyStructureValue, envelopeValue, flagsValue } from './envelope.ts';
import type { BodyStructure, Envelope } from './envelope.ts';

const NO_EXT = { md5: null, disposition: null, language: null, location: null };

const ENVELOPE: Envelope = {
  date: 'Wed, 17 Jul 1996 02:23:25 -0700 (PDT)', subject: 'IMAP4rev1 WG mtg summary and minutes',
  from: [{ name: 'Terry Gray', mailbox: 'gray', host: 'cac.washington.edu' }], sender: [], replyTo: [],
  to: [{ name: null, mailbox: 'imap', host: 'cac.washington.edu' }],
  cc: [{ name: null, mailbox: 'minutes', host: 'CNRI.Reston.VA.US' }, { name: 'John Klensin', mailbox: 'KLENSIN', host: 'MIT.EDU' }],
  bcc: [], inReplyTo: null, messageId: '<B27397-0100000@cac.washington.edu>',
};

test('envelopeValue() matches the RFC 3501 section 7.4.2 example, defaulting sender and reply-to to from', () => {
  assert.equal(formatValue(envelopeValue(ENVELOPE)).toString(),
    '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US") ("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>")');
});

test('groups are framed by start and end markers (RFC 3501 section 7.4.2)', () => {
  const env: Envelope = { ...ENVELOPE, to: [{ group: 'undisclosed-recipients', members: [] }], cc: [], subject: 'line\r\nbreak' };
  const text = formatValue(envelopeValue(env)).toString();
  assert.match(text, /\(\(NIL NIL "undisclosed-recipients" NIL\) \(NIL NIL NIL NIL\)\)/);
  assert.match(text, /\{11\}\r\nline\r\nbreak/, 'a subject with CRLF goes as a literal');
});

const TEXT: BodyStructure = { kind: 'text', subtype: 'plain', fields: { params: [['CHARSET', 'US-ASCII']], id: null, description: null, encoding: '7bit', size: 1152 }, lines: 23, ext: NO_EXT };
const ATTACH: BodyStructure = {
  kind: 'basic', type: 'application', subtype: 'pdf', fields: { params: [['NAME', 'a.pdf']], id: '<x@y>', description: 'Report', encoding: 'base64', size: 4554 },
  ext: { md5: null, disposition: { type: 'attachment', params: [['FILENAME', 'a.pdf']] }, language: ['en'], location: null },
};

test('BODY of the RFC 3501 example (multipart/mixed of two text parts)', () => {
  const second: BodyStructure = { ...TEXT, fields: { params: [['CHARSET', 'US-ASCII'], ['NAME', 'cc.diff']], id: '<960723163407.20117h@cac.washington.edu>', description: 'Compiler diff', encoding: 'BASE64', size: 4554 }, lines: 73 };
  const mixed: BodyStructure = { kind: 'multipart', subtype: 'mixed', parts: [TEXT, second], params: [], ext: NO_EXT };
  assert.equal(formatValue(bodyStructureValue(mixed, false)).toString(),
    '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23) ("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) "MIXED")');
});

test('BODYSTRUCTURE adds extension data; message/rfc822 nests envelope and body', () => {
  const inner: BodyStructure = { kind: 'multipart', subtype: 'alternative', parts: [TEXT], params: [['BOUNDARY', 'b2']], ext: NO_EXT };
  const msg: BodyStructure = { kind: 'message', subtype: 'rfc822', fields: { params: [], id: null, description: null, encoding: '7bit', size: 2000 }, envelope: ENVELOPE, body: inner, lines: 40, ext: NO_EXT };
  const top: BodyStructure = { kind: 'multipart', subtype: 'mixed', parts: [ATTACH, msg], params: [['BOUNDARY', 'b1']], ext: { disposition: null, language: null, location: 'http://x' } };
  const text = formatValue(bodyStructureValue(top, true)).toString();
  assert.ok(text.startsWith('(("APPLICATION" "PDF" ("NAME" "a.pdf") "<x@y>" "Report" "BASE64" 4554 NIL ("attachment" ("FILENAME" "a.pdf")) "en" NIL) ("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 2000 ("Wed'), text);
  assert.ok(text.endsWith('(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "b2") NIL NIL NIL) 40 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "b1") NIL NIL "http://x")'), text);
  assert.equal(formatValue(bodyStructureValue({ ...ATTACH, ext: { ...ATTACH.ext, language: ['en', 'de'] } }, true)).toString().includes('("en" "de")'), true);
});

test('flagsValue() writes flags as atoms', () => {
  assert.equal(formatValue(flagsValue(['\\Seen', '$Forwarded'])).toString(), '(\\Seen $Forwarded)');
  assert.equal(formatValue(flagsValue([])).toString(), '()');
});
