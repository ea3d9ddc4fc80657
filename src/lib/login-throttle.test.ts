// Tests for login throttling (with a fake clock) and the maildrop lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from './login-throttle.ts';
import { MailboxLocks } from '../mail/pop3/server/mailbox-lock.ts';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

test('LoginThrottle blocks a user after maxFailuresPerUser inside the window, and lifts the block after it', () => {
  const c = clock();
  const th = new LoginThrottle({ maxFailuresPerIp: 10, maxFailuresPerUser: 3, windowMs: 60_000, now: c.now });
  for (let i = 0; i < 3; i++) {
    assert.equal(th.check('10.0.0.1', 'Alice@demo.test'), null);
    th.recordFailure('10.0.0.1', 'alice@demo.test');
    c.advance(10_000);
  }
  assert.deepEqual(th.check('10.0.0.2', 'ALICE@demo.test'), { scope: 'user', retryAfterSeconds: 30 }, 'user names are compared case-insensitively, from any IP');
  c.advance(30_000);
  assert.equal(th.check('10.0.0.2', 'alice@demo.test'), null, 'the oldest failure left the window');
});

test('LoginThrottle blocks an IP spraying many user names; success clears only the user count', () => {
  const c = clock();
  const th = new LoginThrottle({ maxFailuresPerIp: 3, maxFailuresPerUser: 2, windowMs: 60_000, now: c.now });
  th.recordFailure('10.0.0.9', 'a');
  th.recordFailure('10.0.0.9', 'b');
  assert.equal(th.check('10.0.0.9', 'c'), null);
  th.recordFailure('10.0.0.9', 'c');
  assert.equal(th.check('10.0.0.9', 'd')?.scope, 'ip');
  assert.equal(th.check('10.0.0.8', 'a'), null);
  th.recordFailure('10.0.0.8', 'a');
  assert.equal(th.check('10.0.0.7', 'a')?.scope, 'user');
  th.recordSuccess('A');
  assert.equal(th.check('10.0.0.7', 'a'), null);
  assert.equal(th.check('10.0.0.9', 'a')?.scope, 'ip', 'the IP count stays after a success');
});

test('LoginThrottle keeps at most maxKeys entries, dropping the least recently failed', () => {
  const th = new LoginThrottle({ maxFailuresPerIp: 1, maxFailuresPerUser: 100, windowMs: 60_000, maxKeys: 2 });
  th.recordFailure('1.1.1.1', 'u1');
  th.recordFailure('2.2.2.2', 'u2');
  th.recordFailure('3.3.3.3', 'u3');
  assert.equal(th.check('1.1.1.1', 'x'), null, 'evicted');
  assert.equal(th.check('3.3.3.3', 'x')?.scope, 'ip');
});

test('MailboxLocks gives a maildrop to one session; release is idempotent and only frees its own lock', () => {
  const locks = new MailboxLocks();
  const a = locks.acquire('alice@demo.test', 's1');
  assert.ok(a);
  assert.equal(locks.acquire('alice@demo.test', 's2'), null);
  assert.ok(locks.acquire('bob@demo.test', 's2'));
  a.release();
  const b = locks.acquire('alice@demo.test', 's3');
  assert.ok(b);
  a.release();
  assert.equal(locks.holder('alice@demo.test'), 's3', 'a second release of an old lock does not free the new holder');
});
