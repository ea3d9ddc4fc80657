// The etcd arbiter beyond the shared contract: the keys it writes, a hung etcd (SIGSTOP)
// bounding every call by its deadline or the caller's signal, recovery after SIGCONT, and
// fail-over between endpoints when one of them is dead.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { EtcdArbiter, etcdLeaseSeconds } from './etcd.ts';
import { isLeaseValid } from './lease.ts';
import { startEtcd, type EtcdServer } from '../../../test/helpers/etcd.ts';

// 2 s etcd leases (etcd's default minimum); 1.8 s of validity leaves a loaded machine room.
const timing = { ttlMs: 1_900, marginMs: 100 };
let etcd: EtcdServer;
let clusters = 0;

before(async () => { etcd = await startEtcd(); });
after(async () => { await etcd.stop(); });

async function withArbiter(opts: { endpoints?: string[]; callTimeoutMs?: number }, body: (a: EtcdArbiter, cluster: string) => Promise<void>): Promise<void> {
  const cluster = `faults${++clusters}`;
  const a = new EtcdArbiter({ endpoints: opts.endpoints ?? [etcd.endpoint], cluster, ...timing, ...(opts.callTimeoutMs ? { callTimeoutMs: opts.callTimeoutMs } : {}) });
  try {
    await body(a, cluster);
  } finally {
    a.close();
  }
}

/** A loopback port nothing listens on (bound then closed): connections are refused. */
async function deadEndpoint(): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  return `http://127.0.0.1:${port}`;
}

test('etcd lease length is ttl + margin rounded up to whole seconds', () => {
  assert.equal(etcdLeaseSeconds({ ttlMs: 900, marginMs: 100 }), 1);
  assert.equal(etcdLeaseSeconds({ ttlMs: 1_900, marginMs: 100 }), 2);
  assert.equal(etcdLeaseSeconds({ ttlMs: 3_000, marginMs: 500 }), 4);
  assert.equal(etcdLeaseSeconds({ ttlMs: 2_000, marginMs: 1 }), 3);
});

test('etcd arbiter: keys live under /tandem/<cluster>/, on etcd leases; the epoch is the owner key revision', async () => {
  await withArbiter({}, async (a, cluster) => {
    const raw = new Etcd3({ hosts: etcd.endpoint });
    try {
      await a.heartbeat('sv1');
      const r = await a.acquire('mail', 'sv1');
      assert.ok(r.ok);
      const owner = (await raw.kv.range({ key: Buffer.from(`/tandem/${cluster}/groups/mail/owner`) })).kvs[0];
      assert.ok(owner, 'owner key exists');
      assert.equal(Number(owner.create_revision), r.lease.epoch);
      assert.deepEqual(JSON.parse(owner.value.toString()), { holder: 'sv1' });
      const ownerLease = await raw.leaseClient.leaseTimeToLive({ ID: owner.lease });
      assert.equal(Number(ownerLease.grantedTTL), etcdLeaseSeconds(timing));
      const beat = (await raw.kv.range({ key: Buffer.from(`/tandem/${cluster}/nodes/sv1`) })).kvs[0];
      assert.ok(beat && beat.lease !== '0', 'heartbeat key rides on a lease');
      // Nobody renews: etcd drops both keys by itself (bounded wait).
      const start = Date.now();
      while ((await raw.getAll().prefix(`/tandem/${cluster}/nodes/`).count()) > 0 || (await raw.get(`/tandem/${cluster}/groups/mail/owner`).string()) !== null) {
        assert.ok(Date.now() - start < 10_000, 'keys still there 10 s later');
        await sleep(100);
      }
      assert.deepEqual(await a.holder('mail'), { holder: null, epoch: r.lease.epoch });
      assert.ok(await raw.get(`/tandem/${cluster}/groups/mail/epoch`).string(), 'the epoch key stays');
    } finally {
      raw.close();
    }
  });
});

