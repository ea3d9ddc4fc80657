// The arbiter contract's process-level cut-off case, for the disk and the etcd arbiter: a
// holder whose arbiter stops answering self-fences before its lease ends, on its own clock,
// without being told. etcd: the etcd server is SIGSTOPped (sockets open, no answers). disk:
// the holder's claim file is replaced by a FIFO, so its next read blocks in open(), the way a
// read from a hung NFS server or a dead iSCSI path blocks (see ProcessBackend.cutOff).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKENDS, holdsNow, lastRenewalStart, readRecord, startArbiterNode, waitFor, type NodeEvent } from './arbiter-harness.ts';

for (const [name, make] of BACKENDS) {
  test(`${name} arbiter: a holder cut off from the arbiter declares itself not holding before renewedAt + ttl`, async () => {
    const be = await make();
    const events: NodeEvent[] = [];
    const record = join(be.scratch, 'acts.jsonl');
    const a = startArbiterNode(be.spec, 'a', be.timing, events, record);
    let undo = async (): Promise<void> => undefined;
    try {
      await waitFor('a to hold the lease', () => holdsNow(events, 'a'), 15_000);
      const latestGrant = (): NodeEvent => events.filter((e) => e.node === 'a' && e.type === 'granted').at(-1)!;
      // Cut while a holds and renews (a loaded machine may have cost it an earlier grant).
      await waitFor('a to renew', () => holdsNow(events, 'a') && events.some((e) => e.node === 'a' && e.type === 'renewed' && e.epoch === latestGrant().epoch), 15_000);
      const epoch = latestGrant().epoch!;
      undo = await be.cutOff(epoch);
      const cutAt = Date.now();
      await waitFor('a to stop believing', () => events.some((e) => e.node === 'a' && e.type === 'sample' && e.wall > cutAt && !e.holds), 10 * be.timing.ttlMs);
      await sleep(be.timing.ttlMs / 2);
      // Its last successful renewal began at most one tick before the cut; nothing after it.
      const renewedAt = lastRenewalStart(events, 'a', epoch, be.timing);
      const validUntil = renewedAt + be.timing.ttlMs - be.timing.marginMs;
      assert.ok(!events.some((e) => e.node === 'a' && e.type === 'renewed' && e.wall > cutAt + be.timing.ttlMs), 'a renewed through the cut');
      // The rule, as sampled and as acted: believing ends at renewedAt + ttl - margin (1 ms of
      // wall/monotonic conversion), so before renewedAt + ttl, when others start to count.
      const lateBelief = events.filter((e) => e.node === 'a' && e.type === 'sample' && e.holds && e.wall > validUntil + 1);
      assert.deepEqual(lateBelief, [], `a believed after ${validUntil}`);
      const lateActs = (await readRecord(record)).filter((x) => x.checkedWall > validUntil + 1);
      assert.deepEqual(lateActs, [], 'a acted after its lease ended');
      const firstFalse = events.find((e) => e.node === 'a' && e.type === 'sample' && e.wall > cutAt && !e.holds)!;
      assert.ok(firstFalse.wall >= cutAt, 'declared not holding after the cut');
      assert.ok(validUntil < renewedAt + be.timing.ttlMs);
    } finally {
      await a.stop();
      await undo();
      await be.cleanup();
    }
  });
}
