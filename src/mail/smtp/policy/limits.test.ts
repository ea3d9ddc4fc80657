// Login throttling, connection admission and the DATA reply rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle } from './auth-throttle.ts';
import { ConnectionLimits } from './connection-limits.ts';
import { decideDataReply } from './data-reply.ts';
import { REPLIES } from '../proto/reply.ts';

test('AuthThrottle refuses an IP after maxFailuresPerIp failures and forgets them after the window', () => {
  let now = 1_000_000;
  const t = new AuthThrottle({ maxFailuresPerIp: 3, maxFailuresPerUser: 100, failureWindowSeconds: 60 }, () => now);
  for (let i = 0; i < 3; i++) { assert.equal(t.check('1.2.3.4', `u${i}`), null); t.recordFailure('1.2.3.4', `u${i}`); }
  assert.equal(t.check('1.2.3.4', 'other')?.code, 454);
  assert.equal(t.check('5.6.7.8', 'other'), null, 'another IP is not affected');
  now += 61_000;
  assert.equal(t.check('1.2.3.4', 'other'), null);
});

test('AuthThrottle refuses a user name after maxFailuresPerUser failures from any IPs', () => {
  const t = new AuthThrottle({ maxFailuresPerIp: 100, maxFailuresPerUser: 2, failureWindowSeconds: 60 });
  t.recordFailure('10.0.0.1', 'Alice@d.test');
  t.recordFailure('10.0.0.2', 'alice@d.test');
  const r = t.check('10.0.0.3', 'ALICE@d.test');
  assert.deepEqual([r?.code, r?.enhanced], [454, '4.7.0']);
});

test('ConnectionLimits: per-IP and total limits give 421, release frees a slot', () => {
  const l = new ConnectionLimits(3, 2);
  assert.equal(l.admit('a'), null);
  assert.equal(l.admit('a'), null);
  assert.deepEqual([l.admit('a')?.code, l.admit('a')?.enhanced], [421, '4.7.0']);
  assert.equal(l.admit('b'), null);
  assert.deepEqual([l.admit('c')?.code, l.admit('c')?.enhanced], [421, '4.3.2']);
  l.release('a');
  assert.equal(l.admit('c'), null);
  assert.equal(l.active, 3);
});

const ok = { recipient: 'a', ok: true, reply: REPLIES.accepted('x') };
const full = { recipient: 'b', ok: false, reply: REPLIES.quotaTemp('b') };
const gone = { recipient: 'c', ok: false, reply: REPLIES.unknownUser('c') };

test('decideDataReply(): all delivered -> 250; none -> the failure (temporary wins); mixed -> 250 and settle the failed', () => {
  assert.equal(decideDataReply([ok], 'id').reply.code, 250);
  assert.equal(decideDataReply([full, gone], 'id').reply.code, 452);
  assert.equal(decideDataReply([gone], 'id').reply.code, 550);
  const mixed = decideDataReply([ok, full, gone], 'id');
  assert.equal(mixed.reply.code, 250);
  assert.deepEqual(mixed.failed.map((f) => f.recipient), ['b', 'c']);
});
