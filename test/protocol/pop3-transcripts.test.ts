// POP3 raw transcripts: exact lines for pipelining, AUTH PLAIN, byte-stuffing, TOP,
// state rules, DELE/RSET/QUIT semantics (RFC 1939 section 6) and the maildrop lock.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startPop3, RawClient, type Pop3Fixture } from './pop3-helpers.ts';
import { listMaildir } from '../../src/mail/storage/maildir.ts';
import { encodePlain } from '../../src/mail/pop3/proto/sasl-plain.ts';

let f: Pop3Fixture;
before(async () => { f = await startPop3(); });
after(() => f.stop());
beforeEach(() => {
  for (const who of ['alice', 'bob']) rmSync(f.maildir(who), { recursive: true, force: true });
});

async function open(): Promise<RawClient> {
  const c = await RawClient.open(f.port);
  assert.match((await c.line())!, /^\+OK mail\.demo\.test Tandem POP3 server ready$/);
  return c;
}

test('pipelined commands are answered in order in one round trip (RFC 2449 section 6.6)', async () => {
  await f.deliver('alice', 'Subject: a\n\nA\n');
  await f.deliver('alice', 'Subject: b\n\nB\n');
  const c = await open();
  c.send('USER alice@demo.test\r\nPASS wonderland\r\nSTAT\r\nLIST\r\nRETR 2\r\nNOOP\r\nQUIT\r\n');
  assert.match((await c.line())!, /^\+OK/);
  assert.equal(await c.line(), '+OK alice@demo.test has 2 messages (34 octets)');
  assert.equal(await c.line(), '+OK 2 34');
  assert.equal(await c.line(), '+OK 2 messages (34 octets)');
  assert.deepEqual(await c.body(), ['1 17', '2 17']);
  assert.equal(await c.line(), '+OK 17 octets');
  assert.deepEqual(await c.body(), ['Subject: b', '', 'B']);
  assert.equal(await c.line(), '+OK');
  assert.match((await c.line())!, /^\+OK .*signing off \(0 messages deleted, 2 left\)$/);
  await c.closedByServer();
});

test('AUTH PLAIN works with an initial response, with a continuation, and "*" cancels (RFC 5034)', async () => {
  let c = await open();
  assert.match(await c.cmd(`AUTH PLAIN ${encodePlain('alice@demo.test', 'wonderland')}`), /^\+OK alice@demo\.test has 0 messages/);
  await c.quit();
  c = await open();
  assert.equal(await c.cmd('AUTH PLAIN'), '+ ');
  assert.match(await c.cmd(encodePlain('bob@demo.test', 'builder')), /^\+OK bob@demo\.test has/);
  await c.quit();
  c = await open();
  assert.equal(await c.cmd('AUTH PLAIN'), '+ ');
  assert.equal(await c.cmd('*'), '-ERR authentication cancelled');
  assert.equal(await c.cmd('AUTH PLAIN'), '+ ');
  assert.equal(await c.cmd(encodePlain('alice@demo.test', 'nope')), '-ERR [AUTH] invalid user name or password');
  assert.match(await c.cmd('AUTH CRAM-MD5'), /^-ERR unsupported SASL mechanism CRAM-MD5/);
  assert.equal(await c.cmd('AUTH'), '+OK SASL mechanisms follow');
  assert.deepEqual(await c.body(), ['PLAIN']);
  await c.quit();
});

test('RETR byte-stuffs lines starting with "." and adds a line end before the terminator', async () => {
  await f.deliver('alice', Buffer.from('Subject: dots\r\n\r\n.\r\n..\r\n.x\r\nmid.dle\r\nno newline at end'));
  const c = await open();
  await c.login();
  assert.match(await c.cmd('RETR 1'), /^\+OK \d+ octets$/);
  assert.deepEqual(await c.body(), ['Subject: dots', '', '..', '...', '..x', 'mid.dle', 'no newline at end']);
  await c.quit();
});

