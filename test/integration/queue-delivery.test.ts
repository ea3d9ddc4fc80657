// The queue runner against real SMTP peers on loopback: delivery, retry, bounces,
// expiry, STARTTLS, smarthost AUTH, null MX, lost data and debris.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, utimesSync, existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { simpleParser } from 'mailparser';
import { makeTestVolume, type TestVolume } from '../helpers/volume.ts';
import type { SettingsInput } from '../../src/mail/core/settings.ts';
import { openMailContext, type MailContext } from '../../src/mail/core/context.ts';
import { startQueueRunner, type QueueRunner } from '../../src/mail/queue/runner.ts';
import { enqueueMessage, listEntryIds, readEntry, dataPath } from '../../src/mail/queue/spool.ts';
import { startSink, maildirDelivery, eventually, type Sink, type SinkOptions } from './queue-sink.ts';

process.env.TANDEM_LOG_LEVEL ??= 'silent';

const MSG = Buffer.from('From: Alice <alice@demo.test>\r\nTo: <bob@example.net>\r\nSubject: queue test\r\nMessage-ID: <t1@demo.test>\r\n\r\nline one\r\n.leading dot\r\n\r\nlast line \u00e9\r\n', 'utf8');

interface Harness { sink: Sink; vol: TestVolume; ctx: MailContext; runner: QueueRunner; mxLookups: string[]; close(): Promise<void> }

async function harness(sinkOpts: Omit<SinkOptions, 'host'> & { host?: string }, settings: Partial<SettingsInput> = {}, mx?: (d: string) => Array<{ exchange: string; priority: number }>): Promise<Harness> {
  const sink = await startSink({ host: '127.0.0.2', ...sinkOpts });
  const vol = await makeTestVolume({ ...settings, queue: { retrySchedule: [1], ...settings.queue, remotePort: sink.port } });
  const ctx = await openMailContext(vol.root, 'queue-test');
  const mxLookups: string[] = [];
  const runner = startQueueRunner(ctx, {
    deliverLocal: maildirDelivery,
    resolveMx: async (domain) => { mxLookups.push(domain); return mx ? mx(domain) : [{ exchange: sink.host, priority: 10 }]; },
    flushPollMs: 100,
  });
  const h: Harness = {
    sink, vol, ctx, runner, mxLookups,
    async close() {
      // h.runner, not the first runner: a test may have restarted it.
      await h.runner.close();
      ctx.directory.close();
      await sink.close();
      vol.cleanup();
    },
  };
  return h;
}

const queueEmpty = (h: Harness) => async () => (await listEntryIds(h.vol.layout.queueDir)).length === 0;

function inbox(vol: TestVolume, local: string): Buffer[] {
  const dir = join(vol.layout.maildir('demo.test', local), 'new');
  return existsSync(dir) ? readdirSync(dir).sort().map((f) => readFileSync(join(dir, f))) : [];
}

/** The per-recipient groups of the DSN's message/delivery-status part. */
async function dsnReport(raw: Buffer): Promise<{ subject: string; from: string; groups: Array<Record<string, string>>; text: string }> {
  const p = await simpleParser(raw);
  const ct = p.headers.get('content-type') as { value: string; params: Record<string, string> };
  assert.equal(ct.value, 'multipart/report');
  assert.equal(ct.params['report-type'], 'delivery-status');
  const part = raw.toString('utf8').split(`--${ct.params.boundary}`).find((s) => /content-type:\s*message\/delivery-status/i.test(s));
  assert.ok(part, 'the DSN has a message/delivery-status part');
  const body = part.slice(part.indexOf('\r\n\r\n') + 4).trim();
  const groups = body.split(/\r\n\r\n/).map((g) => Object.fromEntries(g.split('\r\n').map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()])));
  return { subject: p.subject ?? '', from: p.from?.value[0]?.address ?? '', groups, text: p.text ?? '' };
}

test('a message to a remote domain goes to its MX, arrives byte for byte, and leaves the queue', async () => {
  const h = await harness({});
  try {
    await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@example.net', 'carol@example.net'], data: MSG });
    h.runner.kick();
    await eventually(queueEmpty(h), 'queue empty');
    assert.equal(h.sink.messages.length, 1, 'one transaction for both recipients of one domain');
    const got = h.sink.messages[0]!;
    assert.equal(got.from, 'alice@demo.test');
    assert.deepEqual(got.to, ['bob@example.net', 'carol@example.net']);
    assert.deepEqual(got.data, MSG);
    assert.equal(got.mailArgs.BODY, '8BITMIME', '8-bit content is declared (RFC 6152)');
    assert.deepEqual(h.mxLookups, ['example.net']);
    assert.deepEqual(readdirSync(h.vol.layout.queueDir).filter((f) => !f.startsWith('.')), [], 'no files left behind');
  } finally {
    await h.close();
  }
});

