// A raw IMAP client for exact transcripts: it sends bytes as given and reads whole
// responses (a line plus the literals it announces), so tests can assert on the wire.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface Tagged {
  /** Untagged and continuation responses received before the tagged one, literals inlined. */
  readonly untagged: string[];
  /** The tagged response line, e.g. "A3 OK [READ-WRITE] SELECT completed". */
  readonly tagged: string;
  readonly status: 'OK' | 'NO' | 'BAD' | 'CLOSED';
}

export class ImapRaw {
  // Received data: chunks joined only when a line or a literal is taken, so reading a big
  // literal costs one copy, not one per chunk.
  private chunks: Buffer[] = [];
  private length = 0;
  private waiters: Array<() => void> = [];
  private seq = 0;
  closed = false;
  greeting = '';

  private constructor(private socket: Socket) {
    this.attach(socket);
  }

  private attach(socket: Socket): void {
    socket.on('data', (d: Buffer) => { this.chunks.push(d); this.length += d.length; this.wake(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Connects, reads the greeting, and returns the client. */
  static async open(port: number, opts: { tls?: boolean } = {}): Promise<ImapRaw> {
    const socket = opts.tls
      ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : netConnect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const c = new ImapRaw(socket);
    c.greeting = (await c.response()) ?? '';
    return c;
  }

  /** All received data as one buffer (joined once). */
  private get buffer(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return this.chunks[0]!;
  }

  private set buffer(b: Buffer) {
    this.chunks = [b];
    this.length = b.length;
  }

  private async waitData(deadline: number, what: string): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no ${what} from the server in time (buffer: ${JSON.stringify(this.buffer.toString('latin1').slice(0, 300))})`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, left);
      this.waiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  /** The next CRLF line (latin1, without CRLF); null once the server closed. */
  async line(ms = 10_000): Promise<string | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.buffer.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buffer.toString('latin1', 0, i);
        this.buffer = this.buffer.subarray(i + 2);
        return l;
      }
      if (this.closed) return null;
      await this.waitData(deadline, 'line');
    }
  }

  /** Exactly n octets. */
  async bytes(n: number, ms = 10_000): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (this.length < n) {
      if (this.closed) throw new Error(`connection closed inside a ${n}-octet literal`);
      await this.waitData(deadline, `${n}-octet literal`);
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** One whole response: a line and every literal it announces, inlined ({n}CRLF kept). */
  async response(ms = 10_000): Promise<string | null> {
    let text = await this.line(ms);
    if (text === null) return null;
    for (let m = /\{(\d+)\}$/.exec(text); m; m = /\{(\d+)\}$/.exec(text)) {
      const lit = await this.bytes(Number(m[1]), ms);
      const rest = await this.line(ms);
      if (rest === null) throw new Error('connection closed after a literal');
      text += `\r\n${lit.toString('latin1')}${rest}`;
    }
    return text;
  }

  nextTag(): string {
    return `A${++this.seq}`;
  }

  /** Stops reading from the socket (the server's writes back up), and starts again. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  send(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Reads responses until the tagged one for `tag` (or the server closes). */
  async until(tag: string, ms = 15_000): Promise<Tagged> {
    const untagged: string[] = [];
    for (;;) {
      const r = await this.response(ms);
      if (r === null) return { untagged, tagged: '', status: 'CLOSED' };
      if (r.startsWith(`${tag} `)) {
        const status = r.slice(tag.length + 1).split(' ')[0]!.toUpperCase();
        return { untagged, tagged: r, status: status === 'OK' || status === 'NO' ? status : 'BAD' };
      }
      untagged.push(r);
    }
  }

  /** Sends `TAG command` CRLF and waits for its tagged response. */
  async cmd(command: string, ms?: number): Promise<Tagged> {
    const tag = this.nextTag();
    this.send(`${tag} ${command}\r\n`);
    return this.until(tag, ms);
  }

  /** Like cmd() but fails the test unless the server answers OK. */
  async ok(command: string, ms?: number): Promise<Tagged> {
    const r = await this.cmd(command, ms);
    if (r.status !== 'OK') throw new Error(`${command} -> ${r.tagged || 'connection closed'}\n${r.untagged.join('\n')}`);
    return r;
  }

  /** Reads responses until one matches (unmatched ones are returned too). */
  async expect(re: RegExp, ms = 10_000): Promise<{ match: string; before: string[] }> {
    const before: string[] = [];
    for (;;) {
      const r = await this.response(ms);
      if (r === null) throw new Error(`connection closed while waiting for ${re}; got:\n${before.join('\n')}`);
      if (re.test(r)) return { match: r, before };
      before.push(r);
    }
  }

  async login(user = 'alice@demo.test', pass = 'wonderland'): Promise<Tagged> {
    return this.ok(`LOGIN ${user} ${pass}`);
  }

  /** STARTTLS and the TLS handshake over the same socket. */
  async startTls(): Promise<Tagged> {
    const r = await this.cmd('STARTTLS');
    if (r.status !== 'OK') return r;
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure: TLSSocket = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
    return r;
  }

  /** Resolves once the server has closed the connection (discarding what it sent). */
  async closedByServer(ms = 10_000): Promise<void> {
    while ((await this.line(ms)) !== null) { /* drain */ }
  }

  async logout(): Promise<void> {
    if (!this.closed) {
      await this.cmd('LOGOUT').catch(() => undefined);
      this.end();
    }
  }

  end(): void {
    this.socket.destroy();
  }
}

/** Parses "* n FETCH (...)" responses into seq -> text of the attribute list. */
export function fetchLines(untagged: readonly string[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const r of untagged) {
    const m = /^\* (\d+) FETCH \(([\s\S]*)\)$/.exec(r);
    if (m) out.set(Number(m[1]), m[2]!);
  }
  return out;
}

/** The value of a response code like [UIDVALIDITY 123] or [APPENDUID 1 5] in any of the lines. */
export function responseCode(lines: readonly string[], code: string): string | null {
  for (const l of lines) {
    const m = new RegExp(`\\[${code}(?: ([^\\]]*))?\\]`, 'i').exec(l);
    if (m) return m[1] ?? '';
  }
  return null;
}
