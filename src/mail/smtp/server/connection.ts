// smtp-server, adapted at the two points where its server-wide options are too coarse:
//  1. Enhanced status codes. The library picks one per reply code (every 550 becomes
//     5.1.1); our replies carry their own ("550 5.2.1 ..." is a disabled mailbox), so a
//     reply text that starts with an enhanced code sets it.
//  2. AUTH without TLS. The library allows it for every client or none; we allow it
//     only from loopback when auth.allowPlaintextOnLoopback is set. Other clients do
//     not see AUTH in EHLO before STARTTLS (like Postfix's smtpd_tls_auth_only), and
//     an AUTH they send anyway is refused (538 5.7.11) before any credential is read.
// Tests assert on exact reply lines, so a library change here shows up at once.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { REPLIES, formatReply } from '../proto/reply.ts';

const ENHANCED_PREFIX = /^([245]\.\d{1,3}\.\d{1,3}) ([\s\S]*)$/;
const ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3}$/;

class TandemConnection extends SMTPConnection {
  declare _server: TandemSmtpServer;

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (Array.isArray(data) && code === 250 && !this.plaintextAuthOk()) {
      data = data.filter((line) => !line.startsWith('AUTH '));
    }
    const m = typeof data === 'string' ? ENHANCED_PREFIX.exec(data) : null;
    if (m) return super.send(code, m[2], m[1]);
    return super.send(code, data, context);
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

  /** The connection serving `sessionId`, to end it from outside (data timeout). */
  connectionFor(sessionId: string): SMTPConnection | undefined {
    for (const c of this.connections) if (c.session.id === sessionId) return c;
    return undefined;
  }
}
