// Disk arbiter with three real processes racing on one directory: exactly one wins the empty
// lease, and after the winner is SIGKILLed exactly one of the two others takes over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertAtMostOneBeliever, holdsNow, startArbiterNode, waitFor, type ArbiterChild, type NodeEvent } from './arbiter-harness.ts';

const timing = { ttlMs: 1_000, marginMs: 150 };

test('disk arbiter: three processes race for a free lease, then for a dead holder\'s; one wins each time', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-arbiter-race-'));
  const events: NodeEvent[] = [];
  const children: ArbiterChild[] = [];
  try {
    for (const node of ['a', 'b', 'c']) children.push(startArbiterNode(dir, node, timing, events));
    const anyHolds = (): boolean => children.some((c) => holdsNow(events, c.node));
    await waitFor('a holder', anyHolds, 15_000);
    await sleep(2 * timing.ttlMs);
    const first = assertAtMostOneBeliever(events);
    assert.equal(first.length, 1, `grants while the first holder renews: ${JSON.stringify(first)}`);
    const winner = children.find((c) => c.node === first[0]!.node)!;
    winner.signal('SIGKILL');
    const others = children.filter((c) => c !== winner);
    await waitFor('a successor', () => others.some((c) => holdsNow(events, c.node)), 4 * timing.ttlMs);
    await sleep(timing.ttlMs);
    const all = assertAtMostOneBeliever(events);
    assert.equal(all.length, 2, `grants: ${JSON.stringify(all)}`);
    assert.notEqual(all[1]!.node, winner.node);
    assert.ok(all[1]!.epoch > all[0]!.epoch);
  } finally {
    for (const c of children) await c.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
