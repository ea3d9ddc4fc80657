// Durability (DESIGN 3.1): a message that got "250" survives a SIGKILL of the smtp
// process sent the instant the 250 arrives. The service runs as a real process and
// is killed and restarted for real; the messages are looked for in the Maildir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { makeTestVolume } from '../helpers/volume.ts';
import { startServiceProcess } from '../helpers/process.ts';
import { listMaildir, readMessage } from '../../src/mail/storage/maildir.ts';

const ONLY_SMTP = {
  address: '127.0.0.1',
  smtp: { port: 0 }, submission: { port: null }, submissions: { port: null },
  pop3: { port: null }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null },
};

/** A minimal SMTP client that reports the moment the server answers the final dot. */
function sendRaw(port: number, marker: string, onAccepted: () => void): Promise<'accepted' | 'failed'> {
  return new Promise((resolve) => {
    const sock: Socket = connect(port, '127.0.0.1');
    const script = [
      'EHLO client.test\r\n',
      'MAIL FROM:<bob@demo.test>\r\n',
      'RCPT TO:<alice@demo.test>\r\n',
      'DATA\r\n',
      `Subject: ${marker}\r\nMessage-ID: <${marker}@client.test>\r\n\r\nbody of ${marker}\r\n${'x'.repeat(2000)}\r\n.\r\n`,
    ];
    let step = -1; // -1: waiting for greeting
    let buf = '';
    let settled = false;
    const finish = (r: 'accepted' | 'failed') => { if (!settled) { settled = true; sock.destroy(); resolve(r); } };
    sock.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (/^\d{3}-/.test(line)) continue; // continuation of a multi-line reply
        const code = Number(line.slice(0, 3));
        if (step === script.length - 1) {
          if (code === 250) { onAccepted(); finish('accepted'); } else finish('failed');
          return;
        }
        const expected = step === -1 ? 220 : step === 3 ? 354 : 250;
        if (code !== expected) return finish('failed');
        step++;
        sock.write(script[step]!);
      }
    });
    sock.on('error', () => finish('failed'));
    sock.on('close', () => finish('failed'));
  });
}

test('a message acknowledged with 250 survives SIGKILL of the smtp process right after the reply', async () => {
  const vol = await makeTestVolume({ listen: ONLY_SMTP });
  const inbox = vol.layout.maildir('demo.test', 'alice');
  try {
    const accepted: string[] = [];
    for (let round = 0; round < 5; round++) {
      const smtp = await startServiceProcess('smtp', vol.root);
      const port = smtp.port(0);
      // Several clients at once: the kill lands while others are mid-transaction.
      const markers = Array.from({ length: 6 }, (_, i) => `durable-${round}-${i}-${Date.now()}`);
      let killed = false;
      const results = await Promise.all(markers.map((m) => sendRaw(port, m, () => {
        if (!killed) { killed = true; smtp.proc.kill('SIGKILL'); }
      })));
      await smtp.kill('SIGKILL');
      markers.forEach((m, i) => { if (results[i] === 'accepted') accepted.push(m); });
    }
    assert.ok(accepted.length >= 5, `at least one message per round was acknowledged (got ${accepted.length})`);

    // After a restart, every acknowledged message is in the Maildir, whole.
    const smtp = await startServiceProcess('smtp', vol.root);
    await smtp.kill('SIGTERM');
    const stored = new Map<string, string>();
    for (const m of await listMaildir(inbox)) {
      const text = (await readMessage(m.path)).toString('latin1');
      const subject = /^Subject: (.*)$/m.exec(text)?.[1]?.trim();
      if (subject) stored.set(subject, text);
    }
    for (const marker of accepted) {
      const text = stored.get(marker);
      assert.ok(text, `acknowledged message ${marker} is in the mailbox after SIGKILL`);
      assert.ok(text.includes(`body of ${marker}`) && text.includes('x'.repeat(2000)), `${marker} is complete`);
    }
    // Nothing half-written is visible: every stored message is complete.
    for (const [marker, text] of stored) assert.ok(text.includes('x'.repeat(2000)), `${marker} is not truncated`);
  } finally {
    vol.cleanup();
  }
});
