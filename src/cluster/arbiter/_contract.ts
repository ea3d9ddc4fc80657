// The arbiter contract: one suite every backend must pass (memory, disk, etcd).
// Time is a ManualClock so expiry is exact, except for backends whose storage keeps its own
// time (etcd expires leases on its server clock): there the suite waits for real time and
// polls where the backend's expiry is late by its own granularity. Every real-time loop is
// bounded. Races use real async I/O where the backend has it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLeaseValid, leaseValidUntil, monotonicClock, type Arbiter, type Clock, type HolderInfo, type Lease, type LeaseTiming } from './lease.ts';
import { ManualClock } from './memory.ts';

export interface ContractBackend {
  /** A new view of the same shared arbiter, as one more node would have (its own state). */
  view(): Arbiter;
  cleanup(): Promise<void>;
}

/** `clock` is the clock the backend must use: a ManualClock, or the real one in real-time mode. */
export type BackendFactory = (clock: Clock, timing: LeaseTiming) => Promise<ContractBackend>;

export interface ContractOptions {
  /**
   * The backend's storage expires leases on its own (real) clock, so time cannot be moved by
   * hand: "advance" sleeps, and a takeover is awaited by polling (bounded) instead of expected
   * at an exact instant. Loops with many expiries run fewer rounds.
   */
  readonly realTime?: boolean;
  /** Timing for the suite (default ttl 1 s, margin 100 ms). */
  readonly timing?: LeaseTiming;
  /** Real time only: how late after ttl + margin the backend may still report the old holder. */
  readonly expirySlackMs?: number;
  /**
   * Run the cases at the same time (each has its own backend): for real-time backends, whose
   * cases mostly wait. Every assertion must then hold whatever the scheduling delays.
   */
  readonly concurrent?: boolean;
}

/** The suite's view of time: a manual clock it moves, or the real clock it waits on. */
interface ContractTime extends Clock {
  readonly real: boolean;
  advance(ms: number): Promise<void>;
}

function manualTime(clock: ManualClock): ContractTime {
  return { real: false, now: () => clock.now(), advance: async (ms) => { clock.advance(ms); } };
}

const realTime: ContractTime = { real: true, now: () => monotonicClock.now(), advance: async (ms) => { await sleep(ms); } };

async function must(arbiter: Arbiter, group: string, node: string): Promise<Lease> {
  const r = await arbiter.acquire(group, node);
  assert.ok(r.ok, `${node} should acquire ${group}: ${JSON.stringify(r)}`);
  return r.lease;
}

export function arbiterContract(name: string, factory: BackendFactory, opts: ContractOptions = {}): void {
  if (opts.concurrent) {
    describe(name, { concurrency: true }, () => { contractCases(name, factory, opts); });
  } else {
    contractCases(name, factory, opts);
  }
}

/** Who holds and at which epoch (the optional wake-up hint aside). */
function who(info: HolderInfo): { holder: string | null; epoch: number } {
  return { holder: info.holder, epoch: info.epoch };
}

