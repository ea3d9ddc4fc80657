// Tests for value and response formatting (RFC 3501 4.3, 7.1, 7.5) and the
// formatter -> reader round trip for strings (property test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { atom, formatString, formatValue, formatDateTime, DEFAULT_FORMAT } from './format.ts';
import { formatTagged, formatUntagged, formatUntaggedStatus, formatContinuation, formatCode } from './response.ts';
import type { ResponseCode } from './response.ts';
import { CommandReader } from './reader.ts';
import { Args } from './args.ts';

const s = (b: Buffer) => b.toString('latin1');
const UTF8 = { ...DEFAULT_FORMAT, utf8: true };

test('formatString() quotes when it can and sends a literal otherwise', () => {
  assert.equal(s(formatString('Sent')), '"Sent"');
  assert.equal(s(formatString('')), '""');
  assert.equal(s(formatString('a"b\\c')), '"a\\"b\\\\c"');
  assert.equal(s(formatString('two\r\nlines')), '{10}\r\ntwo\r\nlines');
  assert.equal(s(formatString('Grüße')), '{7}\r\nGr\xc3\xbc\xc3\x9fe');
  assert.equal(formatString('Grüße', UTF8).toString('utf8'), '"Grüße"');
  assert.equal(s(formatString('x'.repeat(1025))).slice(0, 8), '{1025}\r\n');
  assert.equal(s(formatString(Buffer.from([0x41, 0])))[0], '{');
});

test('formatValue() writes NIL, numbers, atoms, lists and literal8', () => {
  assert.equal(s(formatValue([null, 12, 2n ** 63n - 1n, atom('\\Seen'), 'x', [atom('A'), []]])), '(NIL 12 9223372036854775807 \\Seen "x" (A ()))');
  assert.equal(s(formatValue({ literal8: Buffer.from([0, 1]) })), '~{2}\r\n\x00\x01');
});

test('response lines (RFC 3501 section 7.1 examples)', () => {
  assert.equal(s(formatTagged('A142', 'OK', 'SELECT completed', { code: 'READ-WRITE' })), 'A142 OK [READ-WRITE] SELECT completed\r\n');
  assert.equal(s(formatTagged('a', 'NO', 'no such mailbox', { code: 'NONEXISTENT' })), 'a NO [NONEXISTENT] no such mailbox\r\n');
  assert.equal(s(formatTagged('a', 'BAD', 'evil\r\n* OK injected')), 'a BAD evil * OK injected\r\n');
  assert.equal(s(formatUntaggedStatus('OK', 'UIDs valid', { code: 'UIDVALIDITY', value: 3857529045 })), '* OK [UIDVALIDITY 3857529045] UIDs valid\r\n');
  assert.equal(s(formatUntaggedStatus('BYE', 'IMAP4rev2 Server logging out')), '* BYE IMAP4rev2 Server logging out\r\n');
  assert.equal(s(formatUntagged([172, atom('EXISTS')])), '* 172 EXISTS\r\n');
  assert.equal(s(formatUntagged([atom('LIST'), [atom('\\HasNoChildren'), atom('\\Sent')], '/', 'Sent'])), '* LIST (\\HasNoChildren \\Sent) "/" "Sent"\r\n');
  assert.equal(s(formatUntagged([12, atom('FETCH'), [atom('FLAGS'), [atom('\\Seen')], atom('UID'), 4827313]])), '* 12 FETCH (FLAGS (\\Seen) UID 4827313)\r\n');
  assert.equal(s(formatContinuation()), '+ Ready\r\n');
  assert.equal(s(formatContinuation('')), '+ \r\n');
});

test('formatCode() covers the codes the server sends (RFC 4315, 5530, 7162, 9208)', () => {
  const cases: Array<[ResponseCode, string]> = [
    [{ code: 'APPENDUID', uidValidity: 38505, uids: '3955' }, 'APPENDUID 38505 3955'],
    [{ code: 'COPYUID', uidValidity: 38505, source: '304,319:320', dest: '3956:3958' }, 'COPYUID 38505 304,319:320 3956:3958'],
    [{ code: 'HIGHESTMODSEQ', value: 715194045007 }, 'HIGHESTMODSEQ 715194045007'],
    [{ code: 'CAPABILITY', capabilities: ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+'] }, 'CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+'],
    [{ code: 'PERMANENTFLAGS', flags: ['\\Deleted', '\\Seen', '\\*'] }, 'PERMANENTFLAGS (\\Deleted \\Seen \\*)'],
    [{ code: 'BADCHARSET', charsets: ['UTF-8'] }, 'BADCHARSET (UTF-8)'],
    [{ code: 'MODIFIED', set: '7,9' }, 'MODIFIED 7,9'],
    [{ code: 'ALREADYEXISTS' }, 'ALREADYEXISTS'], [{ code: 'OVERQUOTA' }, 'OVERQUOTA'], [{ code: 'TRYCREATE' }, 'TRYCREATE'],
    [{ code: 'UIDNEXT', value: 4392 }, 'UIDNEXT 4392'],
  ];
  for (const [code, text] of cases) assert.equal(formatCode(code), text);
});

test('formatDateTime() writes INTERNALDATE in UTC', () => {
  assert.equal(formatDateTime(new Date('1996-07-17T09:44:25Z')), '17-Jul-1996 09:44:25 +0000');
});

/** Feeds `a X <value>\r\n` to the reader, answering continuations, and reads the string back. */
function roundTrip(value: string, utf8: boolean): string {
  const r = new CommandReader();
  const wire = Buffer.concat([Buffer.from('a X '), formatString(value, { ...DEFAULT_FORMAT, utf8 }), Buffer.from('\r\n')]);
  const cmd = r.push(wire).find((e) => e.kind === 'command');
  assert.ok(cmd && cmd.kind === 'command');
  return new Args(cmd.tokens.slice(1)).astring('value');
}

test('property: a formatted string reads back as the same string (quoted or literal)', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.boolean(), (value, utf8) => {
    const wellFormed = Buffer.from(value, 'utf8').toString('utf8');
    assert.equal(roundTrip(wellFormed, utf8), wellFormed);
  }), { numRuns: 400 });
  for (const v of ['', ' ', '"', '\\', '{5}', 'a\r\nb', '\0', 'x'.repeat(2000)]) assert.equal(roundTrip(v, false), v);
});
