// One client connection: the CommandReader over the socket, streamed literals into temp
// files with back-pressure, writes that wait for a slow reader, the autologout timer and
// the STARTTLS upgrade. It knows nothing of IMAP commands; the session pulls events.
import { waitForHandshake } from '../../../lib/tls-handshake.ts';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { constants as zlib, createDeflateRaw, createInflateRaw, type DeflateRaw } from 'node:zlib';
import { CommandReader, type ReaderEvent, type ReaderLimits } from '../proto/reader.ts';
import type { LiteralSinks } from './literal-sink.ts';

type Framed = Exclude<ReaderEvent, { kind: 'literal-start' | 'literal-chunk' | 'literal-end' }>;

/** A reader event plus the highest literal stream opened when it arrived (for cleanup). */
export type ConnectionEvent =
  | (Framed & { readonly streamsUpTo: number })
  | { readonly kind: 'timeout' | 'closed' | 'shutdown' | 'wake' };

/**
 * Events queued beyond this pause reading, so pipelining cannot grow memory: each queued
 * command holds at most imap.maxCommandBytes, so a connection holds at most this many.
 */
const MAX_QUEUED = 16;

export class ImapConnection {
  private socket: Socket;
  private readonly reader: CommandReader;
  private queue: ConnectionEvent[] = [];
  private waiter: ((ev: ConnectionEvent) => void) | null = null;
  private closed = false;
  private shutdownRequested = false;
  /**
   * A command is on its way in (a literal announced or streaming): a shutdown lets it
   * arrive and run before BYE, so an APPEND in transfer completes (docs/switchover.md).
   */
  private midCommand = false;
  /** Set by a shutdown that came while midCommand: the next command still runs. */
  private finishingCommand = false;
  private woken = false;
  private wakeable = false;
  private _secure: boolean;
  /** COMPRESS=DEFLATE (RFC 4978): our output goes through this stream once active. */
  private deflate: DeflateRaw | null = null;
  private corkedForTurn = false;
  /** Whether streamed literals are stored (only once logged in). */
  storeLiterals = false;
  readonly remoteAddress: string;

  constructor(socket: Socket, secure: boolean, limits: ReaderLimits, private readonly sinks: LiteralSinks) {
    this.socket = socket;
    this._secure = secure;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.reader = new CommandReader(limits);
    this.attach(socket);
  }

  get secure(): boolean { return this._secure; }
  get isClosed(): boolean { return this.closed; }

  private readonly onData = (chunk: Buffer): void => {
    for (const ev of this.reader.push(chunk)) {
      switch (ev.kind) {
        case 'literal-start':
          this.midCommand = true;
          this.sinks.open(ev.stream, ev.size, this.storeLiterals);
          break;
        case 'literal-chunk': this.sinks.write(ev.stream, ev.data); break;
        case 'literal-end': break;
        default:
          if (ev.kind === 'continue') this.midCommand = true;
          else if (ev.kind === 'command' || ev.kind === 'error') this.midCommand = false;
          this.deliver({ ...ev, streamsUpTo: this.sinks.lastStream });
      }
    }
    this.throttle();
  };

  /** Stops reading while the session is behind or literal writes are pending. */
  private throttle(): void {
    if (this.closed) return;
    const behind = this.queue.length >= MAX_QUEUED || this.sinks.busy;
    if (behind && !this.socket.isPaused()) {
      this.socket.pause();
      if (this.sinks.busy) void this.sinks.whenWritable().then(() => this.throttle());
    } else if (!behind && this.socket.isPaused()) this.socket.resume();
  }

