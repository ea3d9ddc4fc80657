// One client connection: bounded line input, writes that respect socket backpressure,
// the idle timer (RFC 1939 section 3 autologout) and the STLS upgrade (RFC 2595).
// It knows nothing of POP3 commands; the session pulls events from it one at a time.
import { waitForHandshake } from '../../../lib/tls-handshake.ts';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { LineReader, type LineEvent } from '../proto/line-reader.ts';

export type ConnectionEvent = LineEvent | { readonly kind: 'timeout' | 'closed' | 'shutdown' };

/** Lines queued beyond this pause reading, so pipelining cannot grow memory. */
const MAX_QUEUED = 64;

export interface ConnectionOptions {
  readonly secure: boolean;
  readonly maxLineBytes: number;
  readonly idleTimeoutMs: number;
}

export class Pop3Connection {
  private socket: Socket;
  private readonly reader: LineReader;
  private queue: ConnectionEvent[] = [];
  private waiter: ((ev: ConnectionEvent) => void) | null = null;
  private closed = false;
  private shutdownRequested = false;
  /** A write is waiting for the client to read (socket buffer full). */
  private draining = false;
  private _secure: boolean;
  readonly remoteAddress: string;

  constructor(socket: Socket, private readonly opts: ConnectionOptions) {
    this.socket = socket;
    this._secure = opts.secure;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.reader = new LineReader(opts.maxLineBytes);
    this.attach(socket);
  }

  get secure(): boolean {
    return this._secure;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private readonly onData = (chunk: Buffer): void => {
    for (const ev of this.reader.push(chunk)) this.deliver(ev);
    if (this.queue.length >= MAX_QUEUED) this.socket.pause();
  };

  private readonly onEnd = (): void => this.markClosed();

  private readonly onTimeout = (): void => {
    // Idle while we wait for a command: tell the session. Stuck writing because the
    // client stopped reading: nobody is listening for a reply, just drop it. Busy on
    // our side (a password check, the disk): not the client's idleness; the timer
    // starts again with the reply.
    if (this.waiter) this.deliver({ kind: 'timeout' });
    else if (this.draining) this.socket.destroy();
  };

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onEnd);
    socket.on('timeout', this.onTimeout);
    socket.setTimeout(this.opts.idleTimeoutMs);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onEnd);
    socket.off('timeout', this.onTimeout);
    socket.setTimeout(0);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.deliver({ kind: 'closed' });
    this.socket.emit('pop3-closed');
  }

  private deliver(ev: ConnectionEvent): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w(ev);
    } else {
      this.queue.push(ev);
    }
  }

  /**
   * The next client event. Shutdown wins over queued pipelined commands; commands that
   * arrived before the client closed are still handled (a pipelined "QUIT" then FIN).
   */
  nextEvent(): Promise<ConnectionEvent> {
    if (this.shutdownRequested) return Promise.resolve({ kind: 'shutdown' });
    const ev = this.queue.shift();
    if (this.queue.length < MAX_QUEUED / 2 && this.socket.isPaused() && !this.closed) this.socket.resume();
    if (ev) return Promise.resolve(ev);
    if (this.closed) return Promise.resolve({ kind: 'closed' });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** The next queued line, if one has arrived (for read-ahead); not consumed. */
  peekLine(): string | null {
    const ev = this.queue[0];
    return ev?.kind === 'line' ? ev.line : null;
  }

  /** Asks the session to stop at its next command boundary (service shutdown). */
  requestShutdown(): void {
    this.shutdownRequested = true;
    if (this.waiter) this.deliver({ kind: 'shutdown' });
  }

  /** Writes and, when the socket's buffer is full, waits for it to drain (or close). */
  write(data: Buffer | string): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.resolve();
    if (this.socket.write(data)) return Promise.resolve();
    if (this.socket.writableCorked) this.socket.uncork();
    this.draining = true;
    return new Promise((resolve) => {
      const done = (): void => {
        this.draining = false;
        this.socket.off('drain', done);
        this.socket.off('pop3-closed', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('pop3-closed', done);
    });
  }

  /** Groups small writes of one response into few packets. */
  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    while (this.socket.writableCorked) this.socket.uncork();
  }

  /**
   * Stops reading cleartext before the "+OK" of STLS is sent: nothing the client sent
   * before the handshake may be used afterwards (RFC 2595 section 4, the STARTTLS
   * command-injection attack), so buffered and queued input is dropped.
   */
  prepareTls(): void {
    this.socket.off('data', this.onData);
    this.socket.pause();
    this.reader.reset();
    this.queue = [];
  }

  /** Performs the server side of the TLS handshake on the existing connection. */
  async startTls(context: SecureContext, timeoutMs: number): Promise<boolean> {
    const raw = this.socket;
    this.detach(raw);
    const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
    this.socket = secure;
    const ok = await waitForHandshake(secure, timeoutMs);
    this.attach(secure);
    if (!ok) {
      secure.destroy();
      raw.destroy();
      this.markClosed();
      return false;
    }
    this._secure = true;
    return true;
  }

  /** Ends the connection gently (flushing what was written), then forcibly after a grace time. */
  async close(graceMs = 2000): Promise<void> {
    const socket = this.socket;
    this.uncork();
    if (socket.destroyed) {
      this.markClosed();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { socket.destroy(); resolve(); }, graceMs);
      socket.once('close', () => { clearTimeout(timer); resolve(); });
      socket.end();
    });
    this.markClosed();
  }

  destroy(): void {
    this.socket.destroy();
    this.markClosed();
  }
}
