// Table tests for FETCH items, section specs, partials and modifiers (RFC 3501 6.4.5,
// RFC 9051 6.4.5, RFC 3516, RFC 7162).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFetchAtt, parseSection, fetchAttLabel } from './parse-fetch.ts';
import { parseOk, parseText } from './_test-helpers.ts';
import type { FetchAtt } from './fetch-types.ts';

test('parseFetchAtt() reads sections, part numbers, PEEK and partials', () => {
  const cases: Array<[string, FetchAtt]> = [
    ['flags', { item: 'FLAGS' }],
    ['RFC822.SIZE', { item: 'RFC822.SIZE' }],
    ['BODY[]', { item: 'BODY[]', peek: false, section: { part: [], text: null, fields: [] }, partial: null }],
    ['BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100>', { item: 'BODY[]', peek: true, section: { part: [1, 2], text: 'HEADER.FIELDS', fields: ['FROM', 'TO'] }, partial: { start: 0, length: 100 } }],
    ['body[HEADER.FIELDS.NOT ("Received" X-Spam)]', { item: 'BODY[]', peek: false, section: { part: [], text: 'HEADER.FIELDS.NOT', fields: ['RECEIVED', 'X-SPAM'] }, partial: null }],
    ['BODY[4.2.2.1.MIME]', { item: 'BODY[]', peek: false, section: { part: [4, 2, 2, 1], text: 'MIME', fields: [] }, partial: null }],
    ['BODY[3.TEXT]', { item: 'BODY[]', peek: false, section: { part: [3], text: 'TEXT', fields: [] }, partial: null }],
    ['BODY[2]<5.10>', { item: 'BODY[]', peek: false, section: { part: [2], text: null, fields: [] }, partial: { start: 5, length: 10 } }],
    ['BINARY.PEEK[1]<0.5>', { item: 'BINARY[]', peek: true, part: [1], partial: { start: 0, length: 5 } }],
    ['BINARY.SIZE[3.1]', { item: 'BINARY.SIZE', part: [3, 1] }],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseFetchAtt(text), expected, text);
});

test('invalid fetch items and sections are rejected with a reason', () => {
  for (const bad of ['BODY[0]', 'BODY[1.0.TEXT]', 'BODY[MIME]', 'BODY[HEADER.FIELDS]', 'BODY[HEADER.FIELDS ()]', 'BODY[FOO]', 'BODY[]<5>', 'BODY[]<0.0>', 'BODYX', 'BINARY[TEXT]', 'BINARY.SIZE[1]<0.1>']) {
    assert.throws(() => parseFetchAtt(bad), /FETCH/, bad);
  }
  assert.deepEqual(parseSection('HEADER'), { part: [], text: 'HEADER', fields: [] });
});

test('FETCH macros, lists and single items (RFC 3501 6.4.5 examples)', () => {
  assert.deepEqual(parseOk('A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])').items, [
    { item: 'FLAGS' }, { item: 'BODY[]', peek: false, section: { part: [], text: 'HEADER.FIELDS', fields: ['DATE', 'FROM'] }, partial: null },
  ]);
  assert.deepEqual(parseOk('a FETCH 1 ALL').items, ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'].map((item) => ({ item })));
  assert.deepEqual(parseOk('a FETCH 1 fast').items, ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'].map((item) => ({ item })));
  assert.equal((parseOk('a FETCH 1:* FULL').items as FetchAtt[]).length, 5);
  assert.deepEqual(parseOk('a UID FETCH 1:* BODYSTRUCTURE').items, [{ item: 'BODYSTRUCTURE' }]);
  assert.ok('error' in parseText('a FETCH 1 ()'));
  assert.ok('error' in parseText('a FETCH 1 (ALL)'), 'macros cannot be inside a list');
});

test('CHANGEDSINCE and VANISHED modifiers (RFC 7162 3.1.4, 3.2.6)', () => {
  const c = parseOk('s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)');
  assert.deepEqual([c.uid, c.changedSince, c.vanished], [true, 12345n, true]);
  assert.equal(parseOk('a FETCH 1 FLAGS').changedSince, null);
  assert.match((parseText('a UID FETCH 1 FLAGS (VANISHED)') as { reason: string }).reason, /CHANGEDSINCE/);
});

test('fetchAttLabel() names items as FETCH responses do (RFC 3501 7.4.2: origin only)', () => {
  assert.equal(fetchAttLabel(parseFetchAtt('BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100>')), 'BODY[1.2.HEADER.FIELDS (FROM TO)]<0>');
  assert.equal(fetchAttLabel(parseFetchAtt('BODY[]')), 'BODY[]');
  assert.equal(fetchAttLabel(parseFetchAtt('BINARY.PEEK[1]')), 'BINARY[1]');
  assert.equal(fetchAttLabel(parseFetchAtt('BINARY.SIZE[2]')), 'BINARY.SIZE[2]');
  assert.equal(fetchAttLabel(parseFetchAtt('rfc822.header')), 'RFC822.HEADER');
});
