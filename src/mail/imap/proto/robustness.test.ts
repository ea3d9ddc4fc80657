// Robustness: arbitrary client bytes never make the reader or the parser throw, and the
// reader holds no more than its limits allow (issue 3: bad input gets BAD, never a crash).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CommandReader, DEFAULT_READER_LIMITS } from './reader.ts';
import { parseCommand } from './parse-command.ts';

const WORDS = ['a1 ', 'UID ', 'FETCH ', 'SEARCH ', 'APPEND ', 'STORE ', 'LIST ', 'SELECT ', '(', ')', '"', '\\', '{3}\r\n', '{2+}\r\n', '~{1}\r\n',
  'BODY[', ']', '<0.1>', '1:*', '$', 'NIL ', 'OR ', 'NOT ', '\r\n', '\n', ' ', '*', '%', 'x', '\0', '\xff'];

const input = fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 60 });

test('property: any input yields events, never an exception, and parseCommand never throws', () => {
  const limits = { ...DEFAULT_READER_LIMITS, maxLineLength: 64, inlineLiteralMax: 2, maxTokens: 30, maxDepth: 4 };
  fc.assert(fc.property(input, fc.integer({ min: 1, max: 7 }), (pieces, step) => {
    const bytes = Buffer.from(pieces.join(''), 'latin1');
    const r = new CommandReader(limits);
    for (let i = 0; i < bytes.length; i += step) {
      for (const e of r.push(bytes.subarray(i, i + step))) {
        if (e.kind === 'command') parseCommand(e.tag, e.tokens);
        if (e.kind === 'literal-chunk') assert.ok(e.data.length <= step);
      }
    }
    // After reset() (what STARTTLS does) the next command parses cleanly.
    r.reset();
    assert.deepEqual(r.push(Buffer.from('z9 NOOP\r\n')), [{ kind: 'command', tag: 'z9', tokens: [{ type: 'atom', value: 'NOOP' }] }]);
  }), { numRuns: 400 });
});

test('a command over maxCommandBytes is refused and skipped', () => {
  const r = new CommandReader({ ...DEFAULT_READER_LIMITS, maxCommandBytes: 40 });
  const ev = r.push(Buffer.from('a LOGIN {30+}\r\n' + 'x'.repeat(30) + ' {30+}\r\n' + 'y'.repeat(30) + '\r\nb NOOP\r\n'));
  assert.deepEqual(ev.map((e) => e.kind), ['error', 'command']);
  assert.equal(ev[0]!.kind === 'error' && ev[0]!.reason, 'command too big (limit 40 octets)');
});
