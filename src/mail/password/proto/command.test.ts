// poppassd command parsing and reply formatting, by table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReply, parseCommand } from './command.ts';

test('parseCommand() keeps the argument exactly, verbs in any case', () => {
  assert.deepEqual(parseCommand('user alice@demo.test'), { verb: 'user', arg: 'alice@demo.test' });
  assert.deepEqual(parseCommand('USER alice'), { verb: 'user', arg: 'alice' });
  assert.deepEqual(parseCommand('pass  two spaces '), { verb: 'pass', arg: ' two spaces ' });
  assert.deepEqual(parseCommand('newpass correct horse'), { verb: 'newpass', arg: 'correct horse' });
  assert.deepEqual(parseCommand('pass'), { verb: 'pass', arg: '' });
  assert.deepEqual(parseCommand('QUIT'), { verb: 'quit' });
  assert.deepEqual(parseCommand('GET / HTTP/1.1'), { verb: 'unknown', text: 'get' });
  assert.deepEqual(parseCommand(''), { verb: 'unknown', text: '' });
});

test('formatReply() ends in CRLF and cannot be split by the text', () => {
  assert.equal(formatReply({ code: 200, text: 'Bye.' }), '200 Bye.\r\n');
  assert.equal(formatReply({ code: 500, text: 'a\r\nb' }), '500 a b\r\n');
});
