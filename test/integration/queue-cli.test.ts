// `tandem mail queue` as real processes against a volume, with a queue runner in this
// process for flush: list/show (text and --json), flush wakes the runner, delete (--bounce).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { makeTestVolume } from '../helpers/volume.ts';
import { openMailContext } from '../../src/mail/core/context.ts';
import { startQueueRunner } from '../../src/mail/queue/runner.ts';
import { enqueueMessage, listEntryIds, readEntry, writeEntry, dataPath } from '../../src/mail/queue/spool.ts';
import { startSink, maildirDelivery, eventually } from './queue-sink.ts';

process.env.TANDEM_LOG_LEVEL ??= 'silent';

const MSG = Buffer.from('From: alice@demo.test\r\nTo: bob@example.net\r\nSubject: cli test\r\n\r\nhello\r\n');

function tandem(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/tandem.js', ...args], { env: { ...process.env, TANDEM_LOG_LEVEL: 'silent' }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('queue list and show report the envelope, per-recipient state and headers, as text and JSON', async () => {
  const vol = await makeTestVolume();
  try {
    const q = vol.layout.queueDir;
    const empty = await tandem('mail', 'queue', 'list', '--data', vol.root, '--json');
    assert.deepEqual(JSON.parse(empty.stdout), []);
    const e = await enqueueMessage(q, { sender: 'alice@demo.test', recipients: ['bob@example.net', 'carol@example.net', 'dan@example.net'], data: MSG, now: Date.now() - 3_600_000 });
    e.recipients[0]!.status = 'delivered';
    e.recipients[1]!.status = 'failed';
    Object.assign(e.recipients[2]!, { attempts: 2, lastResult: '451 4.7.1 greylisted', lastAttemptAt: Date.now(), remoteMta: 'mx.example.net' });
    e.nextAttemptAt = Date.now() + 600_000;
    await writeEntry(q, e);

    const list = await tandem('mail', 'queue', 'list', '--data', vol.root, '--json');
    assert.equal(list.code, 0, list.stderr);
    const [row] = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    assert.equal(row?.id, e.id);
    assert.equal(row?.sender, 'alice@demo.test');
    assert.deepEqual([row?.pending, row?.delivered, row?.failed], [1, 1, 1]);
    assert.ok(Math.abs(Number(row?.ageSeconds) - 3600) < 60);
    assert.equal(row?.nextAttemptAt, new Date(e.nextAttemptAt).toISOString());
    assert.equal(row?.lastResult, '451 4.7.1 greylisted');

    const text = await tandem('mail', 'queue', 'list', '--data', vol.root);
    assert.match(text.stdout, /^ID\s+AGE\s+SENDER\s+PENDING\s+FAILED\s+NEXT\s+LAST/m);
    assert.match(text.stdout, new RegExp(`${e.id}\\s+60m\\s+alice@demo\\.test\\s+1\\s+1\\s+in 10m\\s+451 4\\.7\\.1 greylisted`));

    const show = await tandem('mail', 'queue', 'show', e.id, '--data', vol.root, '--json');
    const shown = JSON.parse(show.stdout) as { sender: string; recipients: Array<{ address: string; status: string }>; headers: string };
    assert.deepEqual(shown.recipients.map((r) => `${r.address}:${r.status}`), ['bob@example.net:delivered', 'carol@example.net:failed', 'dan@example.net:pending']);
    assert.match(shown.headers, /^Subject: cli test\r$/m);
    const showText = await tandem('mail', 'queue', 'show', e.id, '--data', vol.root);
    assert.match(showText.stdout, /dan@example\.net\s+pending\s+2\s+mx\.example\.net\s+451 4\.7\.1 greylisted/);
    assert.match(showText.stdout, /Subject: cli test/);
  } finally {
    vol.cleanup();
  }
});

test('unknown queue ids get a clear error and exit code 1', async () => {
  const vol = await makeTestVolume();
  try {
    for (const cmd of [['show', 'nope'], ['delete', 'nope'], ['flush', 'nope']]) {
      const r = await tandem('mail', 'queue', ...cmd, '--data', vol.root);
      assert.equal(r.code, 1, cmd.join(' '));
      assert.equal(r.stderr.trim(), 'tandem: no queue entry "nope" (see "tandem mail queue list")');
    }
  } finally {
    vol.cleanup();
  }
});

test('queue flush makes a deferred entry due and wakes the runner of another process', async () => {
  const sink = await startSink({ host: '127.0.0.9' });
  const vol = await makeTestVolume({ queue: { remotePort: sink.port } });
  const ctx = await openMailContext(vol.root, 'queue-test');
  const runner = startQueueRunner(ctx, { deliverLocal: maildirDelivery, resolveMx: async () => [{ exchange: sink.host, priority: 1 }], scanIntervalMs: 60_000, flushPollMs: 100 });
  try {
    const e = await enqueueMessage(vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@example.net'], data: MSG });
    e.nextAttemptAt = Date.now() + 3_600_000;
    await writeEntry(vol.layout.queueDir, e);
    runner.kick();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(sink.messages.length, 0, 'not due: nothing sent before the flush');
    const r = await tandem('mail', 'queue', 'flush', e.id, '--data', vol.root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^flushed 1 entry/);
    await eventually(() => sink.messages.length === 1, 'delivered after flush', 5_000);
    await eventually(async () => (await listEntryIds(vol.layout.queueDir)).length === 0, 'entry removed');
  } finally {
    await runner.close();
    ctx.directory.close();
    await sink.close();
    vol.cleanup();
  }
});

test('queue delete removes an entry; with --bounce the sender gets a DSN first', async () => {
  const vol = await makeTestVolume();
  try {
    const q = vol.layout.queueDir;
    const plain = await enqueueMessage(q, { sender: 'alice@demo.test', recipients: ['bob@example.net'], data: MSG });
    const r1 = await tandem('mail', 'queue', 'delete', plain.id, '--data', vol.root);
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r1.stdout.trim(), `deleted ${plain.id}`);
    assert.equal(existsSync(dataPath(q, plain.id)), false);
    assert.deepEqual(await listEntryIds(q), []);

    const bounced = await enqueueMessage(q, { sender: 'alice@demo.test', recipients: ['bob@example.net'], data: MSG });
    const r2 = await tandem('mail', 'queue', 'delete', bounced.id, '--bounce', '--data', vol.root);
    assert.equal(r2.code, 0, r2.stderr);
    const dsnId = /DSN queued as (\S+)/.exec(r2.stdout)?.[1];
    assert.ok(dsnId, r2.stdout);
    assert.deepEqual(await listEntryIds(q), [dsnId]);
    const dsn = await readEntry(q, dsnId);
    assert.equal(dsn?.sender, '');
    assert.deepEqual(dsn?.recipients.map((r) => r.address), ['alice@demo.test']);
    const parsed = await simpleParser(readFileSync(dataPath(q, dsnId)));
    assert.match(parsed.text ?? '', /Action: failed/);
    assert.match(parsed.text ?? '', /deleted from the queue by the administrator/);
    const list = await tandem('mail', 'queue', 'list', '--data', vol.root);
    assert.match(list.stdout, new RegExp(`${dsnId}\\s+\\S+\\s+<>`), 'a bounce shows the null sender as <>');
  } finally {
    vol.cleanup();
  }
});
