// Disk arbiter with real processes on a temp directory: a SIGKILLed holder is replaced after
// the TTL; a SIGSTOPped holder is replaced and, after SIGCONT, knows on its own clock that it
// lost. What every process believes is recorded and checked: never two believers at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertAtMostOneBeliever, holdsNow, startArbiterNode, waitFor, type ArbiterChild, type NodeEvent } from './arbiter-harness.ts';

const timing = { ttlMs: 1_000, marginMs: 150 };

async function withTwoNodes(body: (a: ArbiterChild, b: ArbiterChild, events: NodeEvent[]) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-arbiter-proc-'));
  const events: NodeEvent[] = [];
  const children: ArbiterChild[] = [];
  try {
    const a = startArbiterNode(dir, 'a', timing, events);
    children.push(a);
    await waitFor('a to hold the lease', () => holdsNow(events, 'a'), 15_000);
    const b = startArbiterNode(dir, 'b', timing, events);
    children.push(b);
    await waitFor('b to start', () => events.some((e) => e.node === 'b' && e.type === 'started'), 15_000);
    await sleep(timing.ttlMs); // b watches a renew: it must stay a follower
    assert.equal(holdsNow(events, 'b'), false, 'b holds while a renews');
    await body(a, b, events);
  } finally {
    for (const c of children) await c.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

test('disk arbiter: a SIGKILLed holder is replaced after the TTL, never before', async () => {
  await withTwoNodes(async (a, _b, events) => {
    a.signal('SIGKILL');
    const killedAt = Date.now();
    const tookOver = await waitFor('b to take over', () => holdsNow(events, 'b'), 4 * timing.ttlMs);
    const list = assertAtMostOneBeliever(events);
    assert.deepEqual(list.map((x) => x.node), ['a', 'b']);
    // a's last renewal was at most one tick (ttl / 5) before the kill; b waits ttl + margin of silence.
    assert.ok(tookOver - killedAt >= timing.ttlMs - timing.ttlMs / 5, `took over ${tookOver - killedAt} ms after the kill`);
  });
});

test('disk arbiter: a holder paused past its lease is replaced and, resumed, never acts as holder', async () => {
  await withTwoNodes(async (a, _b, events) => {
    a.signal('SIGSTOP');
    await waitFor('b to take over', () => holdsNow(events, 'b'), 4 * timing.ttlMs);
    await sleep(timing.ttlMs / 2);
    a.signal('SIGCONT');
    const resumedAt = Date.now();
    await waitFor('a to see it lost', () => events.some((e) => e.node === 'a' && e.type === 'lost'), 2 * timing.ttlMs);
    await sleep(timing.ttlMs);
    const list = assertAtMostOneBeliever(events);
    assert.deepEqual(list.map((x) => x.node), ['a', 'b'], 'a did not win the lease back while b renews');
    const aAfter = events.filter((e) => e.node === 'a' && e.type === 'sample' && e.wall >= resumedAt);
    assert.ok(aAfter.length > 10, `a sampled ${aAfter.length} times after SIGCONT`);
    assert.ok(aAfter.every((e) => !e.holds), 'a believed it held the lease after SIGCONT');
    assert.ok(holdsNow(events, 'b'), 'b still holds');
  });
});
