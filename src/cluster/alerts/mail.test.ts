// The mail sink against a real SMTP server (smtp-server) on loopback: the recipients get a
// message with the event in subject and body; a server that refuses counts as failed; a
// dead smarthost never blocks send().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { mailSink, parseSmarthost } from './mail.ts';
import { event } from './_events.ts';

interface Got { from: string; to: string[]; raw: Buffer }

async function withSmtp(opts: { refuse?: boolean }, body: (smarthost: string, got: Got[]) => Promise<void>): Promise<void> {
  const got: Got[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, cb) {
      if (opts.refuse) {
        const err = new Error('mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 550;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        got.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body(`127.0.0.1:${(server.server.address() as AddressInfo).port}`, got);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('mail: recipients get the event through the smarthost, below-level events are not sent', async () => {
  await withSmtp({}, async (smarthost, got) => {
    const sink = mailSink({ to: ['ops@example.com', 'oncall@example.com'], smarthost, from: 'tandem@sv1.example.com', minimumLevel: 'warning' });
    const e = event('error', 'group.failover');
    await sink.send(event('info'));
    await sink.send(e);
    await sink.close();
    assert.equal(got.length, 1);
    assert.equal(got[0]!.from, 'tandem@sv1.example.com');
    assert.deepEqual(got[0]!.to, ['ops@example.com', 'oncall@example.com']);
    const parsed = await simpleParser(got[0]!.raw);
    assert.equal(parsed.subject, `[tandem mail-cluster] ERROR group.failover mail on sv1: ${e.message}`);
    assert.match(parsed.text ?? '', /group mail fails over to sv2/);
    assert.match(parsed.text ?? '', /"epoch": 7/);
    assert.equal(parsed.headers.get('x-tandem-event'), 'group.failover');
    assert.equal(parsed.headers.get('auto-submitted'), 'auto-generated');
    assert.deepEqual(sink.stats(), { sent: 1, dropped: 0, failed: 0, queued: 0 });
  });
});

test('mail: a refusing server counts as failed, and the next event still goes out', async () => {
  await withSmtp({ refuse: true }, async (smarthost, got) => {
    const sink = mailSink({ to: ['ops@example.com'], smarthost, minimumLevel: 'info' });
    await sink.send(event('error'));
    await sink.send(event('error'));
    await sink.close();
    assert.equal(got.length, 0);
    assert.deepEqual(sink.stats(), { sent: 0, dropped: 0, failed: 2, queued: 0 });
  });
});

test('mail: a dead smarthost never blocks send(); the queue is bounded', async () => {
  // A port the OS just handed out and we closed again: connections are refused.
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const sink = mailSink({ to: ['ops@example.com'], smarthost: `127.0.0.1:${port}`, minimumLevel: 'info', capacity: 3, timeoutMs: 1_000 });
  for (let i = 0; i < 50; i++) await sink.send(event('error'));
  const s = sink.stats();
  assert.equal(s.sent, 0);
  assert.ok(s.queued <= 3);
  await sink.close();
  const after = sink.stats();
  assert.equal(after.sent + after.failed + after.dropped, 50);
  assert.equal(after.sent, 0);
});

test('smarthost: host, host:port and [v6]:port; a bad port is refused', () => {
  assert.deepEqual(parseSmarthost('mail.example.com'), { host: 'mail.example.com', port: 25 });
  assert.deepEqual(parseSmarthost('mail.example.com:587'), { host: 'mail.example.com', port: 587 });
  assert.deepEqual(parseSmarthost('[2001:db8::1]:2525'), { host: '2001:db8::1', port: 2525 });
  assert.throws(() => parseSmarthost('mail.example.com:99999'), /1-65535/);
});

test('mail: a smarthost off the machine that offers no STARTTLS is refused (TLS is required)', async () => {
  await withSmtp({}, async (smarthost, got) => {
    // The same server, reached through an address the sink does not count as loopback (the
    // IPv4-mapped IPv6 form of 127.0.0.1), stands in for a remote smarthost without TLS.
    const port = Number(smarthost.split(':')[1]);
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => lines.push(c.toString()));
    const sink = mailSink({ to: ['ops@example.com'], smarthost: `[::ffff:127.0.0.1]:${port}`, minimumLevel: 'info', logger: pino({ level: 'warn' }, stream) });
    await sink.send(event('error'));
    await sink.close();
    await new Promise((r) => setImmediate(r));
    assert.equal(got.length, 0, 'sent without TLS');
    assert.equal(sink.stats().failed, 1);
    assert.match(lines.join(''), /STARTTLS/, 'refused for the missing STARTTLS, not for something else');
  });
});