test('the next MX is tried when the preferred one refuses the session; queue.sourceAddress binds the client', async () => {
  const h = await harness({ host: '127.0.0.12' }, { queue: { sourceAddress: '127.0.0.13' } }, () => [
    { exchange: '127.0.0.12', priority: 20 },
    { exchange: '127.0.0.11', priority: 10 },
  ]);
  // The preferred MX greets with 554 (RFC 5321 3.1: "no SMTP service here") and hangs up.
  let refused = 0;
  const busy = createServer((sock) => { refused++; sock.end('554 5.3.2 no service here\r\n'); });
  await new Promise<void>((resolve) => busy.listen(h.sink.port, '127.0.0.11', resolve));
  try {
    await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@example.net'], data: MSG });
    h.runner.kick();
    await eventually(queueEmpty(h), 'delivered through the second MX');
    assert.equal(refused, 1, 'the preferred MX was tried first');
    assert.equal(h.sink.messages.length, 1);
    assert.equal(h.sink.messages[0]?.remoteAddress, '127.0.0.13');
  } finally {
    await new Promise((resolve) => busy.close(resolve));
    await h.close();
  }
});

test('a peer that never greets times out after queue.connectTimeoutSeconds and the entry is deferred', async () => {
  const h = await harness({}, { queue: { connectTimeoutSeconds: 1, retrySchedule: [3600] } }, () => [{ exchange: '127.0.0.14', priority: 1 }]);
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(h.sink.port, '127.0.0.14', resolve));
  try {
    const e = await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@example.net'], data: MSG });
    const started = Date.now();
    h.runner.kick();
    await eventually(async () => (await readEntry(h.vol.layout.queueDir, e.id))?.recipients[0]?.attempts === 1, 'attempt recorded', 10_000);
    assert.ok(Date.now() - started < 5_000, 'gave up within the timeout, not the 5-minute socket timeout');
    const r = (await readEntry(h.vol.layout.queueDir, e.id))?.recipients[0];
    assert.equal(r?.status, 'pending');
    assert.match(r?.lastResult ?? '', /greeting/i);
    assert.equal(r?.dsnStatus, '4.4.2');
  } finally {
    silent.close();
    await h.close();
  }
});

test('a 4xx reply is retried per queue.retrySchedule and the message is delivered later', async () => {
  let tries = 0;
  const h = await harness({ rcpt: () => (++tries === 1 ? '451 4.7.1 greylisted, come back later' : null) });
  try {
    const e = await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@example.net'], data: MSG });
    h.runner.kick();
    await eventually(async () => (await readEntry(h.vol.layout.queueDir, e.id))?.recipients[0]?.attempts === 1, 'first attempt recorded');
    const after1 = await readEntry(h.vol.layout.queueDir, e.id);
    if (after1) {
      assert.equal(after1.recipients[0]?.status, 'pending');
      assert.match(after1.recipients[0]?.lastResult ?? '', /^451 4\.7\.1 greylisted/);
      assert.ok(after1.nextAttemptAt - (after1.lastAttemptAt ?? 0) >= 1000, 'next attempt follows the 1 s schedule');
    }
    await eventually(queueEmpty(h), 'delivered on retry');
    assert.equal(tries, 2);
    assert.equal(h.sink.messages.length, 1);
  } finally {
    await h.close();
  }
});

test('a 5xx reply fails the recipient at once and the local sender gets an RFC 3464 DSN', async () => {
  const h = await harness({ rcpt: (a) => (a.startsWith('nobody@') ? '550 5.1.1 <nobody@example.net>: no such user' : null) });
  try {
    await enqueueMessage(h.vol.layout.queueDir, {
      sender: 'alice@demo.test', envid: 'ENV-7', data: MSG,
      recipients: ['bob@example.net', { address: 'nobody@example.net', orcpt: 'rfc822;Nobody@example.net' }],
    });
    h.runner.kick();
    await eventually(() => inbox(h.vol, 'alice').length === 1, 'DSN in alice\'s inbox');
    await eventually(queueEmpty(h), 'queue empty (the DSN itself was delivered locally)');
    assert.deepEqual(h.sink.messages.map((m) => m.to), [['bob@example.net']]);
    const dsn = await dsnReport(inbox(h.vol, 'alice')[0]!);
    assert.equal(dsn.from, 'MAILER-DAEMON@mail.demo.test');
    assert.equal(dsn.subject, 'Undelivered Mail Returned to Sender');
    assert.equal(dsn.groups.length, 2, 'per-message fields and one failed recipient (bob is not reported)');
    assert.equal(dsn.groups[0]?.['reporting-mta'], 'dns; mail.demo.test');
    assert.equal(dsn.groups[0]?.['original-envelope-id'], 'ENV-7');
    assert.deepEqual({ ...dsn.groups[1], 'last-attempt-date': 'x' }, {
      'final-recipient': 'rfc822; nobody@example.net', 'original-recipient': 'rfc822;Nobody@example.net',
      action: 'failed', status: '5.1.1', 'remote-mta': 'dns; 127.0.0.2',
      'diagnostic-code': 'smtp; 550 5.1.1 <nobody@example.net>: no such user', 'last-attempt-date': 'x',
    });
    assert.match(inbox(h.vol, 'alice')[0]!.toString(), /Subject: queue test/, 'the original is returned');
  } finally {
    await h.close();
  }
});