function contractCases(name: string, factory: BackendFactory, opts: ContractOptions): void {
  const timing = opts.timing ?? { ttlMs: 1_000, marginMs: 100 };
  const takeoverMs = timing.ttlMs + timing.marginMs + 1;
  const real = opts.realTime === true;
  /** Real time: the longest we wait for a takeover the backend owes us. */
  const takeoverBoundMs = takeoverMs + (opts.expirySlackMs ?? 2_000);
  const rounds = (manual: number, realTimeRounds: number): number => (real ? realTimeRounds : manual);

  const withBackend = (title: string, body: (b: ContractBackend, clock: ContractTime) => Promise<void>): void => {
    test(`${name}: ${title}`, async () => {
      const manual = new ManualClock();
      const time = real ? realTime : manualTime(manual);
      const backend = await factory(real ? monotonicClock : manual, timing);
      try {
        await body(backend, time);
      } finally {
        await backend.cleanup();
      }
    });
  };

  /**
   * After the holder went silent: the takeover by `node`. Manual time: exactly once ttl +
   * margin has passed. Real time: the first success of a bounded polling loop, which must
   * return more than ttl + margin after `silentSince` (the start of the holder's last renewal).
   */
  const takeOver = async (view: Arbiter, group: string, node: string, clock: ContractTime, silentSince: number): Promise<Lease> => {
    if (!real) {
      await clock.advance(takeoverMs);
      return must(view, group, node);
    }
    for (;;) {
      const r = await view.acquire(group, node);
      const answeredAt = clock.now();
      if (r.ok) {
        assert.ok(answeredAt - silentSince > timing.ttlMs + timing.marginMs, `taken ${answeredAt - silentSince} ms after the holder went silent`);
        return r.lease;
      }
      assert.ok(answeredAt - silentSince < takeoverBoundMs, `no takeover within ${takeoverBoundMs} ms: ${JSON.stringify(r)}`);
      await clock.advance(timing.marginMs / 2);
    }
  };

  /** Real time: waits (bounded) until the backend reports the group free. */
  const untilFree = async (view: Arbiter, group: string, clock: ContractTime): Promise<void> => {
    const start = clock.now();
    while ((await view.holder(group)).holder !== null) {
      assert.ok(clock.now() - start < takeoverBoundMs, `${group} still held ${takeoverBoundMs} ms later`);
      await clock.advance(timing.marginMs / 2);
    }
  };

  withBackend('a free group is granted with a positive epoch, and holder() names the holder', async (b) => {
    const a = b.view();
    const lease = await must(a, 'mail', 'a');
    assert.ok(lease.epoch > 0);
    assert.deepEqual(who(await b.view().holder('mail')), { holder: 'a', epoch: lease.epoch });
  });

  withBackend('no second holder while the first keeps renewing', async (b, clock) => {
    const [a, other] = [b.view(), b.view()];
    let lease = await must(a, 'mail', 'a');
    // Real time: 2.5 TTLs of renewals prove the backend's own expiry is pushed back too.
    for (let i = 0; i < rounds(20, 10); i++) {
      await clock.advance(timing.ttlMs / 4);
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
    const second = await takeOver(other, 'mail', 'b', clock, first.renewedAtMs);
    assert.ok(second.epoch > first.epoch);
    assert.equal((await a.renew(first)).ok, false);
  });

  withBackend('a silent holder judges itself lost before anyone else can take over', async (b, clock) => {
    const [a, other] = [b.view(), b.view()];
    const start = clock.now();
    const lease = await must(a, 'mail', 'a');
    let takenAt: number | null = null;
    const horizon = real ? takeoverBoundMs : 2 * timing.ttlMs;
    for (let t = 0; t <= horizon && takenAt === null; t = clock.now() - start) {
      const askedAt = clock.now();
      const r = await other.acquire('mail', 'b');
      if (r.ok) takenAt = clock.now();
      // A grant lands after the call began: the holder must have stopped believing by then.
      assert.ok(!(r.ok && isLeaseValid(lease, askedAt)), `two holders at +${t} ms`);
      await clock.advance(timing.marginMs / 4);
    }
    if (real) assert.ok(lease.renewedAtMs >= start);
    else assert.equal(lease.renewedAtMs, start);
    assert.equal(leaseValidUntil(lease), lease.renewedAtMs + timing.ttlMs - timing.marginMs);
    assert.ok(takenAt !== null && takenAt - lease.renewedAtMs > timing.ttlMs + timing.marginMs, `taken at +${takenAt === null ? 'never' : takenAt - lease.renewedAtMs}`);
  });

  withBackend('a holder cut off from the arbiter (every renewal times out) self-fences before a takeover', async (b, clock) => {
    const [a, other] = [b.view(), b.view()];
    let lease = await must(a, 'mail', 'a');
    await clock.advance(timing.ttlMs / 4);
    const r = await a.renew(lease);
    assert.ok(r.ok);
    lease = r.lease;
    const cutAt = clock.now();
    let stoppedAt: number | null = null;
    let takenAt: number | null = null;
    for (let i = 0; (real ? clock.now() - cutAt < takeoverBoundMs : i < 100) && takenAt === null; i++) {
      const renewed = await a.renew(lease, AbortSignal.abort());
      assert.deepEqual(renewed, { ok: false, reason: 'timeout' });
      const askedAt = clock.now();
      const aBelieves = isLeaseValid(lease, askedAt);
      if (!aBelieves && stoppedAt === null) stoppedAt = askedAt;
      const o = await other.acquire('mail', 'b');
      if (o.ok) takenAt = clock.now();
      assert.ok(!(o.ok && aBelieves), `two holders ${askedAt - cutAt} ms after the cut`);
      await clock.advance(timing.marginMs / 4);
    }
    assert.ok(stoppedAt !== null && takenAt !== null && stoppedAt < takenAt, `stopped ${stoppedAt}, taken ${takenAt}`);
    // Real time samples late under load: measure from where the holder's own rule stopped it.
    const stopPoint = real ? leaseValidUntil(lease) : stoppedAt;
    assert.ok(takenAt - stopPoint >= 2 * timing.marginMs, `gap ${takenAt - stopPoint} ms`);
  });

  withBackend('an expired lease is never revived by renew', async (b, clock) => {
    const a = b.view();
    const lease = await must(a, 'mail', 'a');
    await clock.advance(timing.ttlMs - timing.marginMs);
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
    assert.deepEqual(who(await observer.holder('mail')), { holder: null, epoch: first.epoch });
    const second = await must(a, 'mail', 'a');
    const held = await observer.holder('mail');
    assert.deepEqual(who(held), { holder: 'a', epoch: second.epoch });
    if (held.freeAtMs !== undefined) {
      // The wake-up hint is never earlier than the arbiter's own rule (ttl + margin of silence).
      assert.ok(held.freeAtMs >= second.renewedAtMs + timing.ttlMs + timing.marginMs, `freeAtMs ${held.freeAtMs} earlier than ttl + margin after the grant`);
    }
    if (real) {
      await untilFree(observer, 'mail', clock);
      assert.ok(clock.now() - second.renewedAtMs > timing.ttlMs + timing.marginMs, 'reported free before ttl + margin');
    } else {
      await clock.advance(takeoverMs);
    }
    assert.deepEqual(who(await observer.holder('mail')), { holder: null, epoch: second.epoch });
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
    let silent: Lease | null = null; // the previous winner went silent: this round waits it out
    for (let round = 0; round < rounds(9, 5); round++) {
      const [node, view] = views[round % 3]!;
      let lease: Lease;
      if (silent) {
        assert.equal((await view.acquire('mail', node)).ok, false); // the first sighting starts the watch
        lease = await takeOver(view, 'mail', node, clock, silent.renewedAtMs);
      } else {
        lease = await must(view, 'mail', node);
      }
      epochs.push(lease.epoch);
      silent = round % 2 === 1 ? lease : null;
      if (!silent) await view.release(lease);
    }
    for (let i = 1; i < epochs.length; i++) assert.ok(epochs[i]! > epochs[i - 1]!, `epochs ${epochs.join(',')}`);
  });

  withBackend('peers() dates a heartbeat change on the observer clock', async (b, clock) => {
    const [a, observer] = [b.view(), b.view()];
    // The observer dates a change when it first sees it: between the write and its answer.
    const seenNow = async (): Promise<number> => {
      const before = clock.now();
      const seen = (await observer.peers()).get('a');
      assert.ok(seen !== undefined && seen >= before && seen <= clock.now(), `seen at ${seen}, asked at ${before}`);
      return seen;
    };
    await a.heartbeat('a');
    const t1 = await seenNow();
    await clock.advance(500);
    assert.equal((await observer.peers()).get('a'), t1, 'no new heartbeat: still last seen at t1');
    await a.heartbeat('a');
    const t2 = await seenNow();
    if (!real) assert.equal(t2, t1 + 500);
    assert.ok(t2 >= t1 + 500);
  });

  withBackend('concurrent acquirers: exactly one wins every round', async (b, clock) => {
    const contenders = ['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => [n, b.view()] as const);
    let lastEpoch = 0;
    let silent: Lease | null = null;
    for (let round = 0; round < rounds(40, 8); round++) {
      if (silent) {
        for (const [n, v] of contenders) assert.equal((await v.acquire('mail', n)).ok, false);
        if (real) await untilFree(contenders[0]![1], 'mail', clock);
        else await clock.advance(takeoverMs);
      }
      const results = await Promise.all(contenders.map(async ([n, v]) => {
        await sleep(Math.floor(Math.random() * 3));
        return v.acquire('mail', n);
      }));
      const winners = results.flatMap((r) => (r.ok ? [r.lease] : []));
      assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners: ${JSON.stringify(results)}`);
      const win = winners[0]!;
      assert.ok(win.epoch > lastEpoch);
      lastEpoch = win.epoch;
      // Alternate how the next round finds the group: released, or held by a dead node.
      silent = round % 2 === 1 ? win : null;
      if (!silent) await contenders.find(([n]) => n === win.holder)![1].release(win);
    }
  });

  withBackend('a renewal racing a takeover at the deadline: never both succeed', async (b, clock) => {
    const [a, other] = [b.view(), b.view()];
    for (let round = 0; round < rounds(30, 3); round++) {
      const group = `mail${round}`;
      const lease = await must(a, group, 'a');
      assert.equal((await other.acquire(group, 'b')).ok, false); // b's watch starts at a's grant
      await clock.advance(leaseValidUntil(lease) - clock.now() - 1); // a's last moment to start a renewal
      const renewing = a.renew(lease);
      await sleep(Math.floor(Math.random() * 3));
      await clock.advance(2 * timing.marginMs + 2); // b may now judge a silent
      const [renewed, taken] = await Promise.all([renewing, other.acquire(group, 'b')]);
      const aBelieves = renewed.ok && isLeaseValid(renewed.lease, clock.now());
      assert.ok(!(aBelieves && taken.ok), `round ${round}: both hold`);
    }
  });
}
