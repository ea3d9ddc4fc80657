// The multi-host lab comes up: two node daemons in their own namespaces start the mail
// group on one of them (VIP on its eth0, services bound to the VIP), and a client in a third
// namespace gets a 250 for a message sent to the VIP and reads it back over IMAP and POP3.
// Needs root and `ip netns`; skipped with the reason otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMailLab, mailLabSkipReason } from './mail-lab.ts';

const skip = mailLabSkipReason('disk');

test('mail lab: the group comes up on one node, SMTP to the VIP from the client namespace gets 250, IMAP and POP3 read it', { skip: skip ?? false, timeout: 240_000 }, async () => {
  const lab = await createMailLab({ nodes: 2, arbiter: 'disk' });
  try {
    await lab.startAll();
    const active = await lab.waitServing();
    assert.deepEqual(await lab.volumeUsers(), [active], 'services run on the VIP holder only');
    assert.equal((await lab.fence())?.node, active, 'the volume was activated by the VIP holder');

    const sender = lab.startSender({ count: 3, pauseMs: 0, runId: 'first' });
    await sender.waitAcks(3, 60_000);
    const report = await sender.stop();
    assert.deepEqual(report.acked.map((a) => a.id), [1, 2, 3].map((i) => `first.${i}@client.lab.test`));
    assert.deepEqual(report.failed, []);
    assert.equal(await lab.clientArpOwner(), active, 'the client reached the VIP at the holder\'s MAC');

    const boxes = await lab.readBoth();
    for (const how of ['imap', 'pop3'] as const) {
      assert.deepEqual([...boxes[how]].sort(), report.acked.map((a) => a.id).sort(), `${how} lists the acknowledged messages`);
    }
  } finally {
    await lab.destroy();
  }
});