test('a message older than queue.maxAgeSeconds fails with "delivery time expired" and bounces', async () => {
  const h = await harness({ rcpt: () => '451 4.3.0 try later' }, { queue: { maxAgeSeconds: 60 } });
  try {
    await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@example.net'], data: MSG, now: Date.now() - 61_000 });
    h.runner.kick();
    await eventually(() => inbox(h.vol, 'alice').length === 1, 'expiry DSN delivered');
    const dsn = await dsnReport(inbox(h.vol, 'alice')[0]!);
    assert.equal(dsn.groups[1]?.action, 'failed');
    assert.equal(dsn.groups[1]?.status, '4.4.7');
    assert.match(dsn.groups[1]?.['diagnostic-code'] ?? '', /delivery time expired; last error: 451 4\.3\.0 try later/);
    await eventually(queueEmpty(h), 'queue empty');
  } finally {
    await h.close();
  }
});

test('STARTTLS is used when the MX offers it, even with a self-signed certificate', async () => {
  const vol0 = await makeTestVolume();
  const tls = { key: readFileSync(join(vol0.layout.tlsDir, 'key.pem')), cert: readFileSync(join(vol0.layout.tlsDir, 'cert.pem')) };
  vol0.cleanup();
  const h = await harness({ host: '127.0.0.3', tls });
  try {
    await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@example.net'], data: MSG });
    h.runner.kick();
    await eventually(queueEmpty(h), 'delivered');
    assert.equal(h.sink.messages[0]?.secure, true, 'the session was upgraded with STARTTLS');
    assert.deepEqual(h.sink.messages[0]?.data, MSG);
  } finally {
    await h.close();
  }
});

test('with relay.smarthost, remote mail goes through it with AUTH and no MX lookup', async () => {
  const sink = await startSink({ host: '127.0.0.4', auth: { user: 'relay', pass: 's3cret' } });
  const h = await harness({ host: '127.0.0.5' }, { relay: { networks: [], smarthost: { host: sink.host, port: sink.port, secure: false, requireTls: false, user: 'relay', passwordFile: 'smarthost.pass' } } });
  writeFileSync(join(h.vol.layout.cfgDir, 'smarthost.pass'), 's3cret\n');
  try {
    await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@example.net', 'x@example.com'], data: MSG });
    h.runner.kick();
    await eventually(queueEmpty(h), 'relayed');
    assert.equal(sink.messages.length, 1, 'one transaction through the smarthost for both domains');
    assert.equal(sink.messages[0]?.user, 'relay');
    assert.deepEqual(sink.messages[0]?.to, ['bob@example.net', 'x@example.com']);
    assert.deepEqual(h.mxLookups, []);
    assert.equal(h.sink.messages.length, 0, 'the MX was not contacted');
  } finally {
    await h.close();
    await sink.close();
  }
});

test('a wrong smarthost password is a temporary failure: the message waits, no bounce', async () => {
  const sink = await startSink({ host: '127.0.0.4', auth: { user: 'relay', pass: 's3cret' } });
  const h = await harness({}, { queue: { retrySchedule: [3600] }, relay: { networks: [], smarthost: { host: sink.host, port: sink.port, secure: false, requireTls: false, user: 'relay', passwordFile: 'smarthost.pass' } } });
  writeFileSync(join(h.vol.layout.cfgDir, 'smarthost.pass'), 'wrong\n');
  try {
    const e = await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@example.net'], data: MSG });
    h.runner.kick();
    await eventually(async () => (await readEntry(h.vol.layout.queueDir, e.id))?.recipients[0]?.attempts === 1, 'attempt recorded');
    const entry = await readEntry(h.vol.layout.queueDir, e.id);
    assert.equal(entry?.recipients[0]?.status, 'pending');
    assert.match(entry?.recipients[0]?.lastResult ?? '', /authentication failed: 535/);
    assert.equal(inbox(h.vol, 'alice').length, 0);
  } finally {
    await h.close();
    await sink.close();
  }
});

