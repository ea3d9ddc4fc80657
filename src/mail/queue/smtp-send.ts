// One outbound SMTP transaction to one host with nodemailer's SMTPConnection: connect,
// STARTTLS when offered, AUTH when configured, MAIL/RCPT/DATA, QUIT. Returns an outcome
// per recipient; it decides nothing about retries (schedule.ts does).
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { AttemptOutcome } from './schedule.ts';

export interface SmtpTarget {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS from the first byte (smarthost on 465). */
  readonly secure: boolean;
  /** Fail instead of sending in clear when STARTTLS is not available. */
  readonly requireTls: boolean;
  /** Verify the server's certificate (smarthosts); MX peers are not verified, as MTAs do. */
  readonly verifyCert: boolean;
  readonly auth?: { user: string; pass: string };
}

export interface SmtpClientOptions {
  /** Our name in EHLO (settings.hostname). */
  readonly name: string;
  /** Source address to bind (the VIP in a cluster), or null for the default route. */
  readonly localAddress: string | null;
  readonly connectTimeoutMs: number;
  /** Inactivity limit for each reply (RFC 5321 4.5.3.2 asks for minutes). */
  readonly socketTimeoutMs: number;
  /** Hard limit for the whole transaction, whatever the peer does. */
  readonly totalTimeoutMs: number;
}

export interface HostResult {
  /** "host" as given, for Remote-MTA and `queue show`. */
  readonly mta: string;
  /** True when the session was encrypted (implicit TLS or STARTTLS). */
  readonly tls: boolean;
  /** Set when no recipient got an answer from this host: try the next MX. */
  readonly hostFailed: boolean;
  readonly outcomes: Map<string, AttemptOutcome>;
}

type SmtpError = Error & { code?: string; command?: string; responseCode?: number; response?: string; recipient?: string; rejectedErrors?: SmtpError[] };

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'EGREETING']);
/** nodemailer's `command` for failures before the mail transaction started. */
const SESSION_COMMANDS = new Set(['CONN', 'EHLO', 'HELO', 'STARTTLS']);

/** Maps a nodemailer error to an outcome: a reply when the server spoke, else network/timeout. */
export function outcomeFromError(err: SmtpError): AttemptOutcome {
  // A rejected login is our configuration's fault, not the message's: retry (Postfix's
  // smtp_sasl_auth_soft_bounce) so mail waits while the operator fixes the password.
  if (err.code === 'EAUTH') return { kind: 'network', error: `authentication failed: ${err.response ?? err.message}` };
  // The peer's EHLO SIZE is below the message: it will never take it (RFC 1870).
  if (err.code === 'EMESSAGE' && !err.responseCode && /larger than allowed/.test(err.message)) {
    return { kind: 'reply', code: 552, text: `5.3.4 ${err.message}` };
  }
  if (err.responseCode && err.response) {
    const text = err.response.replace(/^\d{3}[ -]?/, '');
    return { kind: 'reply', code: err.responseCode, text };
  }
  if (err.code && TIMEOUT_CODES.has(err.code)) return { kind: 'timeout', error: err.message };
  return { kind: 'network', error: err.message };
}

/** 8-bit content is declared with BODY=8BITMIME where the peer supports it (RFC 6152). */
function has8Bit(data: Buffer): boolean {
  return data.some((b) => b > 0x7f);
}

interface SendInfo { accepted: string[]; rejectedErrors?: SmtpError[]; response: string }

function transact(target: SmtpTarget, opts: SmtpClientOptions, ignoreTls: boolean, from: string, to: string[], data: Buffer): Promise<{ info: SendInfo; tls: boolean }> {
  return new Promise((resolve, reject) => {
    const conn = new SMTPConnection({
      host: target.host,
      port: target.port,
      secure: target.secure,
      requireTLS: target.requireTls && !target.secure,
      ignoreTLS: ignoreTls && !target.requireTls,
      name: opts.name,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      connectionTimeout: opts.connectTimeoutMs,
      greetingTimeout: opts.connectTimeoutMs,
      socketTimeout: opts.socketTimeoutMs,
      dnsTimeout: opts.connectTimeoutMs,
      // Opportunistic TLS to MX hosts: an unverifiable certificate is still better than clear text.
      tls: { rejectUnauthorized: target.verifyCert },
      logger: false,
    });
    let settled = false;
    const finish = (err: SmtpError | null, info?: SendInfo) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      const tls = conn.secure;
      if (err || !info) {
        conn.close();
        reject(err ?? new Error('no result'));
      } else {
        conn.quit();
        resolve({ info, tls });
      }
    };
    const deadline = setTimeout(() => finish(Object.assign(new Error(`transaction with ${target.host} exceeded ${opts.totalTimeoutMs} ms`), { code: 'ETIMEDOUT' })), opts.totalTimeoutMs);
    conn.on('error', (err: SmtpError) => finish(err));
    conn.once('end', () => finish(Object.assign(new Error(`connection to ${target.host} closed unexpectedly`), { code: 'ECONNECTION' })));
    conn.connect(() => {
      const send = () => conn.send({ from, to, size: data.length, use8BitMime: has8Bit(data) }, data, (err, info) => finish(err as SmtpError | null, info as SendInfo | undefined));
      if (!target.auth) return send();
      conn.login({ user: target.auth.user, pass: target.auth.pass }, (err) => (err ? finish(err as SmtpError) : send()));
    });
  });
}

/**
 * Sends `data` from `from` ("" = null sender) to `to` through one host. A TLS handshake
 * failure after STARTTLS is retried once in clear unless TLS is required (what Postfix
 * does for opportunistic TLS), since a broken TLS stack must not block mail for days;
 * never with credentials, which are not sent in clear after TLS failed.
 */
export async function sendViaHost(target: SmtpTarget, opts: SmtpClientOptions, from: string, to: string[], data: Buffer): Promise<HostResult> {
  const outcomes = new Map<string, AttemptOutcome>();
  let ignoreTls = false;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const { info, tls } = await transact(target, opts, ignoreTls, from, to, data);
      for (const rcpt of info.accepted) outcomes.set(rcpt, { kind: 'accepted', reply: info.response });
      for (const err of info.rejectedErrors ?? []) if (err.recipient) outcomes.set(err.recipient, outcomeFromError(err));
      return { mta: target.host, tls, hostFailed: false, outcomes };
    } catch (e) {
      const err = e as SmtpError;
      if (err.code === 'ETLS' && !ignoreTls && !target.requireTls && !target.secure && !target.auth && attempt === 0) {
        ignoreTls = true;
        continue;
      }
      // RCPT-level rejections carry one error per recipient; anything else applies to all.
      const perRecipient = new Map((err.rejectedErrors ?? []).filter((r) => r.recipient).map((r) => [r.recipient!, outcomeFromError(r)]));
      const common = outcomeFromError(err);
      for (const rcpt of to) outcomes.set(rcpt, perRecipient.get(rcpt) ?? common);
      // Only a failure before the peer answered for the recipients makes the next MX worth
      // trying: no connection, a refused session (even "554 no service", RFC 5321 3.1), or a
      // 4xx to MAIL FROM. A reply to RCPT or DATA is the domain's answer.
      const atSession = SESSION_COMMANDS.has(err.command ?? 'CONN');
      const hostFailed = perRecipient.size === 0 && (common.kind !== 'reply' || atSession || (common.code < 500 && err.command === 'MAIL FROM'));
      return { mta: target.host, tls: false, hostFailed, outcomes };
    }
  }
  throw new Error('unreachable');
}
