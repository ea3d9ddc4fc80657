// BODY[section] against real files: every section RFC 9051 section 6.4.5 lists for its
// example message, HEADER.FIELDS (NOT) filtering, part 1 of a single-part message, and
// parts that do not exist.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { testVolume, fixture, sec, sectionText, crlf } from './_test-helpers.ts';
import type { Section } from '../proto/fetch-types.ts';
import fc from 'fast-check';
import { filterHeaderFields } from './sections.ts';

const vol = await testVolume({ cacheDir: null });
after(() => vol.cleanup());

const file = await fixture('rfc9051-sections.eml');
const path = await vol.write('rfc9051.eml', file);
const meta = await vol.layer.meta(path, 'rfc9051');
const text = file.toString('latin1');
const get = (s: Section) => sectionText(vol.layer, path, meta, s);

/** The text between two markers of the fixture (inclusive of `from`, exclusive of `to`). */
function between(from: string, to: string): string {
  const a = text.indexOf(from);
  const b = text.indexOf(to, a);
  assert.ok(a >= 0 && b > a, `${from} .. ${to} in fixture`);
  return text.slice(a, b);
}

test('RFC 9051 6.4.5: HEADER and TEXT of the message', async () => {
  assert.equal(await get(sec([], 'HEADER')), between('From: Outer Sender', 'preamble'));
  assert.ok((await get(sec([], 'HEADER'))).endsWith('boundary="outer"\r\n\r\n'), 'the blank line is part of HEADER');
  assert.equal(await get(sec([], 'TEXT')), text.slice(text.indexOf('preamble')));
  assert.equal(await get(sec([])), text, 'BODY[] is the whole file');
});

test('RFC 9051 6.4.5: parts 1, 2 and 3 (message/rfc822) with 3.HEADER, 3.TEXT, 3.1, 3.2', async () => {
  assert.equal(await get(sec([1])), 'PART-1 text/plain');
  assert.equal(await get(sec([2])), 'UEFSVC0yIGFwcGxpY2F0aW9uL29jdGV0LXN0cmVhbQ==');
  assert.equal(await get(sec([3])), between('From: Inner Three', '\r\n--outer\r\nContent-Type: multipart/mixed; boundary="four"'));
  assert.equal(await get(sec([3], 'HEADER')), between('From: Inner Three', '--three\r\nContent-Type: text/plain'));
  assert.equal(await get(sec([3], 'TEXT')), between('--three\r\nContent-Type: text/plain', '\r\n--outer\r\nContent-Type: multipart/mixed'));
  assert.equal(await get(sec([3, 1])), 'PART-3.1 text/plain');
  assert.equal(await get(sec([3, 2])), 'PART-3.2 application/octet-stream');
  assert.equal(await get(sec([3], 'MIME')), 'Content-Type: message/rfc822\r\n\r\n');
});

test('RFC 9051 6.4.5: part 4 (multipart) with 4.1, 4.1.MIME, 4.2, 4.2.HEADER, 4.2.TEXT, 4.2.1, 4.2.2, 4.2.2.1, 4.2.2.2', async () => {
  assert.equal(await get(sec([4])), between('--four\r\nContent-Type: image/gif', '\r\n--outer--'));
  assert.equal(await get(sec([4, 1])), 'R0lGODlhAQABAAAAACw=');
  assert.equal(await get(sec([4, 1], 'MIME')), 'Content-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="a.gif"\r\n\r\n');
  assert.equal(await get(sec([4, 2])), between('From: Inner Four', '\r\n--four--'));
  assert.equal(await get(sec([4, 2], 'HEADER')), between('From: Inner Four', '--fourtwo\r\nContent-Type: text/plain'));
  assert.equal(await get(sec([4, 2], 'TEXT')), between('--fourtwo\r\nContent-Type: text/plain', '\r\n--four--'));
  assert.equal(await get(sec([4, 2, 1])), 'PART-4.2.1 text/plain');
  assert.equal(await get(sec([4, 2, 2])), between('--alt\r\n', '\r\n--fourtwo--'));
  assert.equal(await get(sec([4, 2, 2, 1])), 'PART-4.2.2.1 text/plain');
  assert.equal(await get(sec([4, 2, 2, 2])), 'PART-4.2.2.2 text/richtext');
  assert.equal(await get(sec([4, 2, 2, 2], 'MIME')), 'Content-Type: text/richtext\r\n\r\n');
});

test('parts that do not exist, and HEADER/TEXT of a part that is not a message, are empty', async () => {
  for (const s of [sec([5]), sec([1, 1]), sec([0]), sec([4, 3]), sec([4, 2, 2, 3]), sec([1], 'HEADER'), sec([1], 'TEXT'), sec([4], 'HEADER.FIELDS', ['FROM']), sec([], 'MIME')]) {
    assert.equal(await get(s), '', JSON.stringify(s));
  }
});

