// The MX listener with everyday clients: curl (smtp://), swaks with pipelining,
// Python smtplib over STARTTLS, the advertised extensions, SMTPUTF8 and 8BITMIME.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, RawClient, runTool, status, type Harness } from './smtp-harness.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test('listening names every bound listener as host:port', () => {
  const { smtp, submission, submissions } = h.svc.ports;
  assert.deepEqual(h.svc.listening, [`127.0.0.1:${smtp}`, `127.0.0.1:${submission}`, `127.0.0.1:${submissions}`]);
  assert.ok([smtp, submission, submissions].every((p) => typeof p === 'number' && p > 0));
});

test('EHLO on the MX advertises the extensions smtp-server supports and Tandem enables; CHUNKING is not one', async () => {
  const c = await RawClient.open(h.svc.ports.smtp!);
  try {
    const ehlo = await c.hello();
    const ext = ehlo.split(/\r?\n/).slice(1).map((l) => l.slice(4));
    assert.deepEqual(ext, ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN', 'AUTH PLAIN LOGIN', 'STARTTLS', 'SIZE 26214400']);
    assert.equal((await c.cmd('BDAT 10 LAST')).slice(0, 3), '500');
  } finally {
    c.end();
  }
});

test('curl: smtp:// with --mail-from, --mail-rcpt and --upload-file delivers to two local mailboxes', async () => {
  const file = join(h.vol.root, 'curl-mx.txt');
  writeFileSync(file, 'From: someone@example.org\r\nSubject: via curl mx\r\n\r\nhello\r\n');
  const r = await runTool('curl', ['-sS', '--url', `smtp://127.0.0.1:${h.svc.ports.smtp}`, '--mail-from', 'someone@example.org',
    '--mail-rcpt', 'alice@demo.test', '--mail-rcpt', 'bob@demo.test', '--upload-file', file]);
  assert.equal(r.code, 0, r.stderr);
  for (const u of ['alice@demo.test', 'bob@demo.test']) {
    const m = (await h.inbox(u)).find((x) => x.includes('via curl mx'));
    assert.ok(m, u);
    // Two recipients: the Received field names neither (no "for <...>").
    assert.match(m, /with ESMTP id \w+;\r\n\t\w{3}, /);
  }
});

test('curl: an unknown recipient makes curl fail with the server reply, nothing stored', async () => {
  const file = join(h.vol.root, 'curl-bad.txt');
  writeFileSync(file, 'Subject: nobody\r\n\r\nx\r\n');
  const r = await runTool('curl', ['-sS', '--url', `smtp://127.0.0.1:${h.svc.ports.smtp}`, '--mail-from', 'someone@example.org', '--mail-rcpt', 'nobody@demo.test', '--upload-file', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /550/);
});

test('swaks with PIPELINING sends a whole transaction in one go', async () => {
  const r = await runTool('swaks', ['--server', '127.0.0.1', '--port', String(h.svc.ports.smtp), '--pipeline', '--from', 'p@example.org',
    '--to', 'alice@demo.test,bob@demo.test', '--header', 'Subject: via swaks pipeline']);
  assert.equal(r.code, 0, r.stdout);
  assert.ok((await h.inbox('bob@demo.test')).some((m) => m.includes('via swaks pipeline')));
});

test('Python smtplib: STARTTLS on the MX, no AUTH, to a local user', async () => {
  const script = `
import smtplib, ssl
s = smtplib.SMTP('127.0.0.1', ${h.svc.ports.smtp}, timeout=10)
s.starttls(context=ssl._create_unverified_context())
refused = s.sendmail('py@example.org', ['alice@demo.test'], b'Subject: smtplib mx\\r\\n\\r\\nhi\\r\\n')
assert refused == {}, refused
s.quit()
`;
  const r = await runTool('python3', ['-c', script]);
  assert.equal(r.code, 0, r.stderr);
  const m = (await h.inbox('alice@demo.test')).find((x) => x.includes('smtplib mx'));
  assert.ok(m);
  assert.match(m, /with ESMTPS id/);
});

test('SMTPUTF8 and 8BITMIME: a UTF-8 sender and an 8-bit body are accepted and stored byte for byte', async () => {
  const c = await RawClient.open(h.svc.ports.smtp!);
  const body = 'Subject: Grüße aus Köln\r\n\r\nÜmlaut body ✓\r\n';
  try {
    await c.hello();
    assert.equal(status(await c.cmd('MAIL FROM:<jürgen@example.org> SMTPUTF8 BODY=8BITMIME')), '250 2.1.0');
    assert.equal(status(await c.cmd('RCPT TO:<bob@demo.test>')), '250 2.1.5');
    assert.equal(status(await c.data(body)), '250 2.0.0');
  } finally {
    c.end();
  }
  const m = (await h.inbox('bob@demo.test')).find((x) => x.includes('Grüße aus Köln'));
  assert.ok(m?.endsWith(body));
  assert.match(m!, /^Return-Path: <jürgen@example\.org>/);
});
