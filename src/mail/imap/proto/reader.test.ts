// Tests for the streaming command reader: framing, literals (RFC 3501 7.5, RFC 7888),
// limits and recovery, chunking invariance (property test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CommandReader, DEFAULT_READER_LIMITS } from './reader.ts';
import type { ReaderEvent } from './reader.ts';

const feed = (r: CommandReader, ...chunks: (string | Buffer)[]): ReaderEvent[] =>
  chunks.flatMap((c) => r.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c));

/** Merges adjacent literal-chunk events so different chunkings compare equal. */
function normalize(events: ReaderEvent[]): unknown[] {
  const out: unknown[] = [];
  for (const e of events) {
    const last = out[out.length - 1] as { kind: string; stream: number; data: Buffer } | undefined;
    if (e.kind === 'literal-chunk' && last?.kind === 'literal-chunk' && last.stream === e.stream) {
      out[out.length - 1] = { ...last, data: Buffer.concat([last.data, e.data]) };
    } else out.push(e);
  }
  return out;
}

test('reader yields a command per CRLF line, with atoms, quoted strings, lists and NIL', () => {
  const r = new CommandReader();
  const ev = feed(r, 'a1 LOGIN "joe \\"q\\" \\\\" pw\r\n', 'A2 FETCH 1 (FLAGS BODY[HEADER.FIELDS (From To)]<0.10>) NIL\n');
  assert.deepEqual(ev, [
    { kind: 'command', tag: 'a1', tokens: [{ type: 'atom', value: 'LOGIN' }, { type: 'quoted', value: 'joe "q" \\' }, { type: 'atom', value: 'pw' }] },
    { kind: 'command', tag: 'A2', tokens: [
      { type: 'atom', value: 'FETCH' }, { type: 'atom', value: '1' },
      { type: 'list', items: [{ type: 'atom', value: 'FLAGS' }, { type: 'atom', value: 'BODY[HEADER.FIELDS (From To)]<0.10>' }] },
      { type: 'atom', value: 'NIL' },
    ] },
  ]);
});

test('a synchronizing literal asks for a continuation, then its bytes become a token (RFC 3501 section 7.5)', () => {
  const r = new CommandReader();
  const first = feed(r, 'A001 LOGIN {11}\r\n');
  assert.deepEqual(first, [{ kind: 'continue', tag: 'A001', verb: 'LOGIN', size: 11 }]);
  const rest = feed(r, 'FRED FOOBAR {7}\r\n');
  assert.deepEqual(rest, [{ kind: 'continue', tag: 'A001', verb: 'LOGIN', size: 7 }]);
  const done = feed(r, 'fat man\r\n');
  assert.equal(done.length, 1);
  const cmd = done[0]!;
  assert.equal(cmd.kind, 'command');
  if (cmd.kind !== 'command') return;
  assert.deepEqual(cmd.tokens.map((t) => (t.type === 'literal' ? t.data!.toString() : 'value' in t ? t.value : '')), ['LOGIN', 'FRED FOOBAR', 'fat man']);
});

test('LITERAL+ {n+} and binary ~{n} need no continuation (RFC 7888, RFC 3516)', () => {
  const r = new CommandReader();
  const ev = feed(r, 'a APPEND INBOX {3+}\r\nabc ~{2}\r\n\0\x01\r\n');
  assert.equal(ev.filter((e) => e.kind === 'continue').length, 1, 'only the synchronizing ~{2} asks');
  const cmd = ev.find((e) => e.kind === 'command');
  assert.ok(cmd && cmd.kind === 'command');
  const lits = cmd.tokens.filter((t) => t.type === 'literal');
  assert.deepEqual(lits.map((t) => t.type === 'literal' && [t.data!.toString('latin1'), t.binary]), [['abc', false], ['\0\x01', true]]);
});

test('a zero-length literal completes immediately', () => {
  const r = new CommandReader();
  const ev = feed(r, 'a LOGIN {0+}\r\n {0}\r\n\r\n');
  assert.equal(ev.at(-1)!.kind, 'command');
});

