// The drain of the pop3 service on SIGTERM (docs/switchover.md), with a real process and
// a raw client: a session that marked a message with DELE ends with "-ERR [SYS/TEMP]" and
// without the UPDATE state (RFC 1939 section 6), so the message is still there; a new
// connection gets "-ERR [SYS/TEMP]" instead of the greeting; the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestVolume } from '../helpers/volume.ts';
import { startServiceProcess, type ServiceProcess } from '../helpers/process.ts';
import { ImapRaw } from '../helpers/imap-raw.ts';
import { deliverToMaildir, ensureMaildir, listMaildir } from '../../src/mail/storage/maildir.ts';

const ONLY_POP3 = {
  address: '127.0.0.1',
  smtp: { port: null }, submission: { port: null }, submissions: { port: null },
  pop3: { port: 0 }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null },
};

async function logged(svc: ServiceProcess, event: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (svc.stderr().includes(`"event":"${event}"`)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${event} in the log:\n${svc.stderr().slice(-2000)}`);
}

async function cmd(c: ImapRaw, line: string): Promise<string> {
  c.send(`${line}\r\n`);
  return (await c.line(20_000)) ?? '(closed)';
}

test('SIGTERM drains pop3: a RETR in progress completes, a session with DELE ends with -ERR [SYS/TEMP] and nothing is deleted, new connections are refused, exit 0', async () => {
  const vol = await makeTestVolume({ listen: ONLY_POP3, limits: { drainTimeoutSeconds: 60 } });
  const aliceDir = vol.layout.maildir('demo.test', 'alice');
  const bobDir = vol.layout.maildir('demo.test', 'bob');
  await ensureMaildir(aliceDir);
  await ensureMaildir(bobDir);
  await deliverToMaildir(aliceDir, Buffer.from('Subject: keep me\r\n\r\nstill here after the drain\r\n'));
  // Bigger than what the loopback socket buffers hold, so the RETR is still being
  // written (the client does not read) when the drain begins.
  const big = Buffer.from(`Subject: big\r\n\r\n${`${'z'.repeat(998)}\r\n`.repeat(32 * 1024)}`);
  await deliverToMaildir(bobDir, big);
  const svc = await startServiceProcess('pop3', vol.root);
  try {
    const a = await ImapRaw.open(svc.port());
    assert.match(a.greeting, /^\+OK /);
    assert.match(await cmd(a, 'USER alice@demo.test'), /^\+OK/);
    assert.match(await cmd(a, 'PASS wonderland'), /^\+OK/);
    assert.match(await cmd(a, 'DELE 1'), /^\+OK/);

    const b = await ImapRaw.open(svc.port());
    assert.match(await cmd(b, 'USER bob@demo.test'), /^\+OK/);
    assert.match(await cmd(b, 'PASS builder'), /^\+OK/);
    b.send('RETR 1\r\n');
    // The reply has begun: stop reading, so the server is still writing it when the drain begins.
    const head = (await b.line(20_000)) ?? '(closed)';
    b.pause();
    assert.match(head, /^\+OK \d+ octets$/);

    const exited = new Promise<number | null>((resolve) => svc.proc.once('exit', (code) => resolve(code)));
    svc.proc.kill('SIGTERM');
    await logged(svc, 'pop3.drain.start');

    // A sits between commands: it hears at once, and the -ERR is what its next command
    // (QUIT here, which would have applied the deletion) reads. No UPDATE state.
    assert.equal(await a.line(20_000), '-ERR [SYS/TEMP] server shutting down; try again later');
    a.send('QUIT\r\n');
    assert.equal(await a.line(20_000), null, 'closed');

    const late = await ImapRaw.open(svc.port());
    assert.match(late.greeting, /^-ERR \[SYS\/TEMP\] mail\.demo\.test service moving to another server, try again shortly$/);
    assert.equal(await late.line(20_000), null);

    b.resume();
    const size = Number(/^\+OK (\d+)/.exec(head)![1]);
    assert.equal(size, big.length);
    assert.ok((await b.bytes(size, 60_000)).equals(big), 'the RETR in progress goes on: the whole message');
    assert.equal(await b.line(20_000), '.');
    assert.equal(await b.line(20_000), '-ERR [SYS/TEMP] server shutting down; try again later', 'then the drain\'s -ERR');
    assert.equal(await b.line(20_000), null);

    assert.equal(await exited, 0, 'the service exits 0 once drained');
    assert.equal((await listMaildir(aliceDir)).length, 1, 'the message marked with DELE is still there');
  } finally {
    await svc.kill('SIGKILL');
    vol.cleanup();
  }
});
