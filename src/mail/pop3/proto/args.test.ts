// Table tests for POP3 command splitting and argument parsing (RFC 1939, RFC 5034).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitCommand, parseOptionalMsg, parseMsg, parseTop, parseUser, parsePass, parseAuth, parseNone, parseMsgNumber } from './args.ts';

test('splitCommand() upper-cases the keyword and keeps the arguments (RFC 1939 section 3)', () => {
  const cases: Array<[string, ReturnType<typeof splitCommand>]> = [
    ['stat', { verb: 'STAT', rest: '', raw: '' }],
    ['LIST 1', { verb: 'LIST', rest: '1', raw: '1' }],
    ['top 1  10 ', { verb: 'TOP', rest: '1  10', raw: '1  10 ' }],
    ['PASS  secret with spaces ', { verb: 'PASS', rest: 'secret with spaces', raw: ' secret with spaces ' }],
    ['', null],
    ['123', null],
    ['\x00\x01', null],
    ['GET / HTTP/1.1', { verb: 'GET', rest: '/ HTTP/1.1', raw: '/ HTTP/1.1' }],
  ];
  for (const [line, expected] of cases) assert.deepEqual(splitCommand(line), expected, JSON.stringify(line));
});

test('message numbers are positive decimal integers', () => {
  assert.equal(parseMsgNumber('1'), 1);
  assert.equal(parseMsgNumber('0042'), 42);
  for (const bad of ['0', '-1', '+1', '1.5', 'x', '', '1234567890']) {
    assert.ok('error' in (parseMsgNumber(bad) as object), bad);
  }
});

test('argument parsers accept what RFC 1939 allows and name the problem otherwise', () => {
  assert.deepEqual(parseOptionalMsg(''), { msg: null });
  assert.deepEqual(parseOptionalMsg('3'), { msg: 3 });
  assert.match((parseOptionalMsg('1 2') as { error: string }).error, /at most one/);
  assert.deepEqual(parseMsg('7'), { msg: 7 });
  assert.match((parseMsg('') as { error: string }).error, /one message number/);
  assert.deepEqual(parseTop('1 0'), { msg: 1, lines: 0 });
  assert.deepEqual(parseTop('2 15'), { msg: 2, lines: 15 });
  assert.match((parseTop('1') as { error: string }).error, /number of lines/);
  assert.match((parseTop('1 -1') as { error: string }).error, /invalid number of lines/);
  assert.deepEqual(parseUser('alice@demo.test'), { name: 'alice@demo.test' });
  assert.ok('error' in (parseUser('') as object));
  assert.ok('error' in (parseUser('a b') as object));
  assert.deepEqual(parsePass(' two words '), { password: ' two words ' });
  assert.ok('error' in (parsePass('') as object));
  assert.equal(parseNone(''), null);
  assert.ok('error' in (parseNone('x') as object));
});

test('parseAuth() reads the mechanism and the optional initial response (RFC 5034 section 4)', () => {
  assert.deepEqual(parseAuth(''), { mechanism: null, initial: null });
  assert.deepEqual(parseAuth('plain'), { mechanism: 'PLAIN', initial: null });
  assert.deepEqual(parseAuth('PLAIN AGFsaWNlAHB3'), { mechanism: 'PLAIN', initial: 'AGFsaWNlAHB3' });
  assert.deepEqual(parseAuth('PLAIN ='), { mechanism: 'PLAIN', initial: '=' });
  assert.ok('error' in (parseAuth('PLAIN a b') as object));
  assert.ok('error' in (parseAuth('PL@IN') as object));
});
