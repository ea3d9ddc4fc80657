// The bounded alert queue: in-order delivery, drop-oldest with a counter when full, failed
// deliveries counted, and close() that abandons a stuck delivery after its grace period.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedQueue } from './queue.ts';

test('delivers in order, one at a time', async () => {
  const got: number[] = [];
  let inFlight = 0;
  const q = new BoundedQueue<number>(10, async (n) => {
    inFlight += 1;
    assert.equal(inFlight, 1, 'two deliveries at once');
    await new Promise((r) => setTimeout(r, 2));
    got.push(n);
    inFlight -= 1;
  });
  for (let i = 0; i < 8; i++) q.push(i);
  await q.idle();
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(q.stats(), { sent: 8, dropped: 0, failed: 0, queued: 0 });
});

test('a full queue drops the oldest waiting event and counts it; push never waits', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const got: number[] = [];
  const q = new BoundedQueue<number>(3, async (n) => { await gate; got.push(n); });
  for (let i = 0; i < 1_000; i++) q.push(i); // 0 is in delivery; 1..999 compete for 3 places
  assert.deepEqual(q.stats(), { sent: 0, dropped: 996, failed: 0, queued: 3 });
  release();
  await q.idle();
  assert.deepEqual(got, [0, 997, 998, 999]);
});

test('a failed delivery is counted and reported, and the next one still goes', async () => {
  const failures: unknown[] = [];
  const q = new BoundedQueue<number>(5, async (n) => { if (n === 1) throw new Error('boom'); }, (_n, err) => failures.push(err));
  [0, 1, 2].forEach((n) => q.push(n));
  await q.idle();
  assert.deepEqual(q.stats(), { sent: 2, dropped: 0, failed: 1, queued: 0 });
  assert.match(String(failures[0]), /boom/);
});

test('close() gives a stuck delivery its grace period, then aborts it and drops the rest', async () => {
  const q = new BoundedQueue<number>(5, (_n, signal) => new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  }));
  [0, 1, 2].forEach((n) => q.push(n));
  await q.close(50);
  assert.deepEqual(q.stats(), { sent: 0, dropped: 2, failed: 1, queued: 0 });
  q.push(3);
  assert.equal(q.stats().dropped, 3, 'closed: new events are dropped');
});

test('a capacity that is not a positive integer is refused', () => {
  assert.throws(() => new BoundedQueue<number>(0, async () => undefined), /positive integer/);
});
