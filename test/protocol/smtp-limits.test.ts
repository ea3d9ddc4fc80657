// Bad input and limits: overlong lines, garbage, oversize messages, too many
// recipients and connections, idle and data timeouts, clients that vanish mid-DATA,
// malformed messages, early talkers, and a graceful close(). Each gets a protocol
// reply or a clean close; no partial message is ever stored; others keep being served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { startHarness, transaction, status, RawClient, type Harness } from './smtp-harness.ts';

let h: Harness;
let slow: Harness; // short idle and data timeouts

before(async () => {
  [h, slow] = await Promise.all([
    startHarness({ limits: { lineLengthBytes: 1024, messageSizeBytes: 20_000, recipientsPerMessage: 3, connectionsPerIp: 4 } }),
    startHarness({ limits: { idleTimeoutSeconds: 1, dataTimeoutSeconds: 1 } }),
  ]);
});
after(async () => {
  await Promise.all([h.close(), slow.close()]);
});

/** Files anywhere in a user's Maildir (new, cur and tmp): partial writes would show here. */
async function maildirFiles(x: Harness, user: string): Promise<string[]> {
  const root = x.vol.layout.maildir('demo.test', user);
  const out: string[] = [];
  for (const sub of ['new', 'cur', 'tmp']) out.push(...(await readdir(join(root, sub)).catch(() => [] as string[])));
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an overlong command line gets 421 and the connection is closed', async () => {
  const c = await RawClient.open(h.svc.ports.smtp!);
  await c.hello();
  const r = await c.cmd(`MAIL FROM:<${'a'.repeat(3000)}@example.org>`);
  assert.equal(r.slice(0, 3), '421');
  assert.equal(await c.reply(), '', 'closed');
});

test('garbage commands get 500 each; the tenth closes the connection with 421', async () => {
  const c = await RawClient.open(h.svc.ports.smtp!);
  await c.hello();
  const codes: string[] = [];
  for (let i = 0; i < 10; i++) codes.push((await c.cmd(`\x01\x02GARBAGE${i} \xff`)).slice(0, 3));
  assert.deepEqual(codes, [...Array(9).fill('500'), '421']);
  assert.equal(await c.reply(), '');
});

test('an HTTP request on the SMTP port gets 421', async () => {
  const c = await RawClient.open(h.svc.ports.smtp!);
  await c.reply();
  assert.equal((await c.cmd('GET / HTTP/1.1')).slice(0, 3), '421');
});

test('a client that talks before the greeting is dropped', async () => {
  const sock = connect(h.svc.ports.smtp!, '127.0.0.1');
  let text = '';
  sock.on('data', (d) => { text += d.toString(); });
  sock.write('EHLO early.test\r\n');
  await new Promise((r) => sock.on('close', r));
  assert.match(text, /^421 /m);
});

test('message size: SIZE over the limit is 552 5.3.4 at MAIL; an oversize DATA is 552 5.3.4 and nothing is stored', async () => {
  const c = await RawClient.open(h.svc.ports.smtp!);
  try {
    assert.match(await c.hello(), /250 SIZE 20000/);
    assert.equal(status(await c.cmd('MAIL FROM:<x@example.org> SIZE=20001')), '552 5.3.4');
    assert.equal(status(await c.cmd('MAIL FROM:<x@example.org>')), '250 2.1.0');
    await c.cmd('RCPT TO:<alice@demo.test>');
    assert.equal(status(await c.data(`Subject: huge\r\n\r\n${'x'.repeat(80)}\r\n`.repeat(400))), '552 5.3.4');
    // The session is still usable.
    assert.equal(status(await c.cmd('NOOP')), '250 2.0.0');
  } finally {
    c.end();
  }
  assert.deepEqual(await maildirFiles(h, 'alice'), []);
});

test('too many recipients: the 4th RCPT gets 452 4.5.3', async () => {
  const r = await transaction(h.svc.ports.smtp!, { from: 'x@example.org', to: ['alice@demo.test', 'bob@demo.test', 'alice+a@demo.test', 'alice+b@demo.test'] });
  assert.deepEqual(r.slice(2, 6).map(status), ['250 2.1.5', '250 2.1.5', '250 2.1.5', '452 4.5.3']);
  assert.equal(status(r[6]!), '250 2.0.0', 'the first three still get the message');
});

test('a client that disconnects mid-DATA leaves nothing behind, while another client is served meanwhile', async () => {
  const before = await maildirFiles(h, 'bob');
  const c = await RawClient.open(h.svc.ports.smtp!);
  await c.hello();
  await c.cmd('MAIL FROM:<x@example.org>');
  await c.cmd('RCPT TO:<bob@demo.test>');
  assert.equal((await c.cmd('DATA')).slice(0, 3), '354');
  c.write('Subject: never finished\r\n\r\npartial body\r\n');
  // Meanwhile a normal client sends a message through the same listener.
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: h.svc.ports.smtp!, secure: false, ignoreTLS: true });
  const info = await t.sendMail({ from: 'y@example.org', to: 'alice@demo.test', subject: 'served meanwhile', text: 'ok' });
  t.close();
  assert.match(info.response, /^250 /);
  c.end();
  await sleep(200);
  assert.deepEqual(await maildirFiles(h, 'bob'), before);
  assert.ok((await h.inbox('alice@demo.test')).some((m) => m.includes('served meanwhile')));
});

