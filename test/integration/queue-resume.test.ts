// Restart, crash and concurrency: what is recorded delivered is never sent again, what is
// pending is, a dead runner's lock is taken over, and two runners never send one entry twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { makeTestVolume } from '../helpers/volume.ts';
import { openMailContext } from '../../src/mail/core/context.ts';
import { startQueueRunner } from '../../src/mail/queue/runner.ts';
import { enqueueMessage, listEntryIds, readEntry, writeEntry } from '../../src/mail/queue/spool.ts';
import { lockPath } from '../../src/mail/queue/lock.ts';
import { startSink, maildirDelivery, eventually } from './queue-sink.ts';

process.env.TANDEM_LOG_LEVEL ??= 'silent';

const MSG = Buffer.from('From: alice@demo.test\r\nSubject: resume\r\n\r\nbody\r\n');
const SRC = resolve('src');

test('after a restart, recipients recorded as delivered are not sent again and pending ones are', async () => {
  let deferB = true;
  const sink = await startSink({ host: '127.0.0.6', rcpt: (a) => (a.endsWith('@b.example') && deferB ? '451 4.3.2 not now' : null) });
  const vol = await makeTestVolume({ queue: { remotePort: sink.port, retrySchedule: [3600] } });
  const mx = async () => [{ exchange: sink.host, priority: 10 }];
  const ctx1 = await openMailContext(vol.root, 'queue-test');
  try {
    const e = await enqueueMessage(vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['x@a.example', 'y@b.example'], data: MSG });
    const r1 = startQueueRunner(ctx1, { deliverLocal: maildirDelivery, resolveMx: mx });
    await eventually(async () => (await readEntry(vol.layout.queueDir, e.id))?.recipients[1]?.attempts === 1, 'first attempt recorded');
    await r1.close();
    const state = await readEntry(vol.layout.queueDir, e.id);
    assert.deepEqual(state?.recipients.map((r) => r.status), ['delivered', 'pending']);

    // A new runner (as after a restart or failover), with the entry made due again.
    deferB = false;
    state!.nextAttemptAt = Date.now();
    await writeEntry(vol.layout.queueDir, state!);
    const ctx2 = await openMailContext(vol.root, 'queue-test');
    const r2 = startQueueRunner(ctx2, { deliverLocal: maildirDelivery, resolveMx: mx });
    try {
      await eventually(async () => (await listEntryIds(vol.layout.queueDir)).length === 0, 'entry finished');
    } finally {
      await r2.close();
      ctx2.directory.close();
    }
    assert.deepEqual(sink.rcptSeen, ['x@a.example', 'y@b.example', 'y@b.example'], 'x@a.example was sent exactly once');
    assert.deepEqual(sink.messages.map((m) => m.to), [['x@a.example'], ['y@b.example']]);
  } finally {
    ctx1.directory.close();
    await sink.close();
    vol.cleanup();
  }
});

test('a runner killed mid-transaction: the next one takes over its lock and resends only the unacknowledged domain', async () => {
  let holdB = true;
  const sink = await startSink({ host: '127.0.0.7', hold: (to) => holdB && to.some((a) => a.endsWith('@b.example')) });
  const vol = await makeTestVolume({ queue: { remotePort: sink.port, retrySchedule: [1] } });
  let child: ReturnType<typeof spawn> | null = null;
  try {
    const e = await enqueueMessage(vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['x@a.example', 'y@b.example'], data: MSG });
    // The first runner is a real process, killed with SIGKILL while b.example's DATA is unanswered.
    const script = `
      const { openMailContext } = await import(${JSON.stringify(`${SRC}/mail/core/context.ts`)});
      const { startQueueRunner } = await import(${JSON.stringify(`${SRC}/mail/queue/runner.ts`)});
      const ctx = await openMailContext(process.argv[1], 'child');
      startQueueRunner(ctx, { deliverLocal: async () => [], resolveMx: async () => [{ exchange: process.argv[2], priority: 1 }] });`;
    child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, vol.root, sink.host], { stdio: 'ignore', env: { ...process.env, TANDEM_LOG_LEVEL: 'silent' } });
    await eventually(() => sink.held.length === 1, 'b.example transaction held open', 15_000);
    const before = await readEntry(vol.layout.queueDir, e.id);
    assert.deepEqual(before?.recipients.map((r) => r.status), ['delivered', 'pending'], 'a.example recorded before b.example started');
    assert.ok(existsSync(lockPath(vol.layout.queueDir, e.id)), 'the child holds the entry lock');
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    holdB = false;

    const ctx = await openMailContext(vol.root, 'queue-test');
    const runner = startQueueRunner(ctx, { deliverLocal: maildirDelivery, resolveMx: async () => [{ exchange: sink.host, priority: 1 }] });
    try {
      await eventually(async () => (await listEntryIds(vol.layout.queueDir)).length === 0, 'entry finished after the crash', 15_000);
    } finally {
      await runner.close();
      ctx.directory.close();
    }
    assert.deepEqual(sink.messages.map((m) => m.to), [['x@a.example'], ['y@b.example']], 'a.example once, b.example resent');
    assert.equal(existsSync(lockPath(vol.layout.queueDir, e.id)), false, 'the stale lock is gone');
  } finally {
    child?.kill('SIGKILL');
    await sink.close();
    vol.cleanup();
  }
});

test('two runners on one volume deliver every entry exactly once', async () => {
  const sink = await startSink({ host: '127.0.0.8' });
  const vol = await makeTestVolume({ queue: { remotePort: sink.port, concurrency: 3 } });
  const ctxA = await openMailContext(vol.root, 'queue-a');
  const ctxB = await openMailContext(vol.root, 'queue-b');
  const mx = async () => [{ exchange: sink.host, priority: 1 }];
  try {
    for (let i = 0; i < 12; i++) await enqueueMessage(vol.layout.queueDir, { sender: 'alice@demo.test', recipients: [`r${i}@example.net`], data: MSG });
    const a = startQueueRunner(ctxA, { deliverLocal: maildirDelivery, resolveMx: mx });
    const b = startQueueRunner(ctxB, { deliverLocal: maildirDelivery, resolveMx: mx });
    try {
      await eventually(async () => (await listEntryIds(vol.layout.queueDir)).length === 0, 'queue drained');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    const sent = sink.messages.flatMap((m) => m.to).sort();
    assert.equal(sent.length, 12);
    assert.equal(new Set(sent).size, 12, 'no recipient received a second copy');
  } finally {
    ctxA.directory.close();
    ctxB.directory.close();
    await sink.close();
    vol.cleanup();
  }
});
