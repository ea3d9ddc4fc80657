// Submission (587, STARTTLS) and submissions (465, implicit TLS) with real clients:
// swaks, Python smtplib, curl and nodemailer. AUTH only over TLS (or loopback when
// allowed), the sender must belong to the user, Date and Message-ID are completed,
// and failed logins are throttled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { startHarness, RawClient, runTool, status, type Harness } from './smtp-harness.ts';

let h: Harness;      // default test volume: plaintext AUTH allowed on loopback
let strict: Harness; // allowPlaintextOnLoopback: false, as for any remote client

before(async () => {
  [h, strict] = await Promise.all([
    startHarness({ auth: { allowPlaintextOnLoopback: true, maxFailuresPerUser: 3, maxFailuresPerIp: 5 } }),
    startHarness({ auth: { allowPlaintextOnLoopback: false } }),
  ]);
  h.vol.directory.addAlias('info@demo.test', ['alice@demo.test']);
});
after(async () => {
  await Promise.all([h.close(), strict.close()]);
});

test('swaks: STARTTLS + AUTH PLAIN on submission delivers to a local mailbox', async () => {
  const r = await runTool('swaks', ['--server', '127.0.0.1', '--port', String(strict.svc.ports.submission), '--tls',
    '--auth', 'PLAIN', '--auth-user', 'alice@demo.test', '--auth-password', 'wonderland',
    '--from', 'alice@demo.test', '--to', 'bob@demo.test', '--header', 'Subject: via swaks starttls']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /235 2\.7\.0/);
  const inbox = await strict.inbox('bob@demo.test');
  const msg = inbox.find((m) => m.includes('Subject: via swaks starttls'));
  assert.ok(msg);
  assert.match(msg, /with ESMTPSA id/);
  assert.match(msg, /\(using TLSv1\.[23] with cipher /);
});

test('Python smtplib: starttls() + login() + sendmail() on submission', async () => {
  const script = `
import smtplib, ssl, sys
ctx = ssl._create_unverified_context()
s = smtplib.SMTP('127.0.0.1', ${strict.svc.ports.submission}, timeout=10)
s.starttls(context=ctx)
s.login('bob@demo.test', 'builder')
s.sendmail('bob@demo.test', ['alice@demo.test'], b'Subject: via smtplib\\r\\nFrom: bob@demo.test\\r\\n\\r\\nhello from python\\r\\n')
s.quit()
print('sent')
`;
  const r = await runTool('python3', ['-c', script]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await strict.inbox('alice@demo.test')).some((m) => m.includes('hello from python')));
});

test('curl: smtps (implicit TLS) with --user delivers, and Date and Message-ID are added', async () => {
  const file = join(strict.vol.root, 'curl-msg.txt');
  writeFileSync(file, 'From: alice@demo.test\r\nTo: bob@demo.test\r\nSubject: via curl smtps\r\n\r\nno date, no id\r\n');
  const r = await runTool('curl', ['-sS', '-k', '--url', `smtps://127.0.0.1:${strict.svc.ports.submissions}`, '--mail-from', 'alice@demo.test',
    '--mail-rcpt', 'bob@demo.test', '--user', 'alice@demo.test:wonderland', '--upload-file', file]);
  assert.equal(r.code, 0, r.stderr);
  const msg = (await strict.inbox('bob@demo.test')).find((m) => m.includes('Subject: via curl smtps'));
  assert.ok(msg);
  assert.match(msg, /^Date: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r$/m);
  assert.match(msg, /^Message-ID: <[a-z0-9]+@mail\.demo\.test>\r$/m);
});

test('nodemailer: implicit TLS with AUTH LOGIN, and STARTTLS with AUTH PLAIN', async () => {
  for (const [port, secure, authMethod] of [[strict.svc.ports.submissions!, true, 'LOGIN'], [strict.svc.ports.submission!, false, 'PLAIN']] as const) {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure, requireTLS: !secure, authMethod, auth: { user: 'alice@demo.test', pass: 'wonderland' }, tls: { rejectUnauthorized: false } });
    const info = await t.sendMail({ from: 'alice@demo.test', to: 'bob@demo.test', subject: `nodemailer ${authMethod}`, text: 'hi', messageId: `<nm-${authMethod}@client.test>` });
    t.close();
    assert.match(info.response, /^250 2\.0\.0 OK/);
    const msg = (await strict.inbox('bob@demo.test')).find((m) => m.includes(`Subject: nodemailer ${authMethod}`));
    assert.ok(msg);
    assert.equal(msg.match(/^Message-ID:/gim)?.length, 1, 'a Message-ID the client set is kept, not doubled');
  }
});

