// Table tests for POP3 status lines and small multi-line responses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReply, formatMultiline, ok, err, cont, MAX_STATUS_LINE } from './reply.ts';

test('formatReply() writes status lines with RFC 2449 response codes', () => {
  const cases: Array<[Parameters<typeof formatReply>[0], string]> = [
    [ok('2 320'), '+OK 2 320\r\n'],
    [ok(''), '+OK\r\n'],
    [err('no such message'), '-ERR no such message\r\n'],
    [err('mailbox is locked', 'IN-USE'), '-ERR [IN-USE] mailbox is locked\r\n'],
    [err('try later', 'SYS/TEMP'), '-ERR [SYS/TEMP] try later\r\n'],
    [cont(), '+ \r\n'],
    [ok('line\r\nbreak'), '+OK line  break\r\n'],
  ];
  for (const [reply, wire] of cases) assert.equal(formatReply(reply), wire);
});

test('formatReply() never exceeds 512 octets (RFC 1939 section 3)', () => {
  for (const r of [ok('x'.repeat(2000)), err('é'.repeat(2000), 'SYS/PERM')]) {
    const line = formatReply(r);
    assert.ok(Buffer.byteLength(line) <= MAX_STATUS_LINE, `${Buffer.byteLength(line)} octets`);
    assert.ok(line.endsWith('...\r\n'));
  }
});

test('formatMultiline() byte-stuffs lines and ends with the terminator', () => {
  assert.equal(formatMultiline('2 messages', ['1 120', '.hidden', '2 200']), '+OK 2 messages\r\n1 120\r\n..hidden\r\n2 200\r\n.\r\n');
  assert.equal(formatMultiline('empty', []), '+OK empty\r\n.\r\n');
});