test('TOP n sends the header, the blank line and n body lines; TOP 0 and body-less messages', async () => {
  await f.deliver('alice', 'Subject: t\nX-A: 1\n\nb1\n.b2\nb3\n');
  await f.deliver('alice', Buffer.from('Subject: header only\r\nX-B: 2\r\n'));
  const c = await open();
  await c.login();
  assert.equal(await c.cmd('TOP 1 0'), '+OK top of message follows');
  assert.deepEqual(await c.body(), ['Subject: t', 'X-A: 1', '']);
  assert.equal(await c.cmd('TOP 1 2'), '+OK top of message follows');
  assert.deepEqual(await c.body(), ['Subject: t', 'X-A: 1', '', 'b1', '..b2']);
  assert.equal(await c.cmd('TOP 2 0'), '+OK top of message follows');
  assert.deepEqual(await c.body(), ['Subject: header only', 'X-B: 2']);
  assert.equal(await c.cmd('TOP 3 0'), '-ERR no such message: 3 (maildrop has 2)');
  assert.match(await c.cmd('TOP 1'), /^-ERR TOP: expected a message number and a number of lines/);
  await c.quit();
});

test('DELE marks, RSET unmarks, and only QUIT removes (RFC 1939 sections 5 and 6)', async () => {
  for (let i = 1; i <= 3; i++) await f.deliver('alice', `Subject: ${i}\n\nbody\n`);
  const c = await open();
  await c.login();
  assert.equal(await c.cmd('DELE 2'), '+OK message 2 marked for deletion');
  assert.equal(await c.cmd('DELE 2'), '-ERR message 2 already deleted');
  assert.equal(await c.cmd('RETR 2'), '-ERR message 2 already deleted');
  assert.equal(await c.cmd('STAT'), '+OK 2 40');
  assert.equal(await c.cmd('LIST'), '+OK 2 messages (40 octets)');
  assert.deepEqual(await c.body(), ['1 20', '3 20']);
  assert.match(await c.cmd('RSET'), /^\+OK 1 messages unmarked; maildrop has 3 messages/);
  assert.equal(await c.cmd('DELE 1'), '+OK message 1 marked for deletion');
  assert.equal(await c.cmd('DELE 3'), '+OK message 3 marked for deletion');
  assert.equal((await listMaildir(f.maildir('alice'))).length, 3, 'nothing removed before QUIT');
  assert.match(await c.cmd('QUIT'), /^\+OK .*\(2 messages deleted, 1 left\)$/);
  await c.closedByServer();
  const left = await listMaildir(f.maildir('alice'));
  assert.equal(left.length, 1);
  const d = await open();
  await d.login();
  assert.equal(await d.cmd('TOP 1 0'), '+OK top of message follows');
  assert.deepEqual(await d.body(), ['Subject: 2', '']);
  await d.quit();
});

