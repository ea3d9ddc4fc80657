// Header block reading and editing on raw bytes: folding, bare LF, 8-bit, no body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerEnd, headerValues, parseHeaderFields, prependHeaders, editHeaders, hasHeader } from './headers.ts';

const MSG = Buffer.from('Received: from a\r\n\tby b; x\r\nSubject: hi\r\nReply-To: <r@x.test>\r\nX-8bit: caf\xe9\r\n\r\nbody line\r\nReply-To: not a header\r\n', 'latin1');

test('headerEnd() finds the blank line with CRLF, LF, none, and a leading blank line', () => {
  assert.equal(headerEnd(Buffer.from('A: 1\r\n\r\nbody')), 8);
  assert.equal(headerEnd(Buffer.from('A: 1\n\nbody')), 6);
  assert.equal(headerEnd(Buffer.from('A: 1\r\nB: 2')), 10);
  assert.equal(headerEnd(Buffer.from('\r\nbody')), 2);
});

test('parseHeaderFields() unfolds continuation lines and ignores the body', () => {
  const f = parseHeaderFields(MSG);
  assert.deepEqual(f.map((x) => x.name), ['Received', 'Subject', 'Reply-To', 'X-8bit']);
  assert.equal(f[0]!.value, 'from a\tby b; x');
  assert.deepEqual(headerValues(MSG, 'reply-to'), ['<r@x.test>']);
  assert.equal(hasHeader(MSG, 'Message-ID'), false);
});

test('prependHeaders() puts fields on top and leaves the rest byte-identical', () => {
  const out = prependHeaders(MSG, ['Return-Path: <s@x.test>', 'Delivered-To: a@d.test']);
  assert.ok(out.toString('latin1').startsWith('Return-Path: <s@x.test>\r\nDelivered-To: a@d.test\r\nReceived: from a\r\n'));
  assert.ok(out.subarray(out.length - MSG.length).equals(MSG));
});

test('editHeaders() removes named fields from the header only and appends new ones before the blank line', () => {
  const out = editHeaders(MSG, { remove: ['Reply-To'], add: ['Reply-To: <list@d.test>', 'List-Id: <list.d.test>'] }).toString('latin1');
  assert.equal(out, 'Received: from a\r\n\tby b; x\r\nSubject: hi\r\nX-8bit: caf\xe9\r\nReply-To: <list@d.test>\r\nList-Id: <list.d.test>\r\n\r\nbody line\r\nReply-To: not a header\r\n');
});

test('editHeaders() copes with a message without body or separator', () => {
  assert.equal(editHeaders(Buffer.from('A: 1\r\nB: 2'), { remove: ['b'], add: ['C: 3'] }).toString(), 'A: 1\r\nC: 3\r\n');
  assert.equal(editHeaders(Buffer.from('\r\nonly body'), { add: ['C: 3'] }).toString(), 'C: 3\r\n\r\nonly body');
});

test('stray lines that are not fields are kept verbatim', () => {
  const odd = Buffer.from('From x Mon\r\nSubject: s\r\n\r\nb');
  assert.deepEqual(parseHeaderFields(odd).map((f) => f.name), ['Subject']);
  assert.equal(editHeaders(odd, { remove: ['Subject'] }).toString(), 'From x Mon\r\n\r\nb');
});

test('a header block over MAX_HEADER_SCAN is read and edited only in its first part, quickly', () => {
  const big = Buffer.concat([Buffer.from('Received: early\r\n'), Buffer.from(`X-Filler: ${'x'.repeat(70)}\r\n`.repeat(400_000)), Buffer.from('Received: late\r\n\r\nbody')]);
  const t0 = performance.now();
  assert.deepEqual(headerValues(big, 'Received'), ['early']);
  const edited = editHeaders(big, { add: ['A: b'] });
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(edited.length, big.length + 'A: b\r\n'.length);
  assert.ok(edited.toString('latin1').endsWith('Received: late\r\n\r\nbody'));
});
