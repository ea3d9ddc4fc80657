// Table tests for byte-stuffing and the TOP filter, fed in chunks of every size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DotStuffer } from './stuffing.ts';
import { TopFilter } from './top.ts';

function stuff(chunks: string[]): string {
  const s = new DotStuffer();
  return chunks.map((c) => s.push(Buffer.from(c)).toString('latin1')).join('') + s.end().toString('latin1');
}

test('DotStuffer doubles a leading dot on every line, across chunk boundaries (RFC 1939 section 3)', () => {
  const cases: Array<[string[], string]> = [
    [['a\r\nb\r\n'], 'a\r\nb\r\n.\r\n'],
    [['.a\r\n..b\r\n.\r\n'], '..a\r\n...b\r\n..\r\n.\r\n'],
    [['x\r\n', '.y\r\n'], 'x\r\n..y\r\n.\r\n'],
    [['x\r', '\n.', 'y\r\n'], 'x\r\n..y\r\n.\r\n'],
    [['no final newline'], 'no final newline\r\n.\r\n'],
    [[], '.\r\n'],
    [['a.b\r\n'], 'a.b\r\n.\r\n'],
  ];
  for (const [chunks, wire] of cases) assert.equal(stuff(chunks), wire, JSON.stringify(chunks));
});

test('DotStuffer returns the same buffer when nothing needs stuffing', () => {
  const s = new DotStuffer();
  const chunk = Buffer.from('plain\r\ntext\r\n');
  assert.equal(s.push(chunk), chunk);
});

function top(message: string, n: number, chunkSize: number): string {
  const f = new TopFilter(n);
  const out: string[] = [];
  const buf = Buffer.from(message);
  for (let i = 0; i < buf.length && !f.done; i += chunkSize) out.push(f.push(buf.subarray(i, i + chunkSize)).toString());
  return out.join('');
}

test('TopFilter sends the header, the blank line and N body lines (RFC 1939 section 7)', () => {
  const msg = 'Subject: a\r\nFrom: b\r\n\r\nline1\r\nline2\r\nline3\r\n';
  const cases: Array<[string, number, string]> = [
    [msg, 0, 'Subject: a\r\nFrom: b\r\n\r\n'],
    [msg, 1, 'Subject: a\r\nFrom: b\r\n\r\nline1\r\n'],
    [msg, 2, 'Subject: a\r\nFrom: b\r\n\r\nline1\r\nline2\r\n'],
    [msg, 99, msg],
    ['Subject: no body\r\n', 0, 'Subject: no body\r\n'],
    ['Subject: no body\r\nX: y', 5, 'Subject: no body\r\nX: y'],
    ['Subject: lf\n\nbody\nmore\n', 1, 'Subject: lf\n\nbody\n'],
    ['\r\nbody only\r\n', 0, '\r\n'],
    ['H: x\r\n\r\n\r\n\r\nafter blank\r\n', 2, 'H: x\r\n\r\n\r\n\r\n'],
  ];
  for (const [m, n, expected] of cases) {
    for (const size of [1, 2, 3, 7, 1000]) assert.equal(top(m, n, size), expected, `${JSON.stringify(m)} TOP ${n} chunk ${size}`);
  }
});
