import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyOutcome, retryDelayMs, nextAttemptAt, expiresAt, isExpired, planMxHosts, parseReply,
  entryAttempts, isComplete, type AttemptOutcome, type Verdict,
} from './schedule.ts';

const schedule = [60, 300, 900];

test('retryDelayMs() walks the schedule, repeats the last delay and adds at most 10% jitter', () => {
  const cases: Array<[attempts: number, jitter: number, expectedMs: number]> = [
    [1, 0, 60_000],
    [2, 0, 300_000],
    [3, 0, 900_000],
    [4, 0, 900_000],
    [50, 0, 900_000],
    [0, 0, 60_000],
    [1, 0.5, 63_000],
    [3, 0.999, 989_910],
    [1, 7, 65_999.94],
    [1, -3, 60_000],
  ];
  for (const [attempts, jitter, expected] of cases) {
    assert.equal(retryDelayMs(attempts, schedule, jitter), Math.round(expected), `attempts=${attempts} jitter=${jitter}`);
  }
  assert.equal(nextAttemptAt(1_000, 2, schedule, 0), 301_000);
  assert.throws(() => retryDelayMs(1, [], 0), /empty retry schedule/);
});

test('expiry is createdAt + maxAgeSeconds, inclusive', () => {
  assert.equal(expiresAt(1_000, 60), 61_000);
  assert.equal(isExpired({ now: 60_999, createdAt: 1_000, maxAgeSeconds: 60 }), false);
  assert.equal(isExpired({ now: 61_000, createdAt: 1_000, maxAgeSeconds: 60 }), true);
});

test('classifyOutcome(): 2xx delivered, 5xx failed, 4xx/network/timeout retried, expired temporary failures fail', () => {
  const fresh = { now: 10_000, createdAt: 0, maxAgeSeconds: 3600 };
  const old = { now: 3_600_000, createdAt: 0, maxAgeSeconds: 3600 };
  const cases: Array<[AttemptOutcome, typeof fresh, Verdict]> = [
    [{ kind: 'accepted', reply: '250 2.0.0 Ok: queued as X' }, fresh, { kind: 'delivered', result: '250 2.0.0 Ok: queued as X', status: '2.0.0' }],
    [{ kind: 'accepted', reply: '250 ok' }, old, { kind: 'delivered', result: '250 ok', status: '2.0.0' }],
    [{ kind: 'reply', code: 550, text: '5.1.1 No such user' }, fresh, { kind: 'failed', result: '550 5.1.1 No such user', status: '5.1.1' }],
    [{ kind: 'reply', code: 554, text: 'rejected' }, fresh, { kind: 'failed', result: '554 rejected', status: '5.0.0' }],
    [{ kind: 'reply', code: 550, text: '4.1.1 inconsistent class' }, fresh, { kind: 'failed', result: '550 4.1.1 inconsistent class', status: '5.0.0' }],
    [{ kind: 'reply', code: 451, text: '4.7.1 greylisted,\r\n try later' }, fresh, { kind: 'retry', result: '451 4.7.1 greylisted, try later', status: '4.7.1' }],
    [{ kind: 'reply', code: 421, text: 'shutting down' }, fresh, { kind: 'retry', result: '421 shutting down', status: '4.0.0' }],
    [{ kind: 'network', error: 'connect ECONNREFUSED 127.0.0.9:25' }, fresh, { kind: 'retry', result: 'connect ECONNREFUSED 127.0.0.9:25', status: '4.4.1' }],
    [{ kind: 'timeout', error: 'greeting never received' }, fresh, { kind: 'retry', result: 'greeting never received', status: '4.4.2' }],
    [{ kind: 'reply', code: 451, text: '4.7.1 greylisted' }, old, { kind: 'failed', result: 'delivery time expired; last error: 451 4.7.1 greylisted', status: '4.4.7' }],
    [{ kind: 'network', error: 'ECONNREFUSED' }, old, { kind: 'failed', result: 'delivery time expired; last error: ECONNREFUSED', status: '4.4.7' }],
    [{ kind: 'reply', code: 550, text: '5.7.1 no' }, old, { kind: 'failed', result: '550 5.7.1 no', status: '5.7.1' }],
  ];
  for (const [outcome, expiry, expected] of cases) {
    assert.deepEqual(classifyOutcome(outcome, expiry), expected, JSON.stringify(outcome));
  }
});

test('parseReply() separates code, enhanced status and text', () => {
  assert.deepEqual(parseReply('550 5.1.1 No such user'), { code: 550, status: '5.1.1', text: 'No such user' });
  assert.deepEqual(parseReply('250-ok'), { code: 250, status: null, text: 'ok' });
  assert.deepEqual(parseReply('connection reset'), { code: null, status: null, text: 'connection reset' });
});

test('planMxHosts() orders by preference, falls back to the domain, and refuses null MX', () => {
  const cases: Array<[records: Array<{ exchange: string; priority: number }>, expected: ReturnType<typeof planMxHosts>]> = [
    [[], { kind: 'hosts', hosts: ['example.org'] }],
    [[{ exchange: 'b.example.org', priority: 20 }, { exchange: 'A.example.org.', priority: 10 }], { kind: 'hosts', hosts: ['a.example.org', 'b.example.org'] }],
    [[{ exchange: 'x', priority: 5 }, { exchange: 'y', priority: 5 }, { exchange: 'x', priority: 9 }], { kind: 'hosts', hosts: ['x', 'y'] }],
    [[{ exchange: '', priority: 0 }], { kind: 'fail', outcome: { kind: 'reply', code: 556, text: '5.1.10 example.org does not accept mail (null MX)' } }],
    [[{ exchange: '.', priority: 0 }], { kind: 'fail', outcome: { kind: 'reply', code: 556, text: '5.1.10 example.org does not accept mail (null MX)' } }],
    [[{ exchange: '', priority: 0 }, { exchange: 'mx.example.org', priority: 10 }], { kind: 'hosts', hosts: ['mx.example.org'] }],
  ];
  for (const [records, expected] of cases) assert.deepEqual(planMxHosts('example.org', records), expected, JSON.stringify(records));
});

test('entryAttempts() and isComplete() look at pending recipients only', () => {
  const rs = [{ status: 'delivered', attempts: 9 }, { status: 'pending', attempts: 2 }, { status: 'pending', attempts: 3 }];
  assert.equal(entryAttempts(rs), 3);
  assert.equal(isComplete(rs), false);
  assert.equal(isComplete([{ status: 'delivered' }, { status: 'failed' }]), true);
});
