// POP3 under bad input and abuse: overlong lines, connections per IP, login throttling
// per user and per IP (refused before the password is checked), the idle autologout
// (RFC 1939 section 3) and the STARTTLS command-injection guard (RFC 2595 section 4).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { startPop3, RawClient, type Pop3Fixture } from './pop3-helpers.ts';
import { listMaildir } from '../../src/mail/storage/maildir.ts';

let f: Pop3Fixture;
before(async () => {
  f = await startPop3({
    auth: { allowPlaintextOnLoopback: true, maxFailuresPerUser: 2, maxFailuresPerIp: 4, failureWindowSeconds: 300 },
    limits: { lineLengthBytes: 512, connectionsPerIp: 3, pop3IdleTimeoutSeconds: 1 },
  });
});
after(() => f.stop());

async function open(): Promise<RawClient> {
  const c = await RawClient.open(f.port);
  assert.match((await c.line())!, /^\+OK/);
  return c;
}

test('an overlong line gets one -ERR, is not buffered, and the session goes on', async () => {
  const c = await open();
  assert.equal(await c.cmd('x'.repeat(600)), '-ERR line too long: the limit is 512 octets');
  // 2 MiB without a line end: dropped as it arrives, answered once.
  c.send('y'.repeat(2 << 20));
  c.send('\r\n');
  assert.equal(await c.line(), '-ERR line too long: the limit is 512 octets');
  assert.equal(await c.cmd('CAPA'), '+OK capability list follows');
  await c.body();
  await c.quit();
});

test('an idle session is logged out after pop3IdleTimeoutSeconds without entering UPDATE', async () => {
  await f.deliver('bob', 'Subject: keep\n\nx\n');
  const c = await open();
  assert.match(await c.login('bob@demo.test', 'builder'), /^\+OK bob@demo\.test has 1 messages/);
  assert.match(await c.cmd('DELE 1'), /^\+OK/);
  const started = Date.now();
  assert.equal(await c.line(3000), '-ERR autologout: idle for too long, closing connection');
  await c.closedByServer();
  const waited = Date.now() - started;
  assert.ok(waited >= 900 && waited < 3500, `closed after ${waited} ms`);
  assert.equal((await listMaildir(f.maildir('bob'))).length, 1, 'the DELE of a timed-out session is not applied');
});

test('a client that stops reading in the middle of a RETR is dropped after pop3IdleTimeoutSeconds', async () => {
  await f.deliver('alice', Buffer.alloc(16 << 20, 'z'));
  const c = await open();
  assert.match(await c.login(), /^\+OK alice@demo\.test has 1 messages/);
  let received = 0;
  let tail = '';
  c.socket.on('data', (d: string) => { received += d.length; tail = (tail + d).slice(-5); });
  c.socket.pause();
  c.send('RETR 1\r\n');
  // Not reading for twice the idle timeout, then reading whatever the kernel holds.
  await new Promise((r) => setTimeout(r, 2500));
  const closed = new Promise<boolean>((resolve) => {
    c.socket.once('close', () => resolve(true));
    setTimeout(() => resolve(false), 5000);
  });
  c.socket.resume();
  assert.ok(await closed, 'the server closed the connection');
  assert.ok(received < 16 << 20, `the server gave up after ${received} bytes`);
  assert.notEqual(tail, '\r\n.\r\n', 'no terminator after a cut response');
  rmSync(f.maildir('alice'), { recursive: true, force: true });
});

test('connections beyond connectionsPerIp are refused with [SYS/TEMP]; a slot frees when one leaves', async () => {
  const held = [await open(), await open(), await open()];
  const extra = await RawClient.open(f.port);
  assert.equal(await extra.line(), '-ERR [SYS/TEMP] too many connections from 127.0.0.1 (limit 3); try again later');
  await extra.closedByServer();
  await held[0]!.quit();
  // The server counts the slot free when it sees the close; allow it a moment.
  let greeting: string | null = null;
  for (let i = 0; i < 50 && !greeting?.startsWith('+OK'); i++) {
    const again = await RawClient.open(f.port);
    greeting = await again.line();
    if (greeting?.startsWith('+OK')) held.push(again);
    else await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(greeting!, /^\+OK/);
  for (const c of held.slice(1)) await c.quit();
});

test('a TLS client cannot have cleartext sent before STLS executed after the handshake (RFC 2595)', async () => {
  const raw: Socket = netConnect({ port: f.port, host: '127.0.0.1' });
  await once(raw, 'connect');
  let text = '';
  const readUntil = async (re: RegExp): Promise<void> => {
    while (!re.test(text)) text += ((await once(raw, 'data')) as [Buffer])[0].toString('latin1');
  };
  await readUntil(/\r\n/);
  raw.write('STLS\r\nUSER alice@demo.test\r\n');
  await readUntil(/begin TLS negotiation\r\n/);
  const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
  await once(secure, 'secureConnect');
  let reply = '';
  secure.on('data', (d: Buffer) => { reply += d.toString('latin1'); });
  secure.write('PASS wonderland\r\n');
  while (!reply.includes('\r\n')) await once(secure, 'data');
  assert.equal(reply, '-ERR send USER first\r\n', 'the USER sent in cleartext was discarded');
  secure.destroy();
});

test('failed logins throttle the user, then the IP, without checking the password', async () => {
  for (let i = 0; i < 2; i++) {
    const c = await open();
    assert.equal(await c.login('alice@demo.test', 'wrong'), '-ERR [AUTH] invalid user name or password');
    await c.quit();
  }
  let c = await open();
  // The right password does not help: the block is decided before the password is looked at.
  assert.match(await c.login('alice@demo.test', 'wonderland'), /^-ERR \[SYS\/TEMP\] too many failed logins for this user; try again in \d+ seconds$/);
  assert.match(await c.login('bob@demo.test', 'builder'), /^\+OK bob@demo\.test/, 'other users are not blocked by alice\'s count');
  await c.quit();
  for (let i = 0; i < 2; i++) {
    c = await open();
    assert.equal(await c.login('bob@demo.test', 'wrong'), '-ERR [AUTH] invalid user name or password');
    await c.quit();
  }
  c = await open();
  assert.match(await c.login('nobody@demo.test', 'x'), /^-ERR \[SYS\/TEMP\] too many failed logins from 127\.0\.0\.1; try again in \d+ seconds$/);
  await c.quit();
});
