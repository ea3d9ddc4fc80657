// The arbiter contract's process-level race, for the disk and the etcd arbiter: five real
// processes race for a free lease, then (the winner SIGKILLed) for a dead holder's. Exactly
// one wins each time, and at no instant do two processes believe they hold it; their act
// records never interleave epochs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKENDS, assertAtMostOneBeliever, holdsNow, readRecord, startArbiterNode, waitFor, type ArbiterChild, type NodeEvent } from './arbiter-harness.ts';

for (const [name, make] of BACKENDS) {
  test(`${name} arbiter: five processes race for a free lease, then for a dead holder's; one wins each time`, async () => {
    const be = await make();
    const events: NodeEvent[] = [];
    const children: ArbiterChild[] = [];
    const record = join(be.scratch, 'acts.jsonl');
    try {
      for (const node of ['a', 'b', 'c', 'd', 'e']) children.push(startArbiterNode(be.spec, node, be.timing, events, record));
      const anyHolds = (): boolean => children.some((c) => holdsNow(events, c.node));
      await waitFor('a holder', anyHolds, 20_000);
      await sleep(2 * be.timing.ttlMs);
      const first = assertAtMostOneBeliever(events);
      assert.equal(first.length, 1, `grants while the first holder renews: ${JSON.stringify(first)}`);
      const winner = children.find((c) => c.node === first[0]!.node)!;
      winner.signal('SIGKILL');
      const others = children.filter((c) => c !== winner);
      await waitFor('a successor', () => others.some((c) => holdsNow(events, c.node)), 10 * be.timing.ttlMs);
      await sleep(be.timing.ttlMs);
      const all = assertAtMostOneBeliever(events);
      assert.equal(all.length, 2, `grants: ${JSON.stringify(all)}`);
      assert.notEqual(all[1]!.node, winner.node);
      assert.ok(all[1]!.epoch > all[0]!.epoch);
      // Acts in file order: each node's acts carry its own epoch, and epochs never go back.
      const acts = await readRecord(record);
      const epochOf = new Map(all.map((b) => [b.node, b.epoch]));
      let highest = 0;
      for (const act of acts) {
        assert.equal(act.epoch, epochOf.get(act.node), `${act.node} acted with epoch ${act.epoch}`);
        assert.ok(act.epoch >= highest, `epoch ${act.epoch} acted after ${highest}`);
        highest = act.epoch;
      }
    } finally {
      for (const c of children) await c.stop();
      await be.cleanup();
    }
  });
}
