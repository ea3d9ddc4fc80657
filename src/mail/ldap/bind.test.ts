// Simple bind: which bind names mean which mail user, refusals with their result codes,
// and throttling that stops checking passwords after repeated failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindNameToAddress, simpleBind } from './bind.ts';
import { LoginThrottle } from '../../lib/login-throttle.ts';
import { ResultCode } from './search.ts';
import type { User } from '../directory/directory.ts';

test('bindNameToAddress() accepts the uid DN, a mail= DN and a plain address', () => {
  const cases: Array<[string, string | null]> = [
    ['uid=alice,ou=people,dc=demo,dc=test', 'alice@demo.test'],
    ['UID=Alice,OU=People,DC=Demo,DC=Test', 'alice@demo.test'],
    ['mail=alice@demo.test,ou=people,dc=demo,dc=test', 'alice@demo.test'],
    ['alice@demo.test', 'alice@demo.test'],
    ['uid=alice,ou=lists,dc=demo,dc=test', null],
    ['cn=admin,dc=demo,dc=test', null],
    ['uid=alice,dc=demo,dc=test', null],
    ['alice', null],
    ['uid=alice,,dc=x', null],
  ];
  for (const [name, expected] of cases) assert.equal(bindNameToAddress(name), expected, name);
});

const ALICE: User = { address: 'alice@demo.test', domain: 'demo.test', local: 'alice', displayName: 'Alice', quotaBytes: 0, enabled: true, createdAt: 0, updatedAt: 0 };

function deps(now: () => number) {
  const checked: string[] = [];
  return {
    checked,
    deps: {
      authenticate: async (address: string, password: string) => { checked.push(address); return address === ALICE.address && password === 'wonderland' ? ALICE : null; },
      throttle: new LoginThrottle({ maxFailuresPerIp: 10, maxFailuresPerUser: 3, windowMs: 60_000, now }),
    },
  };
}

test('simpleBind() outcomes: anonymous, user, bad password, unauthenticated bind', async () => {
  const { deps: d } = deps(() => 0);
  assert.equal((await simpleBind(d, '127.0.0.1', '', '')).kind, 'anonymous');
  const ok = await simpleBind(d, '127.0.0.1', 'uid=alice,ou=people,dc=demo,dc=test', 'wonderland');
  assert.equal(ok.kind, 'user');
  const bad = await simpleBind(d, '127.0.0.1', 'alice@demo.test', 'nope');
  assert.equal(bad.result.code, ResultCode.invalidCredentials);
  const unauth = await simpleBind(d, '127.0.0.1', 'alice@demo.test', '');
  assert.equal(unauth.result.code, ResultCode.unwillingToPerform);
  const stranger = await simpleBind(d, '127.0.0.1', 'cn=admin,dc=demo,dc=test', 'x');
  assert.equal(stranger.result.code, ResultCode.invalidCredentials);
});

test('after the per-user limit, binds are refused as busy without a password check, until the window passes', async () => {
  let now = 0;
  const { deps: d, checked } = deps(() => now);
  for (let i = 0; i < 3; i++) assert.equal((await simpleBind(d, '10.0.0.1', 'alice@demo.test', `wrong${i}`)).result.code, ResultCode.invalidCredentials);
  const before = checked.length;
  const blocked = await simpleBind(d, '10.0.0.2', 'alice@demo.test', 'wonderland');
  assert.equal(blocked.result.code, ResultCode.busy);
  assert.match(blocked.result.message, /try again in 60 seconds/);
  assert.equal(checked.length, before, 'no password check while throttled');
  now = 61_000;
  assert.equal((await simpleBind(d, '10.0.0.2', 'alice@demo.test', 'wonderland')).kind, 'user');
});
