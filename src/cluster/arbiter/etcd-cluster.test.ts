// The etcd arbiter on a real three-member etcd cluster: the holder keeps its lease, renewing
// through the other members, while one follower hangs (SIGSTOP: connections accepted, no
// answers) and then while another is dead (SIGKILL: connections refused); meanwhile no other
// node can take the group. A member that hung once is skipped for a while, so calls do not
// keep paying its deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { EtcdArbiter } from './etcd.ts';
import { isLeaseValid, type Lease } from './lease.ts';
import { startEtcdCluster, type EtcdServer } from '../../../test/helpers/etcd.ts';

// 4 s, 500 ms (5 s etcd leases, 3.5 s of validity) and etcd's default election timeout: on a
// loaded machine etcd itself is slow, and a renewal that meets the hung member loses 700 ms.
const timing = { ttlMs: 4_000, marginMs: 500 };

/** The members that are not the raft leader, as the members themselves report it. */
async function followers(members: readonly EtcdServer[]): Promise<EtcdServer[]> {
  const out: EtcdServer[] = [];
  for (const m of members) {
    const c = new Etcd3({ hosts: m.endpoint });
    try {
      const s = await c.maintenance.status();
      if (s.leader !== s.header.member_id) out.push(m);
    } finally {
      c.close();
    }
  }
  return out;
}

test('etcd arbiter, three members: the holder keeps its lease through a hung and then a dead follower', async () => {
  const cluster = await startEtcdCluster(3);
  const holder = new EtcdArbiter({ endpoints: cluster.endpoints, cluster: 'three', callTimeoutMs: 700, ...timing });
  const other = new EtcdArbiter({ endpoints: cluster.endpoints, cluster: 'three', callTimeoutMs: 700, ...timing });
  try {
    const got = await holder.acquire('mail', 'sv1');
    assert.ok(got.ok, JSON.stringify(got));
    let lease: Lease = got.lease;
    const [hung, dead] = await followers(cluster.members);
    assert.ok(hung && dead, 'two followers');
    let renewals = 0;
    let timeouts = 0;
    /** Renews every 250 ms for `ms`: the lease must never run out; then nobody else gets it. */
    const keepRenewing = async (ms: number): Promise<void> => {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        assert.ok(isLeaseValid(lease, performance.now()), `the lease ran out (last renewal began ${performance.now() - lease.renewedAtMs} ms ago; ${String(holder.lastError)})`);
        const r = await holder.renew(lease);
        if (r.ok) {
          lease = r.lease;
          renewals += 1;
        } else {
          assert.equal(r.reason, 'timeout', 'only a slow call may fail');
          timeouts += 1;
        }
        await sleep(250);
      }
      const o = await other.acquire('mail', 'sv2');
      assert.ok(!o.ok && (o.reason === 'held' || o.reason === 'timeout'), JSON.stringify(o));
    };
    await keepRenewing(1_000);
    hung.pause();
    try {
      await keepRenewing(4_000);
    } finally {
      hung.resume();
    }
    await dead.stop();
    await keepRenewing(2_000);
    assert.ok(renewals >= 10, `${renewals} renewals, ${timeouts} timeouts`);
    assert.deepEqual(await other.holder('mail'), { holder: 'sv1', epoch: lease.epoch });
  } finally {
    holder.close();
    other.close();
    await cluster.stop();
  }
});
