// The arbiter contract: one suite every backend must pass (memory, disk; etcd later).
// Time is a ManualClock so expiry is exact; races use real async I/O where the backend has it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLeaseValid, leaseValidUntil, type Arbiter, type Lease, type LeaseTiming } from './lease.ts';
import { ManualClock } from './memory.ts';

export interface ContractBackend {
  /** A new view of the same shared arbiter, as one more node would have (its own state). */
  view(): Arbiter;
  cleanup(): Promise<void>;
}

export type BackendFactory = (clock: ManualClock, timing: LeaseTiming) => Promise<ContractBackend>;

const timing: LeaseTiming = { ttlMs: 1_000, marginMs: 100 };
const takeoverMs = timing.ttlMs + timing.marginMs + 1;

async function must(arbiter: Arbiter, group: string, node: string): Promise<Lease> {
  const r = await arbiter.acquire(group, node);
  assert.ok(r.ok, `${node} should acquire ${group}: ${JSON.stringify(r)}`);
  return r.lease;
}

export function arbiterContract(name: string, factory: BackendFactory): void {
  const withBackend = (title: string, body: (b: ContractBackend, clock: ManualClock) => Promise<void>): void => {
    test(`${name}: ${title}`, async () => {
      const clock = new ManualClock();
      const backend = await factory(clock, timing);
      try {
        await body(backend, clock);
      } finally {
        await backend.cleanup();
      }
    });
  };

  withBackend('a free group is granted with a positive epoch, and holder() names the holder', async (b) => {
    const a = b.view();
    const lease = await must(a, 'mail', 'a');
    assert.ok(lease.epoch > 0);
    assert.deepEqual(await b.view().holder('mail'), { holder: 'a', epoch: lease.epoch });
  });

  withBackend('no second holder while the first keeps renewing', async (b, clock) => {
    const [a, other] = [b.view(), b.view()];
    let lease = await must(a, 'mail', 'a');
    for (let i = 0; i < 20; i++) {
      clock.advance(timing.ttlMs / 4);
      const r = await a.renew(lease);
      assert.ok(r.ok, `renewal ${i}: ${JSON.stringify(r)}`);
      lease = r.lease;
      const o = await other.acquire('mail', 'b');
      assert.ok(!o.ok && o.reason === 'held' && o.current.holder === 'a', `step ${i}: ${JSON.stringify(o)}`);
    }
  });

  withBackend('the lease expires after its holder stops renewing, and the old holder cannot renew', async (b, clock) => {
    const [a, other] = [b.view(), b.view()];
    const first = await must(a, 'mail', 'a');
    assert.equal((await other.acquire('mail', 'b')).ok, false);
    clock.advance(takeoverMs);
    const second = await must(other, 'mail', 'b');
    assert.ok(second.epoch > first.epoch);
    assert.equal((await a.renew(first)).ok, false);
  });

  withBackend('a silent holder judges itself lost before anyone else can take over', async (b, clock) => {
    const [a, other] = [b.view(), b.view()];
    const lease = await must(a, 'mail', 'a');
    const start = clock.now();
    let takenAt: number | null = null;
    for (let t = 0; t <= 2 * timing.ttlMs && takenAt === null; t += timing.marginMs / 4) {
      const r = await other.acquire('mail', 'b');
      if (r.ok) takenAt = clock.now();
      assert.ok(!(r.ok && isLeaseValid(lease, clock.now())), `two holders at +${t} ms`);
      clock.advance(timing.marginMs / 4);
    }
    assert.equal(leaseValidUntil(lease), start + timing.ttlMs - timing.marginMs);
    assert.ok(takenAt !== null && takenAt - start > timing.ttlMs + timing.marginMs, `taken at +${takenAt === null ? 'never' : takenAt - start}`);
  });

  withBackend('a holder cut off from the arbiter (every renewal times out) self-fences before a takeover', async (b, clock) => {
    const [a, other] = [b.view(), b.view()];
    let lease = await must(a, 'mail', 'a');
    clock.advance(timing.ttlMs / 4);
    const r = await a.renew(lease);
    assert.ok(r.ok);
    lease = r.lease;
    const cutAt = clock.now();
    let stoppedAt: number | null = null;
    let takenAt: number | null = null;
    for (let i = 0; i < 100 && takenAt === null; i++) {
      const renewed = await a.renew(lease, AbortSignal.abort());
      assert.deepEqual(renewed, { ok: false, reason: 'timeout' });
      const aBelieves = isLeaseValid(lease, clock.now());
      if (!aBelieves && stoppedAt === null) stoppedAt = clock.now();
      const o = await other.acquire('mail', 'b');
      if (o.ok) takenAt = clock.now();
      assert.ok(!(o.ok && aBelieves), `two holders ${clock.now() - cutAt} ms after the cut`);
      clock.advance(timing.marginMs / 4);
    }
    assert.ok(stoppedAt !== null && takenAt !== null && stoppedAt < takenAt, `stopped ${stoppedAt}, taken ${takenAt}`);
    assert.ok(takenAt - stoppedAt >= 2 * timing.marginMs, `gap ${takenAt - stoppedAt} ms`);
  });

  withBackend('an expired lease is never revived by renew', async (b, clock) => {
    const a = b.view();
    const lease = await must(a, 'mail', 'a');
    clock.advance(timing.ttlMs - timing.marginMs);
    assert.deepEqual(await a.renew(lease), { ok: false, reason: 'expired' });
  });

  withBackend('release lets another node acquire at once', async (b) => {
    const [a, other] = [b.view(), b.view()];
    const first = await must(a, 'mail', 'a');
    await a.release(first);
    const second = await must(other, 'mail', 'b');
    assert.ok(second.epoch > first.epoch);
    assert.equal((await b.view().holder('mail')).holder, 'b');
  });

  withBackend('holder() reports nobody once the lease is released or silent past ttl + margin', async (b, clock) => {
    const [a, observer] = [b.view(), b.view()];
    const first = await must(a, 'mail', 'a');
    await a.release(first);
    assert.deepEqual(await observer.holder('mail'), { holder: null, epoch: first.epoch });
    const second = await must(a, 'mail', 'a');
    assert.deepEqual(await observer.holder('mail'), { holder: 'a', epoch: second.epoch });
    clock.advance(takeoverMs);
    assert.deepEqual(await observer.holder('mail'), { holder: null, epoch: second.epoch });
  });

  withBackend('a call whose signal is aborted counts as not done', async (b) => {
    const a = b.view();
    const lease = await must(a, 'mail', 'a');
    const aborted = AbortSignal.abort();
    assert.deepEqual(await a.renew(lease, aborted), { ok: false, reason: 'timeout' });
    const r = await b.view().acquire('other', 'b', aborted);
    assert.ok(!r.ok && r.reason === 'timeout');
  });

  withBackend('epochs strictly increase across takeovers by release and by expiry', async (b, clock) => {
    const views = ['a', 'b', 'c'].map((n) => [n, b.view()] as const);
    const epochs: number[] = [];
    let silentHolder = false; // the previous winner went silent: this round waits it out
    for (let round = 0; round < 9; round++) {
      const [node, view] = views[round % 3]!;
      if (silentHolder) {
        assert.equal((await view.acquire('mail', node)).ok, false); // the first sighting starts the watch
        clock.advance(takeoverMs);
      }
      const lease = await must(view, 'mail', node);
      epochs.push(lease.epoch);
      silentHolder = round % 2 === 1;
      if (!silentHolder) await view.release(lease);
    }
    for (let i = 1; i < epochs.length; i++) assert.ok(epochs[i]! > epochs[i - 1]!, `epochs ${epochs.join(',')}`);
  });

  withBackend('peers() dates a heartbeat change on the observer clock', async (b, clock) => {
    const [a, observer] = [b.view(), b.view()];
    await a.heartbeat('a');
    const t1 = clock.now();
    assert.equal((await observer.peers()).get('a'), t1);
    clock.advance(500);
    assert.equal((await observer.peers()).get('a'), t1, 'no new heartbeat: still last seen at t1');
    await a.heartbeat('a');
    assert.equal((await observer.peers()).get('a'), t1 + 500);
  });

  withBackend('concurrent acquirers: exactly one wins every round', async (b, clock) => {
    const contenders = ['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => [n, b.view()] as const);
    let lastEpoch = 0;
    let silentHolder = false;
    for (let round = 0; round < 40; round++) {
      if (silentHolder) {
        for (const [n, v] of contenders) assert.equal((await v.acquire('mail', n)).ok, false);
        clock.advance(takeoverMs);
      }
      const results = await Promise.all(contenders.map(async ([n, v]) => {
        await sleep(Math.floor(Math.random() * 3));
        return v.acquire('mail', n);
      }));
      const winners = results.flatMap((r) => (r.ok ? [r.lease] : []));
      assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
      const win = winners[0]!;
      assert.ok(win.epoch > lastEpoch);
      lastEpoch = win.epoch;
      // Alternate how the next round finds the group: released, or held by a dead node.
      silentHolder = round % 2 === 1;
      if (!silentHolder) await contenders.find(([n]) => n === win.holder)![1].release(win);
    }
  });

  withBackend('a renewal racing a takeover at the deadline: never both succeed', async (b, clock) => {
    const [a, other] = [b.view(), b.view()];
    for (let round = 0; round < 30; round++) {
      const group = `mail${round}`;
      const lease = await must(a, group, 'a');
      assert.equal((await other.acquire(group, 'b')).ok, false); // b's watch starts at a's grant
      clock.advance(timing.ttlMs - timing.marginMs - 1); // a's last moment to start a renewal
      const renewing = a.renew(lease);
      await sleep(Math.floor(Math.random() * 3));
      clock.advance(2 * timing.marginMs + 2); // b may now judge a silent
      const [renewed, taken] = await Promise.all([renewing, other.acquire(group, 'b')]);
      const aBelieves = renewed.ok && isLeaseValid(renewed.lease, clock.now());
      assert.ok(!(aBelieves && taken.ok), `round ${round}: both hold`);
    }
  });
}