test('big literals are streamed: literal-start, chunks, literal-end, then the command with a reference', () => {
  const r = new CommandReader({ ...DEFAULT_READER_LIMITS, inlineLiteralMax: 4 });
  const ev = feed(r, 'x APPEND Drafts (\\Seen) {10}\r\n', '01234', '56789', '\r\n');
  assert.deepEqual(ev.map((e) => e.kind), ['continue', 'literal-start', 'literal-chunk', 'literal-chunk', 'literal-end', 'command']);
  assert.deepEqual(ev[1], { kind: 'literal-start', tag: 'x', verb: 'APPEND', stream: 0, size: 10, binary: false });
  const cmd = ev[5]!;
  assert.ok(cmd.kind === 'command');
  assert.deepEqual(cmd.tokens.at(-1), { type: 'literal', data: null, size: 10, binary: false, stream: 0 });
});

test('a synchronizing literal over the limit is refused without continuation; the next command works', () => {
  const r = new CommandReader({ ...DEFAULT_READER_LIMITS, maxLiteralSize: 100 });
  const ev = feed(r, 'big APPEND INBOX {101}\r\nn1 NOOP\r\n');
  assert.deepEqual(ev[0], { kind: 'error', tag: 'big', reason: 'literal too big (101 octets, limit 100)' });
  assert.deepEqual(ev[1], { kind: 'command', tag: 'n1', tokens: [{ type: 'atom', value: 'NOOP' }] });
});

test('a non-synchronizing literal over the limit is skipped with its command (RFC 7888 section 4)', () => {
  const r = new CommandReader({ ...DEFAULT_READER_LIMITS, maxLiteralSize: 5 });
  const ev = feed(r, `big APPEND INBOX {8+}\r\n${'x'.repeat(8)} {2+}\r\nab\r\nn1 NOOP\r\n`);
  assert.deepEqual(ev.map((e) => e.kind), ['error', 'command']);
  assert.equal(ev[0]!.kind === 'error' && ev[0]!.tag, 'big');
});

test('rejectLiteral() drops the pending command when the session answers instead of "+"', () => {
  const r = new CommandReader();
  assert.equal(feed(r, 'a APPEND nosuch {5}\r\n')[0]!.kind, 'continue');
  r.rejectLiteral();
  assert.deepEqual(feed(r, 'b NOOP\r\n'), [{ kind: 'command', tag: 'b', tokens: [{ type: 'atom', value: 'NOOP' }] }]);
});

test('syntax errors are values with the tag when known, and the reader resyncs at CRLF', () => {
  const r = new CommandReader({ ...DEFAULT_READER_LIMITS, maxDepth: 3, maxTokens: 5 });
  const cases: Array<[string, string | null, RegExp]> = [
    ['t1 LOGIN "unterminated\r\n', 't1', /unterminated quoted string/],
    ['t2 SEARCH ((((ALL))))\r\n', 't2', /nested too deeply/],
    ['t3 X a b c d e f\r\n', 't3', /too many tokens/],
    ['t4 X (a\r\n', 't4', /unclosed/],
    ['t5 X a)\r\n', 't5', /unbalanced/],
    ['t6 X "a\\b"\r\n', 't6', /bad escape/],
    ['(junk\r\n', null, /unclosed|tag/],
    ['"tag" NOOP\r\n', null, /tag/],
    ['+ NOOP\r\n', null, /tag/],
    ['t7 X {5x}\r\n', 't7', /literal/],
  ];
  for (const [line, tag, reason] of cases) {
    const ev = feed(r, line);
    assert.equal(ev.length, 1, line);
    const e = ev[0]!;
    assert.ok(e.kind === 'error', line);
    assert.equal(e.tag, tag, line);
    assert.match(e.reason, reason, line);
  }
  assert.equal(feed(r, 'ok NOOP\r\n')[0]!.kind, 'command');
});

test('an overlong line is reported once, its bytes dropped, and reading recovers', () => {
  const r = new CommandReader({ ...DEFAULT_READER_LIMITS, maxLineLength: 20 });
  const ev = feed(r, 'long NOOP ', 'x'.repeat(30), 'y'.repeat(50), '\r\nok NOOP\r\n');
  assert.deepEqual(ev.map((e) => e.kind), ['error', 'command']);
  assert.equal(ev[0]!.kind === 'error' && ev[0]!.tag, 'long');
  // Exactly at the limit is fine, one over is not.
  assert.equal(feed(r, `a ${'x'.repeat(18)}\r\n`)[0]!.kind, 'command');
  assert.equal(feed(r, `a ${'x'.repeat(19)}\r\n`)[0]!.kind, 'error');
});