test('HEADER.FIELDS keeps folded lines and the blank line; names match case-insensitively; NOT inverts', async () => {
  const msg = crlf('From: a@example.org\nSubject: first line\n  second line\nX-Other: 1\nsubject: again\nTo: b@example.org\n\nbody\n');
  const p = await vol.write('fields.eml', msg);
  const m = await vol.layer.meta(p, 'fields');
  assert.equal(await sectionText(vol.layer, p, m, sec([], 'HEADER.FIELDS', ['SUBJECT'])), crlf('Subject: first line\n  second line\nsubject: again\n\n'));
  assert.equal(await sectionText(vol.layer, p, m, sec([], 'HEADER.FIELDS', ['to', 'FROM'])), crlf('From: a@example.org\nTo: b@example.org\n\n'));
  assert.equal(await sectionText(vol.layer, p, m, sec([], 'HEADER.FIELDS.NOT', ['SUBJECT', 'X-OTHER'])), crlf('From: a@example.org\nTo: b@example.org\n\n'));
  assert.equal(await sectionText(vol.layer, p, m, sec([], 'HEADER.FIELDS', ['X-MISSING'])), '\r\n', 'no match: only the blank line');
  // Of an encapsulated message:
  assert.equal(await get(sec([4, 2], 'HEADER.FIELDS', ['SUBJECT'])), 'Subject: part 4.2\r\n\r\n');
});

test('a single-part message: part 1 is its body, 1.MIME its header; part 2 does not exist', async () => {
  const msg = crlf('Subject: plain\nContent-Type: text/plain\n\nhello\nworld\n');
  const p = await vol.write('single.eml', msg);
  const m = await vol.layer.meta(p, 'single');
  assert.equal(await sectionText(vol.layer, p, m, sec([1])), 'hello\r\nworld\r\n');
  assert.equal(await sectionText(vol.layer, p, m, sec([1], 'MIME')), crlf('Subject: plain\nContent-Type: text/plain\n\n'));
  assert.equal(await sectionText(vol.layer, p, m, sec([2])), '');
});

test('a message/rfc822 whose body is a single part: n.1 is the encapsulated body', async () => {
  const msg = crlf('Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: message/rfc822\n\nSubject: inner\n\ninner body\n--x--\n');
  const p = await vol.write('inner-single.eml', msg);
  const m = await vol.layer.meta(p, 'inner-single');
  assert.equal(await sectionText(vol.layer, p, m, sec([1, 1])), 'inner body');
  assert.equal(await sectionText(vol.layer, p, m, sec([1], 'TEXT')), 'inner body');
  assert.equal(await sectionText(vol.layer, p, m, sec([1], 'HEADER')), 'Subject: inner\r\n\r\n');
  assert.equal(await sectionText(vol.layer, p, m, sec([1, 2])), '');
});

test('a top-level message/rfc822 body: part 1 is the encapsulated message, 1.n its parts (also for BINARY)', async () => {
  const inner = crlf('Subject: inner\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\nfirst\n--x\nContent-Transfer-Encoding: base64\n\nc2Vjb25k\n--x--\n');
  const p = await vol.write('top-rfc822.eml', crlf('Subject: outer\nContent-Type: message/rfc822\n\n') + inner);
  const m = await vol.layer.meta(p, 'top-rfc822');
  assert.equal(m.bodyStructure.kind, 'message');
  assert.equal(await sectionText(vol.layer, p, m, sec([1])), inner);
  assert.equal(await sectionText(vol.layer, p, m, sec([], 'TEXT')), inner);
  assert.equal(await sectionText(vol.layer, p, m, sec([1], 'HEADER')), crlf('Subject: inner\nContent-Type: multipart/mixed; boundary=x\n\n'));
  assert.equal(await sectionText(vol.layer, p, m, sec([1, 1])), 'first');
  assert.equal(await sectionText(vol.layer, p, m, sec([1, 2])), 'c2Vjb25k');
  assert.equal(await sectionText(vol.layer, p, m, sec([2])), '');
  const b = await vol.layer.binary(p, m, [1, 2]);
  assert.ok(b && b.kind === 'bytes' && b.data.toString() === 'second');
});

test('property: HEADER.FIELDS and HEADER.FIELDS.NOT of the same names split the header lines between them', () => {
  const name = fc.constantFrom('Subject', 'SUBJECT', 'From', 'X-A', 'x-a', 'Received', 'To');
  const field = fc.record({ name, value: fc.stringMatching(/^[ -~]{0,20}$/), folds: fc.array(fc.stringMatching(/^[ \t][ -~]{0,10}$/), { maxLength: 2 }) });
  fc.assert(fc.property(fc.array(field, { maxLength: 12 }), fc.subarray(['SUBJECT', 'FROM', 'X-A', 'RECEIVED', 'TO', 'CC']), fc.constantFrom('\r\n', '\n'), (fields, names, eol) => {
    const lines = fields.map((f) => [`${f.name}: ${f.value}`, ...f.folds].join(eol) + eol);
    const header = Buffer.from(lines.join('') + eol);
    const yes = filterHeaderFields(header, names, false).toString();
    const no = filterHeaderFields(header, names, true).toString();
    const strip = (s: string) => s.slice(0, -2); // the blank line is always CRLF
    assert.ok(yes.endsWith('\r\n') && no.endsWith('\r\n'), 'both end with the blank line');
    const picked = fields.map((f, i) => ({ keep: names.includes(f.name.toUpperCase()), text: lines[i]! }));
    assert.equal(strip(yes), picked.filter((p) => p.keep).map((p) => p.text).join(''));
    assert.equal(strip(no), picked.filter((p) => !p.keep).map((p) => p.text).join(''));
  }), { numRuns: 300 });
});
