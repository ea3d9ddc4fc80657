// Tests for bounded line framing: chunk boundaries, overlong lines, STLS reset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineReader } from './line-reader.ts';

const lines = (r: LineReader, ...chunks: string[]) => chunks.flatMap((c) => r.push(Buffer.from(c)));

test('LineReader splits CRLF and bare LF lines across chunk boundaries', () => {
  const r = new LineReader(512);
  assert.deepEqual(lines(r, 'US', 'ER alice\r', '\nPASS x\nSTAT\r\nNO'), [
    { kind: 'line', line: 'USER alice' }, { kind: 'line', line: 'PASS x' }, { kind: 'line', line: 'STAT' },
  ]);
  assert.equal(r.pendingBytes, 2);
  assert.deepEqual(lines(r, 'OP\r\n'), [{ kind: 'line', line: 'NOOP' }]);
  assert.equal(r.pendingBytes, 0);
});

test('LineReader reports an overlong line once, drops its bytes and recovers', () => {
  const r = new LineReader(16);
  const events = lines(r, 'x'.repeat(10), 'y'.repeat(10), 'z'.repeat(100), 'tail\r\nSTAT\r\n');
  assert.deepEqual(events, [{ kind: 'overlong', limit: 16 }, { kind: 'line', line: 'STAT' }]);
  assert.ok(r.pendingBytes <= 16);
  // A line whose CRLF lands exactly past the limit is overlong too.
  assert.deepEqual(lines(r, `${'a'.repeat(15)}\r\nNOOP\r\n`), [{ kind: 'overlong', limit: 16 }, { kind: 'line', line: 'NOOP' }]);
  assert.deepEqual(lines(r, `${'a'.repeat(14)}\r\n`), [{ kind: 'line', line: 'a'.repeat(14) }]);
});

test('LineReader.reset() forgets buffered plaintext (STLS injection, RFC 2595 section 4)', () => {
  const r = new LineReader(64);
  lines(r, 'USER injected');
  r.reset();
  assert.deepEqual(lines(r, 'CAPA\r\n'), [{ kind: 'line', line: 'CAPA' }]);
});