test('a missing smarthost password file defers the message instead of failing it', async () => {
  const h = await harness({}, { queue: { retrySchedule: [3600] }, relay: { networks: [], smarthost: { host: '127.0.0.2', port: 1, secure: false, requireTls: false, user: 'relay', passwordFile: 'missing.pass' } } });
  try {
    const e = await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@example.net'], data: MSG });
    h.runner.kick();
    await eventually(async () => (await readEntry(h.vol.layout.queueDir, e.id))?.recipients[0]?.attempts === 1, 'attempt recorded');
    const r = (await readEntry(h.vol.layout.queueDir, e.id))?.recipients[0];
    assert.equal(r?.status, 'pending');
    assert.match(r?.lastResult ?? '', /smarthost credentials unreadable: ENOENT/);
  } finally {
    await h.close();
  }
});

test('a null MX fails at once with 556 5.1.10 and bounces without contacting anyone', async () => {
  const h = await harness({}, {}, () => [{ exchange: '', priority: 0 }]);
  try {
    await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@nomail.example'], data: MSG });
    h.runner.kick();
    await eventually(() => inbox(h.vol, 'alice').length === 1, 'DSN delivered');
    const dsn = await dsnReport(inbox(h.vol, 'alice')[0]!);
    assert.equal(dsn.groups[1]?.status, '5.1.10');
    assert.equal(h.sink.rcptSeen.length, 0);
  } finally {
    await h.close();
  }
});

test('a failed bounce (null sender) is dropped, never bounced, and NOTIFY=NEVER sends nothing', async () => {
  const h = await harness({ rcpt: () => '550 5.1.1 gone' });
  try {
    await enqueueMessage(h.vol.layout.queueDir, { sender: '', recipients: ['bob@example.net'], data: MSG });
    await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: [{ address: 'carol@example.net', notify: ['NEVER'] }], data: MSG });
    h.runner.kick();
    await eventually(queueEmpty(h), 'both entries finished');
    assert.equal(h.sink.rcptSeen.length, 2);
    assert.equal(h.sink.messages.length, 0);
    assert.equal(inbox(h.vol, 'alice').length, 0);
  } finally {
    await h.close();
  }
});

test('an entry whose data file is lost is removed and the sender is told the message was lost', async () => {
  const h = await harness({});
  try {
    await h.runner.close();
    const e = await enqueueMessage(h.vol.layout.queueDir, { sender: 'alice@demo.test', recipients: ['bob@example.net'], data: MSG });
    unlinkSync(dataPath(h.vol.layout.queueDir, e.id));
    h.runner = startQueueRunner(h.ctx, { deliverLocal: maildirDelivery, resolveMx: async () => [{ exchange: h.sink.host, priority: 1 }] });
    await eventually(() => inbox(h.vol, 'alice').length === 1, 'DSN delivered');
    const dsn = await dsnReport(inbox(h.vol, 'alice')[0]!);
    assert.match(dsn.text, /original message was lost/);
    assert.match(dsn.groups[1]?.['diagnostic-code'] ?? '', /message data missing/);
    assert.equal(h.sink.rcptSeen.length, 0);
  } finally {
    await h.close();
  }
});

test('debris is swept on start: an old lone .eml and old temp files go, a young .eml stays', async () => {
  const h = await harness({}, { limits: { dataTimeoutSeconds: 1 } });
  await h.runner.close();
  const q = h.vol.layout.queueDir;
  try {
    const old = (Date.now() - 120_000) / 1000;
    for (const f of ['lost.eml', 'x.json.tmp-1-2-3', 'young.eml']) writeFileSync(join(q, f), 'x');
    utimesSync(join(q, 'lost.eml'), old, old);
    utimesSync(join(q, 'x.json.tmp-1-2-3'), old, old);
    h.runner = startQueueRunner(h.ctx, { deliverLocal: maildirDelivery, resolveMx: async () => [] });
    await eventually(() => !existsSync(join(q, 'lost.eml')) && !existsSync(join(q, 'x.json.tmp-1-2-3')), 'debris removed');
    assert.ok(existsSync(join(q, 'young.eml')), 'a data file that may still be arriving is kept');
  } finally {
    await h.close();
  }
});
