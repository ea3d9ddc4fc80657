// smtp-server, adapted at the two points where its server-wide options are too coarse:
//  1. Enhanced status codes. The library picks one per reply code (every 550 becomes
//     5.1.1); our replies carry their own ("550 5.2.1 ..." is a disabled mailbox), so a
//     reply text that starts with an enhanced code sets it.
//  2. AUTH without TLS. The library allows it for every client or none; we allow it
//     only from loopback when auth.allowPlaintextOnLoopback is set. Other clients do
//     not see AUTH in EHLO before STARTTLS (like Postfix's smtpd_tls_auth_only), and
//     an AUTH they send anyway is refused (538 5.7.11) before any credential is read.
//  3. The drain of a stopping service (docs/switchover.md): the library's close() answers
//     every command with 421 at once, which would cut a transaction between MAIL and
//     DATA. Instead each session gets 421 once it is between transactions: idle ones at
//     once, the others right after the reply that ends their transaction (250 to DATA).
// Tests assert on exact reply lines, so a library change here shows up at once.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { REPLIES, formatReply, type Reply } from '../proto/reply.ts';

/**
 * The library's private connection state the drain reads (smtp-server 3.21; the names are
 * pinned by the package version and by test/integration/drain-smtp.test.ts).
 */
interface ConnectionInternals {
  readonly _ready?: boolean;
  readonly _upgrading?: boolean;
  readonly _handlerPending?: boolean;
  readonly _dataStream?: unknown;
}

const ENHANCED_PREFIX = /^([245]\.\d{1,3}\.\d{1,3}) ([\s\S]*)$/;
const ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3}$/;

class TandemConnection extends SMTPConnection {
  declare _server: TandemSmtpServer;

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (Array.isArray(data) && code === 250 && !this.plaintextAuthOk()) {
      data = data.filter((line) => !line.startsWith('AUTH '));
    }
    const m = typeof data === 'string' ? ENHANCED_PREFIX.exec(data) : null;
    if (m) super.send(code, m[2], m[1]);
    else super.send(code, data, context);
    // A reply may end a transaction (250 to DATA, RSET): once the library has updated the
    // session after it, a draining server looks at this session again.
    if (this._server.isDraining) setImmediate(() => this._server.drainIfIdle(this));
  }

  override _getEnhancedStatusCode(code: number, context?: string | false): string {
    if (typeof context === 'string' && ENHANCED_CODE.test(context)) return this._useEnhancedStatusCodes() ? context : '';
    return super._getEnhancedStatusCode(code, context);
  }

  /** AUTH may proceed on this connection as far as TLS is concerned. */
  private plaintextAuthOk(): boolean {
    return this.secure || this._server.plaintextAuthAllowed(this.remoteAddress);
  }

  override handler_AUTH(command: Buffer, callback: () => void): void {
    if (!this.plaintextAuthOk()) {
      const r = REPLIES.encryptionRequired();
      this.send(r.code, formatReply(r).slice(4));
      return callback();
    }
    super.handler_AUTH(command, callback);
  }
}

/** An SMTPServer whose connections are TandemConnections. */
export class TandemSmtpServer extends SMTPServer {
  constructor(options: SMTPServerOptions, readonly plaintextAuthAllowed: (remoteAddress: string) => boolean) {
    super(options);
  }

  override connect(socket: Socket | TLSSocket, socketOptions?: ConstructorParameters<typeof SMTPConnection>[2]): void {
    const connection = new TandemConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (err: Error) => this.emit('error', err));
    connection.on('connect', (info: unknown) => this.emit('connect', info));
    connection.init();
  }

  private drainReply: Reply | null = null;

  get isDraining(): boolean {
    return this.drainReply !== null;
  }

  /**
   * Starts the drain: from now on every session gets `reply` (a 421, which closes it) as
   * soon as it is between transactions. New connections are refused by the onConnect hook.
   */
  startDrain(reply: Reply): void {
    this.drainReply = reply;
    for (const c of this.connections) this.drainIfIdle(c);
  }

  /**
   * Sends the drain reply to `c` unless it is in a transaction (MAIL given, DATA being
   * received or delivered), running a command, in a TLS handshake, or not greeted yet
   * (the onConnect hook refuses those).
   */
  drainIfIdle(c: SMTPConnection): void {
    const r = this.drainReply;
    if (!r || !this.connections.has(c)) return;
    const i = c as unknown as ConnectionInternals;
    if (!i._ready || i._upgrading || i._handlerPending || i._dataStream || c.session.envelope?.mailFrom) return;
    c.send(r.code, formatReply(r).slice(4));
  }

  /** Sessions past their greeting (the ones the drain waits for; the others are refused). */
  get greetedSessions(): number {
    let n = 0;
    for (const c of this.connections) if ((c as unknown as ConnectionInternals)._ready) n++;
    return n;
  }

  /** Ends every session still open with `reply` (the drain ran out of time). */
  cutAll(reply: Reply): void {
    for (const c of this.connections) c.send(reply.code, formatReply(reply).slice(4));
  }

  /** The connection serving `sessionId`, to end it from outside (data timeout). */
  connectionFor(sessionId: string): SMTPConnection | undefined {
    for (const c of this.connections) if (c.session.id === sessionId) return c;
    return undefined;
  }
}
