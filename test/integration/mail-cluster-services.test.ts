// The mail group in the declarative style (each mail service a `service` resource with a
// port monitor), on two real node daemons with the built-in agents: it starts on sv1, mail
// sent by SMTP to the VIP is readable by IMAP and POP3, and after SIGKILL of sv1's daemon
// (its guard kills the services) the group runs on sv2 with the same mail, every service
// listening on the VIP only and outbound mail leaving from the VIP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { eventually, isAlive } from '../helpers/cluster.ts';
import { LAB_USERS, listeningSockets, MailCluster } from '../helpers/mail-cluster.ts';
import { startSink } from './queue-sink.ts';

async function sendMail(lab: MailCluster, subject: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: lab.vip, port: lab.ports.smtp, secure: false, ignoreTLS: true });
  const info = await transport.sendMail({ from: LAB_USERS[1].address, to: LAB_USERS[0].address, subject, text: `body of ${subject}` });
  assert.deepEqual(info.accepted, [LAB_USERS[0].address]);
}

async function imapSubjects(lab: MailCluster): Promise<string[]> {
  const client = new ImapFlow({ host: lab.vip, port: lab.ports.imap, secure: false, doSTARTTLS: false, auth: { user: LAB_USERS[0].address, pass: LAB_USERS[0].password }, logger: false });
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const out: string[] = [];
      for await (const m of client.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
}

test('declarative mail group: SMTP in, IMAP out on the VIP; SIGKILL of sv1 moves it to sv2 with the mail', { timeout: 900_000 }, async () => {
  // The smarthost: a recording SMTP server on 127.0.0.1, outside the group.
  const sink = await startSink({ host: '127.0.0.1' });
  const lab = await MailCluster.create({ style: 'services', smarthost: { host: sink.host, port: sink.port } }).catch(async (err: unknown) => { await sink.close(); throw err; });
  try {
    await sendMail(lab, 'before failover');
    assert.deepEqual(await eventually('the mail in alice\'s INBOX over IMAP', async () => {
      const s = await imapSubjects(lab);
      return s.includes('before failover') ? s : null;
    }, 20_000), ['before failover']);

    const pids = lab.services.map((s) => Number(readFileSync(lab.servicePidFile('sv1', s.name), 'utf8')));
    assert.ok(pids.every((p) => isAlive(p)), 'every service of sv1 runs');
    await lab.kill('sv1');
    await eventually('sv1\'s guard killed its mail services', () => pids.every((p) => !isAlive(p)), 15_000);
    await lab.waitRunning('sv2');
    assert.deepEqual(await imapSubjects(lab), ['before failover'], 'the mail is still there after the failover');

    // S14: every listener of the services is on the VIP, none on a wildcard or a node address.
    const sv2Pids = lab.services.map((s) => Number(readFileSync(lab.servicePidFile('sv2', s.name), 'utf8')));
    const sockets = await listeningSockets(sv2Pids);
    assert.ok(sockets.length >= 6, `the services listen: ${JSON.stringify(sockets)}`);
    for (const s of sockets) assert.equal(s.address, lab.vip, `${s.address}:${s.port} is not the VIP`);

    // Outbound SMTP (the queue, relayed to the smarthost) leaves from the VIP on sv2 too.
    const transport = nodemailer.createTransport({ host: lab.vip, port: lab.ports.smtp, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: LAB_USERS[0].address, to: 'carol@remote.test', subject: 'outbound', text: 'hi' });
    const out = await eventually('the relayed mail at the smarthost', () => sink.messages.find((m) => m.to.includes('carol@remote.test')), 30_000);
    assert.equal(out.remoteAddress.replace(/^::ffff:/, ''), lab.vip, 'the queue connects from the VIP');
  } finally {
    await lab.cleanup();
    await sink.close();
  }
});
