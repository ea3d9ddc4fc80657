// Test fixture for the queue tests: a fake remote MX (smtp-server) on a 127.0.0.x
// loopback address that records what it receives and answers as each test scripts it,
// plus a real Maildir local delivery, a queue context, and eventually().
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { deliverToMaildir } from '../../src/mail/storage/maildir.ts';
import { parseAddress } from '../../src/mail/core/address.ts';
import type { MailContext } from '../../src/mail/core/context.ts';
import type { DeliverLocal } from '../../src/mail/queue/deliver.ts';

export interface SinkMessage { from: string; to: string[]; data: Buffer; secure: boolean; user: string | null; remoteAddress: string; mailArgs: Record<string, unknown> }

export interface SinkOptions {
  host: string;
  /** Reply for a RCPT: null accepts, "451 4.7.1 later" style text rejects. */
  rcpt?: (address: string, session: SMTPServerSession) => string | null;
  tls?: { key: Buffer; cert: Buffer };
  auth?: { user: string; pass: string };
  /** When true for a transaction's recipients, DATA is read but never answered (a peer that hangs). */
  hold?: (to: string[]) => boolean;
}

export interface Sink {
  readonly host: string;
  readonly port: number;
  readonly messages: SinkMessage[];
  /** Every RCPT TO the sink saw, accepted or not. */
  readonly rcptSeen: string[];
  /** Recipients of transactions whose DATA was held unanswered. */
  readonly held: string[][];
  close(): Promise<void>;
}

function replyError(text: string): Error {
  const err = new Error(text.replace(/^\d{3}\s*/, '')) as Error & { responseCode: number };
  err.responseCode = Number(text.slice(0, 3));
  return err;
}

export async function startSink(opts: SinkOptions): Promise<Sink> {
  const messages: SinkMessage[] = [];
  const rcptSeen: string[] = [];
  const held: string[][] = [];
  const server = new SMTPServer({
    secure: false,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : { hideSTARTTLS: true }),
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    ...(opts.auth ? {} : { disabledCommands: ['AUTH'] }),
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return cb(null, { user: auth.username });
      return cb(replyError('535 5.7.8 bad credentials'));
    },
    onRcptTo(address, session, cb) {
      rcptSeen.push(address.address);
      const verdict = opts.rcpt?.(address.address, session) ?? null;
      cb(verdict ? replyError(verdict) : undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (opts.hold?.(session.envelope.rcptTo.map((r) => r.address))) { held.push(session.envelope.rcptTo.map((r) => r.address)); return; }
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks),
          secure: session.secure,
          user: (session.user as string | undefined) ?? null,
          remoteAddress: session.remoteAddress,
          mailArgs: session.envelope.mailFrom ? { ...(session.envelope.mailFrom.args || {}) } : {},
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    host: opts.host, port, messages, rcptSeen, held,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Local delivery into the volume's Maildirs, as the smtp service does it. */
export const maildirDelivery: DeliverLocal = async (ctx: MailContext, envelope, data) => {
  const results = [];
  for (const rcpt of envelope.recipients) {
    const a = parseAddress(rcpt);
    if (!a || !ctx.directory.getUser(rcpt)) {
      results.push({ recipient: rcpt, ok: false, code: 550, message: '5.1.1 no such user' });
      continue;
    }
    await deliverToMaildir(ctx.layout.maildir(a.domain, a.local), data);
    results.push({ recipient: rcpt, ok: true, code: 250, message: '2.0.0 delivered' });
  }
  return results;
};

/** Polls `check` until it returns true, or fails with `what` after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
