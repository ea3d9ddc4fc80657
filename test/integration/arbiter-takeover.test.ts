// The arbiter contract's process-level cases, for the disk and the etcd arbiter, with real
// processes holding the lease through the real arbiter code:
// (a) a SIGKILLed holder is replaced, but only after ttl + margin since its last renewal began;
// (c) a holder paused (SIGSTOP) past its lease is replaced and, resumed (SIGCONT), knows from
//     its own renewal times that it lost: it never acts as holder after waking, and the new
//     holder's epoch is higher than any epoch it acted with.
// What every process believes is recorded and checked: never two believers at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BACKENDS, assertAtMostOneBeliever, holdsNow, lastRenewalStart, readRecord, startArbiterNode, waitFor,
  type ArbiterChild, type NodeEvent, type ProcessBackend,
} from './arbiter-harness.ts';

async function withTwoNodes(make: () => Promise<ProcessBackend>, body: (a: ArbiterChild, b: ArbiterChild, events: NodeEvent[], be: ProcessBackend, record: string) => Promise<void>): Promise<void> {
  const be = await make();
  const events: NodeEvent[] = [];
  const children: ArbiterChild[] = [];
  const record = join(be.scratch, 'acts.jsonl');
  try {
    const a = startArbiterNode(be.spec, 'a', be.timing, events, record);
    children.push(a);
    await waitFor('a to hold the lease', () => holdsNow(events, 'a'), 15_000);
    const b = startArbiterNode(be.spec, 'b', be.timing, events, record);
    children.push(b);
    await waitFor('b to start', () => events.some((e) => e.node === 'b' && e.type === 'started'), 15_000);
    await sleep(be.timing.ttlMs); // b watches a renew: it must stay a follower
    assert.equal(holdsNow(events, 'b'), false, 'b holds while a renews');
    await body(a, b, events, be, record);
  } finally {
    for (const c of children) await c.stop();
    await be.cleanup();
  }
}

for (const [name, make] of BACKENDS) {
  test(`${name} arbiter: a SIGKILLed holder is replaced after ttl + margin since its last renewal, never before`, async () => {
    await withTwoNodes(make, async (a, _b, events, be) => {
      a.signal('SIGKILL');
      await waitFor('b to take over', () => holdsNow(events, 'b'), 10 * be.timing.ttlMs);
      const list = assertAtMostOneBeliever(events);
      assert.deepEqual(list.map((x) => x.node), ['a', 'b']);
      const [first, second] = [list[0]!, list[1]!];
      assert.ok(second.epoch > first.epoch);
      // A renewal still in flight at the kill only moves the takeover later, never earlier.
      const silentSince = lastRenewalStart(events, 'a', first.epoch, be.timing);
      const granted = events.find((e) => e.node === 'b' && e.type === 'granted')!;
      assert.ok(granted.wall - silentSince > be.timing.ttlMs + be.timing.marginMs,
        `b was granted ${granted.wall - silentSince} ms after a's last renewal began (ttl + margin = ${be.timing.ttlMs + be.timing.marginMs})`);
    });
  });

  test(`${name} arbiter: a holder paused past its lease is replaced and, resumed, never acts as holder`, async () => {
    await withTwoNodes(make, async (a, _b, events, be, record) => {
      a.signal('SIGSTOP');
      await waitFor('b to take over', () => holdsNow(events, 'b'), 10 * be.timing.ttlMs);
      await sleep(be.timing.ttlMs / 2);
      const resumedAt = Date.now(); // taken before SIGCONT: every check a makes awake is later
      a.signal('SIGCONT');
      await waitFor('a to see it lost', () => events.some((e) => e.node === 'a' && e.type === 'lost'), 4 * be.timing.ttlMs);
      await sleep(be.timing.ttlMs);
      const list = assertAtMostOneBeliever(events);
      assert.deepEqual(list.map((x) => x.node), ['a', 'b'], 'a did not win the lease back while b renews');
      const aAfter = events.filter((e) => e.node === 'a' && e.type === 'sample' && e.wall >= resumedAt);
      assert.ok(aAfter.length > 10, `a sampled ${aAfter.length} times after SIGCONT`);
      assert.ok(aAfter.every((e) => !e.holds), 'a believed it held the lease after SIGCONT');
      assert.ok(holdsNow(events, 'b'), 'b still holds');
      // The record: a's acts all come from checks made before the pause, with a lower epoch
      // than b's; at most one (checked just before SIGSTOP) may land after b's first act,
      // and the epoch is what would fence that one write off on the storage.
      const acts = await readRecord(record);
      const aActs = acts.filter((x) => x.node === 'a');
      const bActs = acts.filter((x) => x.node === 'b');
      assert.ok(aActs.length > 0 && bActs.length > 0, `acts: a ${aActs.length}, b ${bActs.length}`);
      assert.ok(aActs.every((x) => x.checkedWall < resumedAt), 'a acted on a check made after it woke up');
      const bEpoch = Math.min(...bActs.map((x) => x.epoch));
      assert.ok(aActs.every((x) => x.epoch < bEpoch), `a acted with epoch ${Math.max(...aActs.map((x) => x.epoch))}, b holds ${bEpoch}`);
      const firstB = acts.findIndex((x) => x.node === 'b');
      assert.ok(acts.slice(firstB).filter((x) => x.node === 'a').length <= 1, 'a kept acting after b took over');
    });
  });
}
