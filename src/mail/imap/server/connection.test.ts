// Connection rules: LOGINDISABLED without TLS, STARTTLS (and the plaintext injected after
// it is never executed), autologout, login throttling, and BYE on shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { startTestImap, RawImap } from './_test-harness.ts';

/** Upgrades a RawImap's socket in place: the harness client reads from the TLS socket after. */
async function upgrade(c: RawImap): Promise<RawImap> {
  const raw = c.socket;
  raw.removeAllListeners('data');
  const secure: TLSSocket = tlsConnect({ socket: raw, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => { secure.once('secureConnect', () => resolve()); secure.once('error', reject); });
  return RawImap.wrap(secure);
}

test('without allowPlaintextOnLoopback: LOGINDISABLED, LOGIN refused; after STARTTLS, AUTH=PLAIN and LOGIN works', async () => {
  const s = await startTestImap({ auth: { allowPlaintextOnLoopback: false } });
  try {
    const c = await RawImap.connect(s.port);
    assert.match(c.greeting, /STARTTLS LOGINDISABLED\]/);
    assert.match((await c.cmd('LOGIN alice@demo.test wonderland')).tagged, /NO \[PRIVACYVIOLATION\] LOGIN is disabled without TLS/);
    assert.match((await c.cmd(`AUTHENTICATE PLAIN ${Buffer.from('\0alice@demo.test\0wonderland').toString('base64')}`)).tagged, /NO \[PRIVACYVIOLATION\]/);
    // A command pipelined behind STARTTLS in the clear must never run (RFC 9051 6.2.1).
    const tag = c.nextTag();
    c.send(`${tag} STARTTLS\r\nx1 LOGIN alice@demo.test wonderland\r\n`);
    assert.match((await c.until(tag)).tagged, /OK begin TLS/);
    const t = await upgrade(c);
    const caps = await t.cmd('CAPABILITY');
    assert.match(caps.untagged[0]!, /AUTH=PLAIN/);
    assert.doesNotMatch(caps.untagged[0]!, /STARTTLS|LOGINDISABLED/);
    assert.ok(!caps.raw.includes('x1 '), 'the injected LOGIN got no reply');
    assert.match((await t.cmd('SELECT INBOX')).tagged, /BAD SELECT needs a login first/);
    assert.ok((await t.cmd('LOGIN alice@demo.test wonderland')).ok);
    assert.match((await t.cmd('STARTTLS')).tagged, /BAD STARTTLS is not allowed in the authenticated state/);
    t.close();
  } finally {
    await s.stop();
  }
});

test('autologout: a silent session gets BYE and is closed', async () => {
  const s = await startTestImap({ imap: { autologoutSeconds: 1 } });
  try {
    const c = await s.login();
    assert.match(await c.line(10_000), /^\* BYE autologout/);
    assert.ok(await c.waitClosed());
  } finally {
    await s.stop();
  }
});

test('login throttling per user: after the limit, even the right password is refused without a check', async () => {
  const s = await startTestImap({ auth: { allowPlaintextOnLoopback: true, maxFailuresPerUser: 2, maxFailuresPerIp: 50 } });
  try {
    for (let i = 0; i < 2; i++) {
      const c = await RawImap.connect(s.port);
      assert.match((await c.cmd('LOGIN alice@demo.test wrong')).tagged, /AUTHENTICATIONFAILED/);
      c.close();
    }
    const c = await RawImap.connect(s.port);
    assert.match((await c.cmd('LOGIN alice@demo.test wonderland')).tagged, /NO \[UNAVAILABLE\] too many failed logins for this user; try again in \d+ seconds/);
    assert.ok((await c.cmd('LOGIN bob@demo.test builder')).ok, 'other users are not affected');
    c.close();
  } finally {
    await s.stop();
  }
});

test('service close sends BYE to every session, including one in IDLE', async () => {
  const s = await startTestImap();
  let stopped = false;
  try {
    const a = await s.login();
    const b = await s.login();
    await b.cmd('SELECT INBOX');
    const tag = b.nextTag();
    b.send(`${tag} IDLE\r\n`);
    assert.equal(await b.line(), '+ idling');
    const closing = s.stop();
    stopped = true;
    assert.match(await a.line(), /^\* BYE \[UNAVAILABLE\] \S+ service moving to another server/);
    assert.match(await b.line(), /^\* BYE \[UNAVAILABLE\] \S+ service moving to another server/);
    assert.ok(await a.waitClosed());
    assert.ok(await b.waitClosed());
    await closing;
  } finally {
    if (!stopped) await s.stop();
  }
});

test('connections over the per-IP limit get BYE [UNAVAILABLE] at once', async () => {
  const s = await startTestImap({ limits: { connectionsPerIp: 2 } });
  try {
    const a = await RawImap.connect(s.port);
    const b = await RawImap.connect(s.port);
    const c = await RawImap.connect(s.port);
    assert.match(c.greeting, /^\* BYE \[UNAVAILABLE\] too many connections from 127\.0\.0\.1 \(limit 2\)/);
    a.close();
    b.close();
    c.close();
  } finally {
    await s.stop();
  }
});
