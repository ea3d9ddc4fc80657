// Table tests for SEARCH criteria (RFC 3501 6.4.4, RFC 9051 6.4.4), ESEARCH RETURN (RFC 4731)
// and MODSEQ (RFC 7162 3.1.5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSearchDate } from './parse-search.ts';
import { parseOk, parseText } from './_test-helpers.ts';

const crit = (s: string) => parseOk(`a SEARCH ${s}`).criteria;

test('RFC 3501 6.4.4 examples', () => {
  assert.deepEqual(crit('FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"'), { key: 'AND', keys: [
    { key: 'FLAGGED' }, { key: 'SINCE', day: '1994-02-01' }, { key: 'NOT', inner: { key: 'FROM', value: 'Smith' } },
  ] });
  assert.deepEqual(crit('TEXT "string not in mailbox"'), { key: 'TEXT', value: 'string not in mailbox' });
  const c = parseOk('A284 SEARCH CHARSET UTF-8 TEXT {6+}\r\nXXXXXX');
  assert.deepEqual([c.charset, c.criteria], ['UTF-8', { key: 'TEXT', value: 'XXXXXX' }]);
});

test('OR, NOT and parentheses nest', () => {
  assert.deepEqual(crit('OR (FROM x) NOT SEEN SINCE 1-Feb-1994'), { key: 'AND', keys: [
    { key: 'OR', left: { key: 'FROM', value: 'x' }, right: { key: 'NOT', inner: { key: 'SEEN' } } },
    { key: 'SINCE', day: '1994-02-01' },
  ] });
  assert.deepEqual(crit('OR OR ANSWERED DRAFT (DELETED UNSEEN)'), { key: 'OR',
    left: { key: 'OR', left: { key: 'ANSWERED' }, right: { key: 'DRAFT' } },
    right: { key: 'AND', keys: [{ key: 'DELETED' }, { key: 'UNSEEN' }] } });
  assert.match((parseText(`a SEARCH ${'NOT '.repeat(40)}ALL`) as { reason: string }).reason, /too deeply/);
});

test('every key type parses', () => {
  const cases: Array<[string, unknown]> = [
    ['ALL', { key: 'ALL' }], ['new', { key: 'NEW' }], ['UNKEYWORD $Junk', { key: 'UNKEYWORD', flag: '$Junk' }],
    ['HEADER Message-ID "<a@b>"', { key: 'HEADER', field: 'Message-ID', value: '<a@b>' }],
    ['LARGER 1000', { key: 'LARGER', size: 1000 }], ['SMALLER 5', { key: 'SMALLER', size: 5 }],
    ['SENTBEFORE "30-Dec-2023"', { key: 'SENTBEFORE', day: '2023-12-30' }], ['ON 9-Jan-2000', { key: 'ON', day: '2000-01-09' }],
    ['UID 1:*,$', null], ['UID 2:4,7', { key: 'UID', set: { kind: 'ranges', ranges: [{ start: 2, end: 4 }, { start: 7, end: 7 }] } }],
    ['1:3', { key: 'SEQ', set: { kind: 'ranges', ranges: [{ start: 1, end: 3 }] } }], ['$', { key: 'SEQ', set: { kind: 'saved' } }],
    ['YOUNGER 3600', { key: 'YOUNGER', seconds: 3600 }],
    ['MODSEQ 620162338', { key: 'MODSEQ', modseq: 620162338n, entry: null }],
    ['MODSEQ "/flags/\\\\draft" all 620162338', { key: 'MODSEQ', modseq: 620162338n, entry: { name: '/flags/\\draft', type: 'all' } }],
    ['BCC a', { key: 'BCC', value: 'a' }], ['BODY b', { key: 'BODY', value: 'b' }], ['CC c', { key: 'CC', value: 'c' }],
    ['SUBJECT "x y"', { key: 'SUBJECT', value: 'x y' }], ['TO t', { key: 'TO', value: 't' }],
  ];
  for (const [text, expected] of cases) {
    const c = parseText(`a SEARCH ${text}`);
    if (expected === null) assert.ok('error' in c, text);
    else assert.deepEqual('error' in c ? c : c.name === 'SEARCH' && c.criteria, expected, text);
  }
});

test('bad criteria are values with reasons', () => {
  for (const bad of ['', 'FROM', 'SINCE 31-Feb-2020', 'SINCE yesterday', 'LARGER x', 'BOGUS', 'OR SEEN', 'MODSEQ "x" nope 5', 'RETURN (FOO) ALL']) {
    const c = parseText(`a SEARCH ${bad}`);
    assert.ok('error' in c, bad);
  }
});

test('ESEARCH RETURN options (RFC 4731 section 3)', () => {
  assert.deepEqual(parseOk('A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"').returns, ['MIN', 'COUNT']);
  assert.deepEqual(parseOk('a UID SEARCH RETURN () ALL').returns, ['ALL']);
  assert.deepEqual(parseOk('a SEARCH RETURN (SAVE) CHARSET UTF-8 ALL').charset, 'UTF-8');
  assert.equal(parseOk('a SEARCH ALL').returns, null);
});

test('parseSearchDate() accepts day-month-year and rejects impossible dates', () => {
  assert.equal(parseSearchDate('1-Feb-1994'), '1994-02-01');
  assert.equal(parseSearchDate('29-feb-2024'), '2024-02-29');
  for (const bad of ['29-Feb-2023', '1-Foo-1994', '1994-02-01', '01-Feb-94']) assert.equal(parseSearchDate(bad), null, bad);
});
