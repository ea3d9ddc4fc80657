// Mail for a user whose mailbox is on another member system (S7) leaves through the
// queue to that system's host (accounts.members), not into a local Maildir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestVolume } from '../helpers/volume.ts';
import { runTandem } from '../helpers/process.ts';
import { openMailContext } from '../../src/mail/core/context.ts';
import { startQueueRunner } from '../../src/mail/queue/runner.ts';
import { enqueueMessage, readEntry } from '../../src/mail/queue/spool.ts';
import { startSink, maildirDelivery, eventually } from './queue-sink.ts';

process.env.TANDEM_LOG_LEVEL ??= 'silent';

const MSG = Buffer.from('From: <alice@demo.test>\r\nTo: <carol@demo.test>\r\nSubject: to another member\r\n\r\nhello\r\n');

test('a user homed on another member system gets its mail through that system\'s host', async () => {
  const sink = await startSink({ host: '127.0.0.2' });
  const vol = await makeTestVolume({ accounts: { role: 'master', system: 'tokyo', members: { osaka: { host: sink.host, port: sink.port } } }, queue: { retrySchedule: [1] } });
  await vol.directory.addUser({ address: 'carol@demo.test', password: 'carol-secret-1' });
  await vol.directory.addUser({ address: 'dan@demo.test', password: 'dan-secret-12' });
  const set = runTandem(['mail', 'user', 'set', 'carol@demo.test', '--home', 'osaka', '--data', vol.root]);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /mailbox on osaka/);
  vol.directory.database.prepare("UPDATE users SET home = 'kyoto' WHERE address = 'dan@demo.test'").run();
  const ctx = await openMailContext(vol.root, 'routing-test');
  const runner = startQueueRunner(ctx, {
    deliverLocal: maildirDelivery,
    resolveMx: async () => { throw new Error('no MX lookup expected for member systems'); },
    flushPollMs: 100,
  });
  try {
    const entry = await enqueueMessage(vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['carol@demo.test', 'bob@demo.test', 'dan@demo.test'], data: MSG });
    runner.kick();
    await eventually(async () => sink.messages.length === 1, 'carol\'s copy at the osaka host');
    assert.deepEqual(sink.messages[0]!.to, ['carol@demo.test']);
    assert.deepEqual(sink.messages[0]!.data, MSG);
    const bobNew = join(vol.layout.maildir('demo.test', 'bob'), 'new');
    await eventually(async () => existsSync(bobNew) && readdirSync(bobNew).length === 1, 'bob\'s local copy');
    const carolDir = vol.layout.maildir('demo.test', 'carol');
    assert.ok(!existsSync(join(carolDir, 'new')) || readdirSync(join(carolDir, 'new')).length === 0, 'nothing for carol here');
    // kyoto has no accounts.members entry: retried, with the reason in the entry.
    await eventually(async () => {
      const e = await readEntry(vol.layout.queueDir, entry.id);
      return e?.recipients.find((r) => r.address === 'dan@demo.test')?.lastResult?.includes('no accounts.members entry for member system "kyoto"') ?? false;
    }, 'dan deferred with the reason');
  } finally {
    await runner.close();
    ctx.directory.close();
    await sink.close();
    vol.cleanup();
  }
});
