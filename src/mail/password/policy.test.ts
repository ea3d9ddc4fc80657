// The password policy, by table: each rule, the sentence it produces, and passwords
// that pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPassword, COMMON_PASSWORDS } from './policy.ts';

const ctx = { user: { address: 'Alice@demo.test' }, oldPassword: 'wonderland-2019', settings: { minLength: 10 } };

test('checkPassword() reports every broken rule, and nothing for good passwords', () => {
  const cases: Array<[string, string[]]> = [
    ['correct horse battery', []],
    ['Tr0ub4dor&3x', []],
    ['short', ['must be at least 10 characters long (it has 5)']],
    ['ünïcödé!!!', []],
    ['abc', ['must be at least 10 characters long (it has 3)']],
    ['alice@demo.test', ['must not be your user name or mail address']],
    ['ALICE@DEMO.TEST', ['must not be your user name or mail address']],
    ['aliceAlice', ['must not contain your user name "alice"']],
    ['my-alice-pass', ['must not contain your user name "alice"']],
    ['wonderland-2019', ['must differ from the current password']],
    ['password123', ['is one of the most common passwords; choose another']],
    ['QWERTYUIOP', ['is one of the most common passwords; choose another']],
    ['aaaaaaaaaaaa', ['must not be one character repeated']],
    ['tab\there-and-more', ['must not contain control characters (such as tab, CR or LF)']],
    [' leading-space-pw', ['must not begin or end with a space']],
    ['x'.repeat(1025), ['must be at most 1024 characters long (it has 1025)', 'must not be one character repeated']],
    ['', ['must be at least 10 characters long (it has 0)']],
    ['123456', ['must be at least 10 characters long (it has 6)', 'is one of the most common passwords; choose another']],
  ];
  for (const [password, expected] of cases) assert.deepEqual(checkPassword(password, ctx), expected, JSON.stringify(password.slice(0, 30)));
});

test('the minimum length comes from the settings; a short local part is not a substring rule', () => {
  assert.deepEqual(checkPassword('elevenchars', { user: { address: 'bo@x.test' }, settings: { minLength: 12 } }), ['must be at least 12 characters long (it has 11)']);
  assert.deepEqual(checkPassword('bob-the-builder', { user: { address: 'bo@x.test' }, settings: { minLength: 6 } }), []);
  assert.deepEqual(checkPassword('elevenchars', { user: { address: 'bo@x.test' }, settings: { password: { minLength: 12 } } }), ['must be at least 12 characters long (it has 11)'], 'whole settings accepted');
  assert.deepEqual(checkPassword('same-as-before', { user: { address: 'bo@x.test' }, settings: { minLength: 6 } }), [], 'no old password known: no comparison');
});

test('the common password list is lower case, so case-insensitive lookups work', () => {
  for (const p of COMMON_PASSWORDS) assert.equal(p, p.toLowerCase());
  assert.ok(COMMON_PASSWORDS.size >= 50);
});