test('without TLS, AUTH is neither advertised nor accepted (538 5.7.11) when plaintext is not allowed, on submission and MX', async () => {
  for (const port of [strict.svc.ports.submission!, strict.svc.ports.smtp!]) {
    const c = await RawClient.open(port);
    try {
      const ehlo = await c.hello();
      assert.match(ehlo, /250-STARTTLS/);
      assert.doesNotMatch(ehlo, /AUTH/, 'AUTH is not advertised before TLS');
      assert.equal(status(await c.authPlain('alice@demo.test', 'wonderland')), '538 5.7.11');
      assert.equal(status(await c.cmd('AUTH LOGIN')), '538 5.7.11');
      assert.equal((await c.startTls()).slice(0, 3), '220');
      assert.match(await c.cmd('EHLO client.test'), /250-AUTH PLAIN LOGIN/);
      assert.equal(status(await c.authPlain('alice@demo.test', 'wonderland')), '235 2.7.0');
    } finally {
      c.end();
    }
  }
});

test('submission needs AUTH: MAIL without it is 530 5.7.0', async () => {
  const c = await RawClient.open(h.svc.ports.submission!);
  try {
    await c.hello();
    assert.equal(status(await c.cmd('MAIL FROM:<alice@demo.test>')), '530 5.7.0');
  } finally {
    c.end();
  }
});

test('the envelope sender must belong to the user: own address and aliases pass, others get 553 5.7.1', async () => {
  const c = await RawClient.open(h.svc.ports.submission!);
  try {
    await c.hello();
    assert.equal(status(await c.authPlain('alice@demo.test', 'wonderland')), '235 2.7.0');
    const r = await c.cmd('MAIL FROM:<bob@demo.test>');
    assert.equal(status(r), '553 5.7.1');
    assert.match(r, /not owned by alice@demo\.test/);
    assert.equal(status(await c.cmd('MAIL FROM:<>')), '553 5.7.1');
    assert.equal(status(await c.cmd('MAIL FROM:<info@demo.test>')), '250 2.1.0');
    assert.equal(status(await c.cmd('RSET')), '250 2.0.0');
    assert.equal(status(await c.cmd('MAIL FROM:<alice+news@demo.test>')), '250 2.1.0');
  } finally {
    c.end();
  }
});

test('a submitted message lacking Date and Message-ID gets both; one that has them keeps its own', async () => {
  const c = await RawClient.open(h.svc.ports.submission!);
  try {
    await c.hello();
    await c.authPlain('alice@demo.test', 'wonderland');
    await c.cmd('MAIL FROM:<alice@demo.test>');
    await c.cmd('RCPT TO:<bob@demo.test>');
    assert.equal(status(await c.data('Subject: bare submission\r\n\r\nbody\r\n')), '250 2.0.0');
    await c.cmd('MAIL FROM:<alice@demo.test>');
    await c.cmd('RCPT TO:<bob@demo.test>');
    assert.equal(status(await c.data('Subject: complete submission\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <own@client.test>\r\n\r\nbody\r\n')), '250 2.0.0');
  } finally {
    c.end();
  }
  const inbox = await h.inbox('bob@demo.test');
  const bare = inbox.find((m) => m.includes('Subject: bare submission'))!;
  assert.match(bare, /^Date: /m);
  assert.match(bare, /^Message-ID: <\w+@mail\.demo\.test>/m);
  const complete = inbox.find((m) => m.includes('Subject: complete submission'))!;
  assert.deepEqual(complete.match(/^(Date|Message-ID): .*$/gm)?.map((l) => l.trim()), ['Date: Mon, 1 Jan 2024 00:00:00 +0000', 'Message-ID: <own@client.test>']);
});

test('CRAM-MD5 and other mechanisms are not offered: 504', async () => {
  const c = await RawClient.open(h.svc.ports.submission!);
  try {
    assert.match(await c.hello(), /250-AUTH PLAIN LOGIN\r?\n/);
    assert.equal(status(await c.cmd('AUTH CRAM-MD5')).slice(0, 3), '504');
  } finally {
    c.end();
  }
});

test('failed logins are throttled per user, then per IP: 454 4.7.0 without checking the password', async () => {
  const c = await RawClient.open(h.svc.ports.submission!);
  const codes: string[] = [];
  try {
    await c.hello();
    for (let i = 0; i < 3; i++) codes.push(status(await c.authPlain('alice@demo.test', `wrong${i}`)));
    // The right password no longer helps while alice is throttled.
    codes.push(status(await c.authPlain('alice@demo.test', 'wonderland')));
  } finally {
    c.end();
  }
  assert.deepEqual(codes, ['535 5.7.8', '535 5.7.8', '535 5.7.8', '454 4.7.0']);
  // bob is not throttled as a user, but two more failures from this IP reach maxFailuresPerIp (5).
  const d = await RawClient.open(h.svc.ports.submission!);
  try {
    await d.hello();
    assert.equal(status(await d.authPlain('bob@demo.test', 'wrong')), '535 5.7.8');
    assert.equal(status(await d.authPlain('bob@demo.test', 'wrong')), '535 5.7.8');
    const r = await d.authPlain('bob@demo.test', 'builder');
    assert.equal(status(r), '454 4.7.0');
    assert.match(r, /address/);
  } finally {
    d.end();
  }
});