test('a session that ends without QUIT keeps every message, and its lock is released', async () => {
  await f.deliver('alice', 'Subject: keep me\n\nx\n');
  const c = await open();
  await c.login();
  assert.equal(await c.cmd('DELE 1'), '+OK message 1 marked for deletion');
  c.end();
  // The next login may race the server noticing the disconnect; retry briefly.
  let reply = '';
  for (let i = 0; i < 50; i++) {
    const d = await open();
    reply = await d.login();
    await d.quit();
    if (!reply.includes('IN-USE')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(reply, /^\+OK alice@demo\.test has 1 messages/);
  assert.equal((await listMaildir(f.maildir('alice'))).length, 1);
});

test('a second login to the same maildrop gets [IN-USE]; other users are not affected', async () => {
  const first = await open();
  assert.match(await first.login(), /^\+OK/);
  const second = await open();
  assert.equal(await second.login(), '-ERR [IN-USE] maildrop of alice@demo.test is in use by another POP3 session');
  assert.match(await second.login('bob@demo.test', 'builder'), /^\+OK bob@demo\.test/);
  assert.match(await first.cmd('QUIT'), /^\+OK/);
  const third = await open();
  assert.match(await third.login(), /^\+OK/, 'QUIT released the lock');
  await second.quit();
  await third.quit();
});

test('commands are checked against the state once: TRANSACTION commands before login, USER after', async () => {
  const c = await open();
  assert.equal(await c.cmd('STAT'), '-ERR STAT is not allowed in the AUTHORIZATION state');
  assert.equal(await c.cmd('PASS wonderland'), '-ERR send USER first');
  assert.equal(await c.cmd('XYZZY'), '-ERR unknown command XYZZY');
  assert.equal(await c.cmd('LIST x'), '-ERR LIST is not allowed in the AUTHORIZATION state');
  await c.login();
  assert.equal(await c.cmd('USER bob@demo.test'), '-ERR USER is not allowed in the TRANSACTION state');
  assert.equal(await c.cmd('STLS'), '-ERR STLS is not allowed in the TRANSACTION state');
  assert.match(await c.cmd('LIST x'), /^-ERR LIST: invalid message number "x"/);
  assert.equal(await c.cmd('LIST 1'), '-ERR no such message: 1 (maildrop has 0)');
  assert.equal(await c.cmd('NOOP extra'), '-ERR NOOP: this command takes no arguments');
  assert.equal(await c.cmd('CAPA'), '+OK capability list follows');
  const caps = await c.body();
  assert.ok(!caps.includes('USER') && !caps.includes('STLS'), caps.join(','));
  assert.equal(await c.cmd('noop'), '+OK', 'keywords are case-insensitive');
  await c.quit();
});

test('USER/PASS and AUTH are refused in cleartext off loopback rules, with an STLS hint, and work after STLS', async () => {
  const strict = await startPop3({ auth: { allowPlaintextOnLoopback: false } });
  try {
    const c = await RawClient.open(strict.port);
    await c.line();
    assert.equal(await c.cmd('CAPA'), '+OK capability list follows');
    const caps = await c.body();
    assert.ok(caps.includes('STLS') && !caps.includes('USER') && !caps.includes('SASL PLAIN'), caps.join(','));
    assert.equal(await c.cmd('USER alice@demo.test'), '-ERR [AUTH] plaintext authentication is not allowed on an unencrypted connection; use STLS first');
    assert.match(await c.cmd(`AUTH PLAIN ${encodePlain('alice@demo.test', 'wonderland')}`), /^-ERR \[AUTH\] plaintext authentication/);
    c.end();
    const t = await RawClient.open(strict.tlsPort, { tls: true });
    await t.line();
    assert.match(await t.login(), /^\+OK alice@demo\.test has 0 messages/);
    await t.quit();
  } finally {
    await strict.stop();
  }
});

test('too many bad commands close the connection; an HTTP request is dropped at once', async () => {
  const c = await open();
  for (let i = 1; i < 10; i++) assert.match(await c.cmd(`BOGUS${'x'.repeat(i % 3)}`), /^-ERR unknown command/);
  assert.match(await c.cmd('\x01\x02garbage'), /^-ERR expected a command keyword/);
  assert.equal(await c.line(), '-ERR too many bad commands (10); closing connection');
  await c.closedByServer();
  const h = await open();
  h.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await h.closedByServer();
  assert.ok(h.closed);
});

test('three failed logins on one connection close it', async () => {
  const c = await open();
  for (let i = 0; i < 2; i++) assert.equal(await c.login('alice@demo.test', `bad${i}`), '-ERR [AUTH] invalid user name or password');
  assert.equal(await c.login('alice@demo.test', 'bad2'), '-ERR [AUTH] invalid user name or password');
  assert.equal(await c.line(), '-ERR 3 failed logins on this connection; closing');
  await c.closedByServer();
  // Reset the per-user count so later tests are not throttled.
  const ok = await open();
  assert.match(await ok.login(), /^\+OK/);
  await ok.quit();
});