test('connections per IP: the one over the limit gets 421 4.7.0; a slot frees when one leaves', async () => {
  const clients = await Promise.all(Array.from({ length: 4 }, () => RawClient.open(h.svc.ports.smtp!)));
  try {
    for (const c of clients) assert.equal((await c.reply()).slice(0, 3), '220');
    const extra = await RawClient.open(h.svc.ports.smtp!);
    const r = await extra.reply();
    assert.equal(status(r), '421 4.7.0');
    assert.equal(await extra.reply(), '', 'closed after the 421');
    clients.pop()!.end();
    await sleep(100);
    const again = await RawClient.open(h.svc.ports.smtp!);
    assert.equal((await again.reply()).slice(0, 3), '220');
    again.end();
  } finally {
    for (const c of clients) c.end();
  }
});

test('malformed messages (NUL, 8-bit, bare LF, no header/body separator, 5000-byte header line) are stored as received', async () => {
  const bodies = [
    'Subject: nul\x00byte\r\n\r\n\x00\x01\x02\xff\xfe body\r\n',
    'Subject: bare-lf\nX: y\n\nbody with bare LF\n',
    'no header at all, just text\r\n',
    `Subject: long-header ${'h'.repeat(5000)}\r\n\r\nbody\r\n`,
    '',
  ];
  for (const body of bodies) {
    const r = await transaction(h.svc.ports.smtp!, { from: 'x@example.org', to: ['bob@demo.test'], body });
    assert.equal(status(r.at(-1)!), '250 2.0.0', JSON.stringify(body.slice(0, 30)));
  }
  const inbox = await h.inbox('bob@demo.test');
  assert.ok(inbox.some((m) => m.includes('no header at all')));
  assert.ok(inbox.some((m) => m.includes('body with bare LF')));
});

test('idle timeout: a silent client gets 421 and is disconnected', async () => {
  const c = await RawClient.open(slow.svc.ports.smtp!);
  await c.hello();
  const t0 = Date.now();
  const r = await c.reply(5000);
  assert.equal(r.slice(0, 3), '421');
  assert.ok(Date.now() - t0 >= 900);
  assert.equal(await c.reply(), '');
});

test('data timeout: a message trickled in slower than dataTimeoutSeconds gets 421 4.4.2 and is not stored', async () => {
  const c = await RawClient.open(slow.svc.ports.smtp!);
  await c.hello();
  await c.cmd('MAIL FROM:<x@example.org>');
  await c.cmd('RCPT TO:<alice@demo.test>');
  await c.cmd('DATA');
  const got = c.reply(5000);
  for (let i = 0; i < 8 && !c.closed; i++) {
    c.write(`X-Slow-${i}: drip\r\n`);
    await sleep(250);
  }
  assert.equal(status(await got), '421 4.4.2');
  assert.deepEqual(await maildirFiles(slow, 'alice'), []);
});

test('close(): an idle session gets 421 at once, a transaction in flight finishes with 250, new clients are refused', async () => {
  const x = await startHarness();
  const idle = await RawClient.open(x.svc.ports.smtp!);
  await idle.hello();
  const busy = await RawClient.open(x.svc.ports.smtp!);
  await busy.hello();
  await busy.cmd('MAIL FROM:<x@example.org>');
  await busy.cmd('RCPT TO:<alice@demo.test>');
  await busy.cmd('DATA');
  busy.write('Subject: in flight during close\r\n\r\n');
  const closing = x.svc.close();
  assert.equal(status(await idle.reply()), '421 4.3.2');
  busy.write('still arriving\r\n.\r\n');
  assert.equal(status(await busy.reply()), '250 2.0.0');
  await closing;
  await assert.rejects(RawClient.open(x.svc.ports.smtp!));
  assert.ok((await x.inbox('alice@demo.test')).some((m) => m.includes('in flight during close')));
  x.vol.cleanup();
});

test('maxConnections counts all listeners together: the third connection, on another port, gets 421 4.3.2', async () => {
  const x = await startHarness({ limits: { maxConnections: 2, connectionsPerIp: 20 } });
  const open: RawClient[] = [];
  try {
    for (const port of [x.svc.ports.smtp!, x.svc.ports.smtp!]) {
      const c = await RawClient.open(port);
      open.push(c);
      assert.equal((await c.reply()).slice(0, 3), '220');
    }
    const third = await RawClient.open(x.svc.ports.submission!);
    open.push(third);
    assert.equal(status(await third.reply()), '421 4.3.2');
  } finally {
    for (const c of open) c.end();
    await x.close();
  }
});
