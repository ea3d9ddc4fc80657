// Fencing reaches the mail store (issue 5): a service started under one fencing token
// refuses to commit once the volume carries a higher one (another node activated it),
// answers with a temporary error so the client retries elsewhere, and exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { makeTestVolume } from '../helpers/volume.ts';
import { startServiceProcess } from '../helpers/process.ts';
import { writeFence } from '../../src/lib/fence.ts';
import { FENCED_EXIT_CODE } from '../../src/mail/core/fence-guard.ts';

const fence = (token: number, node: string) => ({ token, node, cluster: 'test', group: 'mail', resource: 'volume', at: new Date().toISOString() });

function inboxCount(dir: string): number {
  return ['new', 'cur'].reduce((n, d) => n + (existsSync(join(dir, d)) ? readdirSync(join(dir, d)).length : 0), 0);
}

test('an SMTP service of a replaced owner answers 4xx instead of storing, and exits', { timeout: 60_000 }, async () => {
  const vol = await makeTestVolume();
  await writeFence(vol.root, fence(5, 'sv1'));
  const smtp = await startServiceProcess('smtp', vol.root);
  try {
    assert.match(smtp.stderr(), /running under fencing token 5/);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port(0), secure: false, ignoreTLS: true });
    const send = (subject: string) => transport.sendMail({ from: 'someone@example.net', to: 'alice@demo.test', subject, text: 'hello' });
    await send('before the takeover');
    const inbox = vol.layout.maildir('demo.test', 'alice');
    assert.equal(inboxCount(inbox), 1);

    await writeFence(vol.root, fence(6, 'sv2'));
    const exited = new Promise<number | null>((resolve) => smtp.proc.once('exit', (code) => resolve(code)));
    await assert.rejects(send('after the takeover'), (err: { responseCode?: number }) => {
      assert.ok(err.responseCode !== undefined && err.responseCode >= 400 && err.responseCode < 500, `a temporary failure, got ${err.responseCode}`);
      return true;
    });
    assert.equal(await exited, FENCED_EXIT_CODE);
    assert.match(smtp.stderr(), /activated again by sv2 with fencing token 6; this service started under 5/);
    assert.equal(inboxCount(inbox), 1, 'nothing stored after the takeover');
    transport.close();
  } finally {
    await smtp.kill('SIGKILL');
    vol.cleanup();
  }
});

test('an IMAP service of a replaced owner refuses APPEND', { timeout: 60_000 }, async () => {
  const vol = await makeTestVolume({ listen: { address: '127.0.0.1', smtp: { port: null }, submission: { port: null }, submissions: { port: null }, pop3: { port: null }, pop3s: { port: null }, imap: { port: 0 }, imaps: { port: null }, http: { port: null }, https: { port: null }, ldap: { port: null }, ldaps: { port: null }, password: { port: null } } });
  await writeFence(vol.root, fence(1, 'sv1'));
  const imap = await startServiceProcess('imap', vol.root);
  try {
    const sock = connect(imap.port(0), '127.0.0.1');
    let got = '';
    sock.on('data', (c: Buffer) => { got += c.toString(); });
    const waitFor = async (re: RegExp): Promise<void> => {
      const end = Date.now() + 15_000;
      while (!re.test(got)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}; got:\n${got}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitFor(/^\* OK/m);
    sock.write('a LOGIN alice@demo.test wonderland\r\n');
    await waitFor(/^a OK/m);
    await writeFence(vol.root, fence(2, 'sv2'));
    const exited = new Promise<number | null>((resolve) => imap.proc.once('exit', (code) => resolve(code)));
    const msg = 'Subject: x\r\n\r\nbody\r\n';
    sock.write(`b APPEND INBOX {${msg.length}+}\r\n${msg}\r\n`);
    await waitFor(/^b (OK|NO|BAD)/m);
    assert.match(got, /^b NO .*no longer owns the mail volume/m, 'APPEND is refused');
    assert.equal(await exited, FENCED_EXIT_CODE);
    assert.equal(inboxCount(vol.layout.maildir('demo.test', 'alice')), 0);
    sock.destroy();
  } finally {
    await imap.kill('SIGKILL');
    vol.cleanup();
  }
});
