// The drain of the imap service on SIGTERM (docs/switchover.md), with a real process and
// raw clients: a session in IDLE hears "* BYE [UNAVAILABLE]" at once, an APPEND whose
// literal is still arriving completes (tagged OK, message stored) and only then gets BYE,
// a new connection gets BYE instead of the greeting, and the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestVolume } from '../helpers/volume.ts';
import { startServiceProcess, type ServiceProcess } from '../helpers/process.ts';
import { ImapRaw } from '../helpers/imap-raw.ts';
import { listMaildir, readMessage } from '../../src/mail/storage/maildir.ts';

const ONLY_IMAP = {
  address: '127.0.0.1',
  smtp: { port: null }, submission: { port: null }, submissions: { port: null },
  pop3: { port: null }, pop3s: { port: null }, imap: { port: 0 }, imaps: { port: null },
};

const BYE = /^\* BYE \[UNAVAILABLE\] mail\.demo\.test service moving to another server; reconnect in a moment$/;

async function logged(svc: ServiceProcess, event: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (svc.stderr().includes(`"event":"${event}"`)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${event} in the log:\n${svc.stderr().slice(-2000)}`);
}

async function login(port: number): Promise<ImapRaw> {
  const c = await ImapRaw.open(port);
  assert.match(c.greeting, /^\* OK /);
  assert.equal((await c.until(sendTagged(c, 'LOGIN alice@demo.test wonderland'))).status, 'OK');
  return c;
}

function sendTagged(c: ImapRaw, command: string): string {
  const tag = c.nextTag();
  c.send(`${tag} ${command}\r\n`);
  return tag;
}

test('SIGTERM drains imap: IDLE gets BYE [UNAVAILABLE] at once, an APPEND in transfer completes first, exit 0', async () => {
  const vol = await makeTestVolume({ listen: ONLY_IMAP, limits: { drainTimeoutSeconds: 60 } });
  const svc = await startServiceProcess('imap', vol.root);
  try {
    const port = svc.port();
    const idler = await login(port);
    assert.equal((await idler.until(sendTagged(idler, 'SELECT INBOX'))).status, 'OK');
    sendTagged(idler, 'IDLE');
    assert.equal(await idler.line(20_000), '+ idling');

    const appender = await login(port);
    const message = `Subject: appended during the drain\r\nMessage-ID: <drain-imap@client.test>\r\n\r\n${'y'.repeat(20_000)}\r\n`;
    const appendTag = sendTagged(appender, `APPEND INBOX {${message.length}}`);
    assert.match((await appender.line(20_000)) ?? '(closed)', /^\+ /);
    appender.send(message.slice(0, 1000));

    const exited = new Promise<number | null>((resolve) => svc.proc.once('exit', (code) => resolve(code)));
    svc.proc.kill('SIGTERM');
    await logged(svc, 'imap.drain.start');

    assert.match((await idler.line(20_000)) ?? '(closed)', BYE, 'the IDLE session is told at once');
    assert.equal(await idler.line(20_000), null, 'and closed');

    const late = await ImapRaw.open(port);
    assert.match(late.greeting, BYE, 'a new connection gets BYE instead of the greeting');
    assert.equal(await late.line(20_000), null);

    appender.send(`${message.slice(1000)}\r\n`);
    const done = await appender.until(appendTag, 20_000);
    assert.equal(done.status, 'OK', `APPEND completes: ${done.tagged}`);
    assert.match(done.tagged, /\[APPENDUID \d+ \d+\]/);
    assert.match((await appender.line(20_000)) ?? '(closed)', BYE, 'then BYE');
    assert.equal(await appender.line(20_000), null);

    assert.equal(await exited, 0, 'the service exits 0 once drained');
    const stored = await listMaildir(vol.layout.maildir('demo.test', 'alice'));
    assert.equal(stored.length, 1);
    assert.equal((await readMessage(stored[0]!.path)).toString(), message, 'the appended message is stored whole');
  } finally {
    await svc.kill('SIGKILL');
    vol.cleanup();
  }
});