test('etcd arbiter: with etcd hung (SIGSTOP), every call ends by its deadline or signal; the holder self-fences; SIGCONT recovers', async () => {
  await withArbiter({ callTimeoutMs: 400 }, async (a) => {
    const got = await a.acquire('mail', 'sv1');
    assert.ok(got.ok);
    let lease = got.lease;
    await a.heartbeat('sv1');
    const seen = await a.peers();
    etcd.pause();
    try {
      // Each call is bounded by callTimeoutMs (400 ms); allow a loaded machine 4 s.
      const timed = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
        const t0 = performance.now();
        const v = await run();
        assert.ok(performance.now() - t0 < 4_000, `${what} took ${performance.now() - t0} ms`);
        return v;
      };
      const renewed = await timed('renew', () => a.renew(lease));
      assert.equal(renewed.ok, false);
      assert.ok(!renewed.ok && (renewed.reason === 'timeout' || renewed.reason === 'expired'), JSON.stringify(renewed));
      assert.ok(a.lastError, 'the failure is kept for the log');
      const other = await timed('acquire', () => a.acquire('other', 'sv1'));
      assert.ok(!other.ok && other.reason === 'timeout');
      assert.deepEqual(await timed('holder', () => a.holder('mail')), { holder: 'sv1', epoch: lease.epoch }, 'last known');
      await timed('heartbeat', () => a.heartbeat('sv1'));
      assert.deepEqual(await timed('peers', () => a.peers()), seen);
      // The caller's signal ends a call before the deadline.
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const aborted = await timed('aborted acquire', () => a.acquire('third', 'sv1', controller.signal));
      assert.ok(!aborted.ok && aborted.reason === 'timeout');
      // The holder keeps trying and stops believing on its own clock, by ttl - margin.
      const stopBy = lease.renewedAtMs + timing.ttlMs - timing.marginMs;
      for (let i = 0; i < 50 && isLeaseValid(lease, performance.now()); i++) {
        const r = await a.renew(lease);
        assert.equal(r.ok, false);
        await sleep(50);
      }
      assert.equal(isLeaseValid(lease, performance.now()), false);
      assert.ok(performance.now() >= stopBy);
    } finally {
      etcd.resume();
    }
    // After SIGCONT the same client works again at once (no circuit breaker keeps it away).
    const start = Date.now();
    let again = await a.acquire('recovered', 'sv1');
    while (!again.ok && Date.now() - start < 10_000) {
      await sleep(100);
      again = await a.acquire('recovered', 'sv1');
    }
    assert.ok(again.ok, `no grant after SIGCONT: ${JSON.stringify(again)} ${String(a.lastError)}`);
    lease = again.lease;
    const r = await a.renew(lease);
    assert.ok(r.ok, JSON.stringify(r));
  });
});

test('etcd arbiter: a dead endpoint in the list does not stop it (calls move to a live one)', async () => {
  const dead = await deadEndpoint();
  await withArbiter({ endpoints: [dead, etcd.endpoint, dead], callTimeoutMs: 2_000 }, async (a) => {
    for (let i = 0; i < 10; i++) {
      const r = await a.acquire(`g${i}`, 'sv1');
      assert.ok(r.ok, `acquire ${i}: ${JSON.stringify(r)} ${String(a.lastError)}`);
      const renewed = await a.renew(r.lease);
      assert.ok(renewed.ok, `renew ${i}: ${JSON.stringify(renewed)} ${String(a.lastError)}`);
      await a.release(renewed.lease);
      assert.equal((await a.holder(`g${i}`)).holder, null);
    }
  });
});

test('etcd arbiter: only dead endpoints: calls fail as timeouts or temporary errors, never hang', async () => {
  await withArbiter({ endpoints: [await deadEndpoint()], callTimeoutMs: 500 }, async (a) => {
    const r = await a.acquire('mail', 'sv1');
    assert.ok(!r.ok && r.reason === 'timeout');
    // Refused at once: a temporary error; on a very slow machine the deadline may come first.
    await a.heartbeat('sv1').catch((err: unknown) => assert.match(String(err), /etcd heartbeat failed/));
    assert.ok(a.lastError, 'the failure is kept');
    assert.deepEqual(await a.holder('mail'), { holder: null, epoch: 0 });
  });
});
