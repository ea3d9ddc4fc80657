// Disk arbiter specifics the contract cannot see: the on-disk layout other components read
// (the epoch in the claim's name), name checks, timing checks, and old-claim collection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskArbiter } from './disk.ts';
import { ManualClock } from './memory.ts';
import { checkTiming } from './lease.ts';

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-arbiter-layout-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('disk arbiter writes the epoch as the claim file name, with holder and epoch inside', async () => {
  await withDir(async (dir) => {
    const arbiter = new DiskArbiter({ path: dir, ttlMs: 1_000, marginMs: 100, clock: new ManualClock() });
    const r = await arbiter.acquire('mail', 'sv1');
    assert.ok(r.ok);
    assert.deepEqual(await readdir(join(dir, 'groups', 'mail')), ['000000000001.claim']);
    const record = JSON.parse(await readFile(join(dir, 'groups', 'mail', '000000000001.claim'), 'utf8')) as Record<string, unknown>;
    assert.equal(record.holder, 'sv1');
    assert.equal(record.epoch, 1);
  });
});

test('disk arbiter keeps only the top three claims of a group', async () => {
  await withDir(async (dir) => {
    const arbiter = new DiskArbiter({ path: dir, ttlMs: 1_000, marginMs: 100, clock: new ManualClock() });
    for (let i = 0; i < 6; i++) {
      const r = await arbiter.acquire('mail', 'sv1');
      assert.ok(r.ok);
      await arbiter.release(r.lease);
    }
    assert.deepEqual((await readdir(join(dir, 'groups', 'mail'))).sort(), ['000000000004.claim', '000000000005.claim', '000000000006.claim']);
  });
});

test('disk arbiter refuses node and group names that could leave its directory', async () => {
  await withDir(async (dir) => {
    const arbiter = new DiskArbiter({ path: dir, ttlMs: 1_000, marginMs: 100 });
    await assert.rejects(arbiter.acquire('../etc', 'sv1'), RangeError);
    await assert.rejects(arbiter.heartbeat('a/b'), RangeError);
    await assert.rejects(arbiter.acquire('mail', '.hidden'), RangeError);
  });
});

test('checkTiming() requires 0 < 2 * margin < ttl', () => {
  assert.deepEqual(checkTiming({ ttlMs: 1_000, marginMs: 100 }), { ttlMs: 1_000, marginMs: 100 });
  assert.throws(() => checkTiming({ ttlMs: 1_000, marginMs: 500 }), /2 \* margin < ttl; got ttl 1000 ms, margin 500 ms/);
  assert.throws(() => checkTiming({ ttlMs: 1_000, marginMs: 0 }), RangeError);
});
