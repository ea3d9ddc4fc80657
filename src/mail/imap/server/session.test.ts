// The session's state machine, login paths and connection rules, over real TCP and TLS
// against the service in this process (src/mail/imap/server/_test-harness.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestImap, RawImap, type ImapTestServer } from './_test-harness.ts';

let s: ImapTestServer;
before(async () => { s = await startTestImap(); });
after(async () => { await s.stop(); });

const plain = (user: string, pass: string): string => Buffer.from(`\0${user}\0${pass}`).toString('base64');

test('greeting carries CAPABILITY; loopback with allowPlaintextOnLoopback offers AUTH=PLAIN and STARTTLS', async () => {
  const c = await RawImap.connect(s.port);
  assert.match(c.greeting, /^\* OK \[CAPABILITY IMAP4rev1 IMAP4rev2 .*STARTTLS.*AUTH=PLAIN\]/);
  assert.doesNotMatch(c.greeting, /LOGINDISABLED/);
  c.close();
});

test('commands in the wrong state get BAD with a reason; unknown commands get BAD', async () => {
  const c = await RawImap.connect(s.port);
  assert.match((await c.cmd('SELECT INBOX')).tagged, /BAD SELECT needs a login first/);
  assert.match((await c.cmd('FROBNICATE')).tagged, /BAD unknown command FROBNICATE/);
  await c.cmd('LOGIN alice@demo.test wonderland');
  assert.match((await c.cmd('FETCH 1 FLAGS')).tagged, /BAD FETCH needs a selected mailbox/);
  assert.match((await c.cmd('UID STORE 1 +FLAGS (\\Seen)')).tagged, /BAD UID STORE needs a selected mailbox/);
  assert.match((await c.cmd('LOGIN alice@demo.test wonderland')).tagged, /BAD LOGIN is not allowed in the authenticated state/);
  assert.match((await c.cmd('FETCH')).tagged, /BAD FETCH: missing sequence set/);
  assert.ok((await c.cmd('NOOP')).ok, 'the session survives bad commands');
  c.close();
});

test('LOGIN: wrong password NO [AUTHENTICATIONFAILED]; the third failure closes with BYE', async () => {
  const c = await RawImap.connect(s.port);
  assert.match((await c.cmd('LOGIN carol@demo.test nope')).tagged, /NO \[AUTHENTICATIONFAILED\]/);
  assert.match((await c.cmd('LOGIN alice@demo.test nope')).tagged, /NO \[AUTHENTICATIONFAILED\]/);
  const third = await c.cmd('LOGIN bob@demo.test nope');
  assert.ok(third.untagged.some((l) => /^\* BYE 3 failed logins/.test(l)), third.raw);
  assert.ok(await c.waitClosed());
});

test('LOGIN success answers OK [CAPABILITY ...] with the authenticated list; literals and quoted strings work', async () => {
  const c = await RawImap.connect(s.port);
  const tag = c.nextTag();
  c.send(`${tag} LOGIN {15}\r\n`);
  assert.match(await c.line(), /^\+ /);
  c.send('alice@demo.test "wonderland"\r\n');
  const r = await c.until(tag);
  assert.match(r.tagged, /OK \[CAPABILITY IMAP4rev1 IMAP4rev2 .*IDLE.*QRESYNC.*\] alice@demo\.test logged in/);
  c.close();
});

test('AUTHENTICATE PLAIN with SASL-IR, with a continuation, and "*" cancels', async () => {
  const a = await RawImap.connect(s.port);
  assert.ok((await a.cmd(`AUTHENTICATE PLAIN ${plain('alice@demo.test', 'wonderland')}`)).ok);
  a.close();
  const b = await RawImap.connect(s.port);
  let tag = b.nextTag();
  b.send(`${tag} AUTHENTICATE PLAIN\r\n`);
  assert.equal(await b.line(), '+ ');
  b.send('*\r\n');
  assert.match((await b.until(tag)).tagged, /BAD authentication cancelled/);
  tag = b.nextTag();
  b.send(`${tag} AUTHENTICATE PLAIN\r\n`);
  await b.line();
  b.send(`${plain('bob@demo.test', 'builder')}\r\n`);
  assert.match((await b.until(tag)).tagged, /OK .*bob@demo\.test logged in/);
  assert.match((await b.cmd('AUTHENTICATE CRAM-MD5')).tagged, /BAD AUTHENTICATE is not allowed/);
  b.close();
});

test('LOGOUT: BYE, tagged OK, then the server closes', async () => {
  const c = await s.login();
  const r = await c.cmd('LOGOUT');
  assert.ok(r.untagged.includes('* BYE logging out'));
  assert.ok(r.ok);
  assert.ok(await c.waitClosed());
});

test('ID answers with the server name; NAMESPACE has one personal namespace with "/"', async () => {
  const c = await s.login();
  assert.ok((await c.cmd('ID ("name" "test")')).untagged.includes('* ID ("name" "Tandem" "vendor" "Tandem")'));
  assert.deepEqual((await c.cmd('NAMESPACE')).untagged, ['* NAMESPACE (("" "/")) NIL NIL']);
  c.close();
});

test('ENABLE reports only what it turned on; unknown names are ignored', async () => {
  const c = await s.login();
  assert.deepEqual((await c.cmd('ENABLE QRESYNC X-UNKNOWN')).untagged, ['* ENABLED QRESYNC']);
  assert.deepEqual((await c.cmd('ENABLE QRESYNC IMAP4rev2')).untagged, ['* ENABLED IMAP4rev2']);
  c.close();
});

test('a literal over the limit before login is refused without a "+"', async () => {
  const c = await RawImap.connect(s.port);
  const tag = c.nextTag();
  c.send(`${tag} LOGIN {5000}\r\n`);
  assert.match((await c.until(tag)).tagged, /BAD literal too big before login/);
  assert.ok((await c.cmd('NOOP')).ok);
  c.close();
});

test('implicit TLS on the imaps port announces AUTH=PLAIN and no STARTTLS', async () => {
  const c = await RawImap.connect(s.tlsPort, { tls: true });
  assert.match(c.greeting, /AUTH=PLAIN/);
  assert.doesNotMatch(c.greeting, /STARTTLS|LOGINDISABLED/);
  assert.ok((await c.cmd('LOGIN alice@demo.test wonderland')).ok);
  c.close();
});

test('20 bad commands in a row end the connection with BYE; a good command in between resets the count', async () => {
  const c = await RawImap.connect(s.port);
  for (let i = 0; i < 19; i++) assert.match((await c.cmd('BOGUS')).tagged, /BAD/);
  assert.ok((await c.cmd('NOOP')).ok);
  for (let i = 0; i < 19; i++) assert.match((await c.cmd('BOGUS')).tagged, /BAD/);
  const last = await c.cmd('BOGUS');
  assert.match(last.tagged, /BAD/);
  assert.match(await c.line(), /^\* BYE too many bad commands \(20\)/);
  assert.ok(await c.waitClosed());
});