  private readonly onEnd = (): void => this.markClosed();

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onEnd);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onEnd);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.deliver({ kind: 'closed' });
    this.socket.emit('imap-closed');
  }

  private deliver(ev: ConnectionEvent): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w(ev);
    } else this.queue.push(ev);
  }

  /**
   * The next event, or 'timeout' after `timeoutMs` of silence. With `wakeable`, a mailbox
   * change (wake()) ends the wait too (IDLE). Shutdown wins over queued commands.
   */
  nextEvent(timeoutMs: number, wakeable = false): Promise<ConnectionEvent> {
    if (this.shutdownRequested && !this.finishingCommand) return Promise.resolve({ kind: 'shutdown' });
    if (wakeable && this.woken) {
      this.woken = false;
      return Promise.resolve({ kind: 'wake' });
    }
    const ev = this.queue.shift();
    this.throttle();
    if (ev) return Promise.resolve(this.taken(ev));
    if (this.closed) return Promise.resolve({ kind: 'closed' });
    this.wakeable = wakeable;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.waiter === done) this.waiter = null;
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      const done = (e: ConnectionEvent): void => {
        clearTimeout(timer);
        this.wakeable = false;
        resolve(this.taken(e));
      };
      this.waiter = done;
    });
  }

  /** A change in the selected mailbox: ends a wakeable wait, or is remembered for the next. */
  wake(): void {
    if (this.waiter && this.wakeable) this.deliver({ kind: 'wake' });
    else this.woken = true;
  }

  /** Clears a remembered wake (the changes were just sent). */
  clearWake(): void {
    this.woken = false;
  }

  /** The session takes `ev`: the command a shutdown was waiting for is now the session's. */
  private taken(ev: ConnectionEvent): ConnectionEvent {
    if (this.finishingCommand && (ev.kind === 'command' || ev.kind === 'error' || ev.kind === 'closed')) this.finishingCommand = false;
    return ev;
  }

  /**
   * Ends the session at its next command boundary with BYE. A command on its way in (a
   * literal announced or streaming) is received and run first; an idle session (IDLE too)
   * hears at once.
   */
  requestShutdown(): void {
    if (this.shutdownRequested) return;
    this.shutdownRequested = true;
    this.finishingCommand = this.midCommand;
    if (this.waiter && !this.finishingCommand) this.deliver({ kind: 'shutdown' });
  }

  setRawLineMode(on: boolean): void { this.reader.setRawLineMode(on); }
  rejectLiteral(): void {
    this.reader.rejectLiteral();
    // The refused command is over: a shutdown waiting for it goes ahead.
    this.midCommand = false;
    this.finishingCommand = false;
  }

  get compressed(): boolean { return this.deflate !== null; }

  /**
   * Starts COMPRESS=DEFLATE (RFC 4978) in both directions, right after the tagged OK was
   * written uncompressed. Each write is flushed (Z_SYNC_FLUSH) so responses are not held
   * back; the pipe to the socket carries the back-pressure.
   */
  startDeflate(): void {
    // The tagged OK goes out uncompressed, before any compressed byte.
    this.uncork();
    const inflate = createInflateRaw();
    const deflate = createDeflateRaw({ level: 6, memLevel: 8 });
    this.socket.off('data', this.onData);
    this.socket.on('data', (c: Buffer) => inflate.write(c));
    inflate.on('data', this.onData);
    // A corrupt stream from the client: nothing more it sends can be understood.
    inflate.on('error', () => this.destroy());
    deflate.on('error', () => this.destroy());
    deflate.pipe(this.socket);
    this.deflate = deflate;
  }

  /** Writes and, when the socket's buffer is full, waits for it to drain (or close). */
  write(data: Buffer): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.resolve();
    const d = this.deflate;
    if (d) {
      return new Promise((resolve) => {
        d.write(data);
        d.flush(zlib.Z_SYNC_FLUSH, () => {
          if (!this.socket.writableNeedDrain || this.closed) return resolve();
          const done = (): void => { this.socket.off('drain', done); this.socket.off('imap-closed', done); resolve(); };
          this.socket.on('drain', done);
          this.socket.on('imap-closed', done);
        });
      });
    }
    // Responses written in one turn of the event loop (a FETCH of many small messages)
    // leave in few packets: cork now, uncork once the turn is over.
    if (!this.corkedForTurn) {
      this.corkedForTurn = true;
      const socket = this.socket;
      socket.cork();
      setImmediate(() => {
        this.corkedForTurn = false;
        while (socket.writableCorked) socket.uncork();
      });
    }
    if (this.socket.write(data)) return Promise.resolve();
    this.uncork();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('imap-closed', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('imap-closed', done);
    });
  }

  cork(): void { this.socket.cork(); }
  uncork(): void { while (this.socket.writableCorked) this.socket.uncork(); }

  /**
   * Stops reading cleartext before the OK of STARTTLS: nothing the client sent before the
   * handshake may be used afterwards (RFC 9051 section 6.2.1, command injection), so
   * buffered and queued input is dropped.
   */
  prepareTls(): void {
    this.socket.off('data', this.onData);
    this.socket.pause();
    this.reader.reset();
    this.queue = this.queue.filter((e) => e.kind === 'closed');
  }

  /** The server side of the TLS handshake on the existing connection. */
  async startTls(context: SecureContext, timeoutMs: number): Promise<boolean> {
    const raw = this.socket;
    // The tagged OK must be on the wire before the handshake starts.
    this.uncork();
    this.detach(raw);
    const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
    this.socket = secure;
    const ok = await waitForHandshake(secure, timeoutMs);
    secure.on('error', () => undefined);
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
    if (socket.destroyed) return this.markClosed();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { socket.destroy(); resolve(); }, graceMs);
      socket.once('close', () => { clearTimeout(timer); resolve(); });
      // With COMPRESS the deflate stream ends first and its pipe then ends the socket.
      if (this.deflate) this.deflate.end();
      else socket.end();
    });
    this.markClosed();
  }

  destroy(): void {
    this.socket.destroy();
    this.markClosed();
  }
}
