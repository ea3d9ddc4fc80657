// Arbiter timing benchmark (docs/arbiter.md): what etcd really does with short leases, how
// long a takeover after SIGKILL takes with real processes (disk and etcd), and how long one
// renewal takes in-process. Loopback etcd (/usr/bin/etcd) and temp dirs only; all cleaned up.
// Usage: node --import tsx bench/arbiter.ts [--runs N] [--ttl MS] [--margin MS] [--renewals N]
import { parseArgs } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { isLeaseValid } from '../src/cluster/arbiter/lease.ts';
import { startEtcd, startEtcdCluster } from '../test/helpers/etcd.ts';
import { holdsNow, lastRenewalStart, startArbiterNode, waitFor, type NodeEvent } from '../test/integration/arbiter-harness.ts';
import { DiskArbiter } from '../src/cluster/arbiter/disk.ts';
import { EtcdArbiter } from '../src/cluster/arbiter/etcd.ts';
import type { Arbiter } from '../src/cluster/arbiter/lease.ts';

const { values } = parseArgs({ options: {
  runs: { type: 'string', default: '3' }, ttl: { type: 'string', default: '3000' },
  margin: { type: 'string', default: '500' }, renewals: { type: 'string', default: '200' },
} });
const runs = Number(values.runs);
const timing = { ttlMs: Number(values.ttl), marginMs: Number(values.margin) };
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const ms = (x: number): string => `${x.toFixed(0)} ms`;

async function etcdShortLeases(): Promise<void> {
  const etcd = await startEtcd(); // etcd's defaults: election timeout 1000 ms
  const c = new Etcd3({ hosts: etcd.endpoint });
  try {
    for (const ask of [1, 2, 4]) {
      const g = await c.leaseClient.leaseGrant({ TTL: ask, ID: 0 });
      const t0 = performance.now();
      while (Number((await c.leaseClient.leaseTimeToLive({ ID: g.ID })).TTL) >= 0) await sleep(20);
      console.log(`etcd (election timeout 1000 ms): asked ${ask} s, granted ${g.TTL} s, gone after ${ms(performance.now() - t0)}`);
    }
  } finally {
    c.close();
    await etcd.stop();
  }
}

async function takeovers(name: 'disk' | 'etcd'): Promise<void> {
  const afterKill: number[] = [];
  const afterRenewal: number[] = [];
  for (let run = 0; run < runs; run++) {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-arbiter-'));
    const etcd = name === 'etcd' ? await startEtcd() : null;
    const spec = etcd ? `etcd:bench@${etcd.endpoint}` : join(dir, 'arbiter');
    const events: NodeEvent[] = [];
    const a = startArbiterNode(spec, 'a', timing, events);
    const b = startArbiterNode(spec, 'b', timing, events);
    try {
      await waitFor('a holder', () => holdsNow(events, 'a') || holdsNow(events, 'b'), 30_000);
      await sleep(timing.ttlMs);
      const [holder, follower] = holdsNow(events, 'a') ? [a, b] : [b, a];
      const epoch = events.find((e) => e.node === holder.node && e.type === 'granted')!.epoch!;
      holder.signal('SIGKILL');
      const killedAt = Date.now();
      await waitFor('takeover', () => holdsNow(events, follower.node), 10 * timing.ttlMs);
      const granted = events.find((e) => e.node === follower.node && e.type === 'granted')!;
      afterKill.push(granted.wall - killedAt);
      afterRenewal.push(granted.wall - lastRenewalStart(events, holder.node, epoch, timing));
    } finally {
      await a.stop();
      await b.stop();
      await etcd?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  console.log(`${name}: takeover after SIGKILL (ttl ${timing.ttlMs} ms, margin ${timing.marginMs} ms, ${runs} runs): ` +
    `from the kill ${ms(Math.min(...afterKill))}-${ms(Math.max(...afterKill))}, ` +
    `from the dead holder's last renewal start ${ms(Math.min(...afterRenewal))}-${ms(Math.max(...afterRenewal))} (must exceed ${timing.ttlMs + timing.marginMs} ms)`);
}

async function renewals(name: string, arbiter: Arbiter, count: number): Promise<void> {
  const got = await arbiter.acquire('mail', 'sv1');
  if (!got.ok) throw new Error(`${name}: no lease: ${JSON.stringify(got)}`);
  let lease = got.lease;
  const took: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const r = await arbiter.renew(lease);
    took.push(performance.now() - t0);
    if (!r.ok) throw new Error(`${name}: renewal ${i} failed: ${r.reason}`);
    lease = r.lease;
  }
  await arbiter.release(lease);
  console.log(`${name}: renew, ${count} in a row: p50 ${pct(took, 0.5).toFixed(2)} ms, p99 ${pct(took, 0.99).toFixed(2)} ms, max ${Math.max(...took).toFixed(2)} ms`);
}

/**
 * Three etcd members (default election timeout); a holder renews every (ttl - 2 margin) / 3
 * (the daemon's interval) while the raft LEADER is SIGKILLed: does it keep its lease, and how
 * long did renewals fail?
 */
async function leaderLoss(): Promise<void> {
  const interval = Math.floor((timing.ttlMs - 2 * timing.marginMs) / 3);
  for (let run = 0; run < runs; run++) {
    const cluster = await startEtcdCluster(3);
    const arbiter = new EtcdArbiter({ endpoints: cluster.endpoints, cluster: 'bench', ...timing });
    try {
      const got = await arbiter.acquire('mail', 'sv1');
      if (!got.ok) throw new Error(`no lease: ${JSON.stringify(got)}`);
      let lease = got.lease;
      let leader = cluster.members[0]!;
      for (const m of cluster.members) {
        const c = new Etcd3({ hosts: m.endpoint });
        const st = await c.maintenance.status();
        c.close();
        if (st.leader === st.header.member_id) leader = m;
      }
      await sleep(interval);
      await leader.stop();
      const killedAt = performance.now();
      let firstFail: number | null = null;
      let lastFail: number | null = null;
      let kept = true;
      while (performance.now() - killedAt < 4 * timing.ttlMs) {
        if (!isLeaseValid(lease, performance.now())) { kept = false; break; }
        const r = await arbiter.renew(lease, AbortSignal.timeout(interval));
        if (r.ok) lease = r.lease;
        else { firstFail ??= performance.now() - killedAt; lastFail = performance.now() - killedAt; }
        await sleep(interval);
      }
      console.log(`etcd 3 members, leader SIGKILLed (run ${run + 1}): lease ${kept ? 'kept' : 'LOST'}; renewals failed ` +
        (firstFail === null ? 'never' : `from +${ms(firstFail)} to +${ms(lastFail!)}`) + ` (renewal every ${ms(interval)})`);
    } finally {
      arbiter.close();
      await cluster.stop();
    }
  }
}

await etcdShortLeases();
await leaderLoss();
await takeovers('disk');
await takeovers('etcd');
const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-arbiter-'));
const etcd = await startEtcd();
try {
  await renewals('disk (tmpfs or local fs under $TMPDIR)', new DiskArbiter({ path: dir, ...timing }), Number(values.renewals));
  const e = new EtcdArbiter({ endpoints: [etcd.endpoint], cluster: 'bench', ...timing });
  try {
    await renewals('etcd (one local member)', e, Number(values.renewals));
  } finally {
    e.close();
  }
} finally {
  await etcd.stop();
  await rm(dir, { recursive: true, force: true });
}