test('garbage never throws and blank lines are ignored', () => {
  const r = new CommandReader();
  const junk = Buffer.from([0xff, 0xfe, 0, 13, 10, 0x80, 32, 40, 13, 10, 13, 10, 10]);
  const ev = feed(r, junk);
  assert.ok(ev.every((e) => e.kind === 'error'));
  assert.equal(feed(r, 'a NOOP\r\n')[0]!.kind, 'command');
});

test('raw-line mode delivers IDLE\'s DONE and SASL responses untouched', () => {
  const r = new CommandReader();
  r.setRawLineMode(true);
  assert.deepEqual(feed(r, 'DONE\r\n', 'AGpvZQBwdw==\r\n'), [{ kind: 'line', line: 'DONE' }, { kind: 'line', line: 'AGpvZQBwdw==' }]);
  r.setRawLineMode(false);
  assert.equal(feed(r, 'a NOOP\r\n')[0]!.kind, 'command');
});

const SCRIPT = 'a1 LOGIN {3}\r\nbob {4+}\r\npass\r\nA2 APPEND "Sent Items" (\\Seen) "17-Jul-1996 02:44:25 -0700" {12}\r\nhello\r\nworld\r\na3 SEARCH CHARSET UTF-8 (OR FROM "x y" SUBJECT {2+}\r\nhi)\r\nbad "open\r\nz NOOP\r\n';

test('splitting the input at every byte position yields the same events (inline and streamed literals)', () => {
  for (const inlineLiteralMax of [64, 3]) {
    const limits = { ...DEFAULT_READER_LIMITS, inlineLiteralMax };
    const whole = normalize(feed(new CommandReader(limits), SCRIPT));
    assert.equal(whole.filter((e) => (e as ReaderEvent).kind === 'command').length, 4);
    for (let i = 1; i < SCRIPT.length; i++) {
      assert.deepEqual(normalize(feed(new CommandReader(limits), SCRIPT.slice(0, i), SCRIPT.slice(i))), whole, `split at ${i}`);
    }
  }
});

test('property: any chunking of the input yields the same events', () => {
  const whole = normalize(feed(new CommandReader({ ...DEFAULT_READER_LIMITS, inlineLiteralMax: 5 }), SCRIPT));
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: SCRIPT.length - 1 }), { maxLength: 12 }), (cuts) => {
    const points = [...new Set(cuts)].sort((a, b) => a - b);
    const chunks: string[] = [];
    let prev = 0;
    for (const p of points) { chunks.push(SCRIPT.slice(prev, p)); prev = p; }
    chunks.push(SCRIPT.slice(prev));
    const r = new CommandReader({ ...DEFAULT_READER_LIMITS, inlineLiteralMax: 5 });
    assert.deepEqual(normalize(feed(r, ...chunks)), whole);
  }), { numRuns: 300 });
});

test('an over-long line announcing {n+} has its literal skipped too (RFC 7888 section 4)', () => {
  const r = new CommandReader({ ...DEFAULT_READER_LIMITS, maxLineLength: 20 });
  const ev = feed(r, `a APPEND ${'x'.repeat(30)} {14+}\r\n`, 'b DELETE INBOX', '\r\nc NOOP\r\n');
  assert.deepEqual(ev.map((e) => e.kind), ['error', 'command']);
  assert.equal(ev[1]!.kind === 'command' && ev[1]!.tag, 'c');
  // A synchronizing marker needs nothing skipped: the client waits for "+" that never comes.
  const sync = feed(r, `a APPEND ${'x'.repeat(30)} {5}\r\n`, 'd NOOP\r\n');
  assert.deepEqual(sync.map((e) => e.kind === 'command' ? e.tag : e.kind), ['error', 'd']);
});

test('while a refused command is skipped, a later synchronizing literal ends it (no "+" is ever sent)', () => {
  const r = new CommandReader({ ...DEFAULT_READER_LIMITS, maxLiteralSize: 3 });
  const ev = feed(r, 'a APPEND INBOX {5+}\r\n12345 {2}\r\n', 'b NOOP\r\n');
  assert.deepEqual(ev.map((e) => e.kind === 'command' ? e.tag : e.kind), ['error', 'b']);
  // A line one octet over the limit, ended by a bare LF, announcing {n+}: its literal is skipped too.
  const r2 = new CommandReader({ ...DEFAULT_READER_LIMITS, maxLineLength: 12 });
  const ev2 = feed(r2, 'a X 1234 {3+}', '\nd X\r\ne NOOP\r\n');
  assert.deepEqual(ev2.map((e) => e.kind === 'command' ? e.tag : e.kind), ['error', 'e']);
});
