// A lean IMAP client for the benchmark: one command at a time per connection, responses
// parsed in a single pass over the incoming chunks (literals are counted, and kept only
// when asked), so the client costs little next to the server it measures.
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

export interface Reply {
  readonly tagged: string;
  /** Untagged responses; a literal's content appears only when the command collected it. */
  readonly untagged: string[];
  /** Octets received for this command, literals included. */
  readonly bytes: number;
}

const CRLF = Buffer.from('\r\n');

export class BenchConn {
  private lineParts: Buffer[] = [];
  private literalLeft = 0;
  private literalParts: Buffer[] | null = null;
  private text = '';
  private seq = 0;
  private current: { tag: string; untagged: string[]; bytes: number; collect: boolean; resolve: (r: Reply) => void; reject: (e: Error) => void } | null = null;
  private continuation: (() => void) | null = null;
  private idling = false;
  /** The last response, for error messages (a BYE says why the server closed). */
  private last = '';
  /** Called for every untagged response that arrives outside a command (IDLE, unsolicited). */
  onUntagged: ((line: string) => void) | null = null;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.push(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.current?.reject(new Error(`connection closed by the server (last response: ${this.last.slice(0, 120)})`));
      this.current = null;
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number, host = '127.0.0.1'): Promise<BenchConn> {
    const socket = connect({ port, host, noDelay: true });
    await once(socket, 'connect');
    const c = new BenchConn(socket);
    await new Promise<void>((resolve) => { c.onUntagged = () => { c.onUntagged = null; resolve(); }; });
    return c;
  }

  private push(chunk: Buffer): void {
    if (this.current) this.current.bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, chunk.length - pos);
        if (this.literalParts) this.literalParts.push(chunk.subarray(pos, pos + take));
        this.literalLeft -= take;
        pos += take;
        if (this.literalLeft === 0 && this.literalParts) {
          this.text += Buffer.concat(this.literalParts).toString('latin1');
          this.literalParts = null;
        }
        continue;
      }
      const eol = chunk.indexOf(CRLF, pos);
      if (eol < 0) {
        this.lineParts.push(chunk.subarray(pos));
        break;
      }
      this.lineParts.push(chunk.subarray(pos, eol));
      pos = eol + 2;
      const line = this.lineParts.length === 1 ? this.lineParts[0]!.toString('latin1') : Buffer.concat(this.lineParts).toString('latin1');
      this.lineParts = [];
      this.text += line;
      const lit = /\{(\d+)\}$/.exec(line);
      if (lit) {
        this.literalLeft = Number(lit[1]);
        this.text += '\r\n';
        this.literalParts = this.current?.collect ? [] : null;
        continue;
      }
      const response = this.text;
      this.text = '';
      this.dispatch(response);
    }
  }

  private dispatch(response: string): void {
    this.last = response;
    const cur = this.current;
    if (response.startsWith('+')) {
      const k = this.continuation;
      this.continuation = null;
      k?.();
      return;
    }
    if (cur && response.startsWith(`${cur.tag} `)) {
      this.current = null;
      this.idling = false;
      cur.resolve({ tagged: response, untagged: cur.untagged, bytes: cur.bytes });
      return;
    }
    if (cur && !this.idling) cur.untagged.push(response);
    else this.onUntagged?.(response);
  }

  /** Sends a command and resolves with its reply; NO/BAD reject unless `allowFail`. */
  cmd(command: string, opts: { collect?: boolean; allowFail?: boolean } = {}): Promise<Reply> {
    const tag = `b${++this.seq}`;
    return new Promise<Reply>((resolve, reject) => {
      this.current = {
        tag, untagged: [], bytes: 0, collect: opts.collect ?? true,
        resolve: (r) => (opts.allowFail || / OK/.test(r.tagged.slice(tag.length, tag.length + 4)) ? resolve(r) : reject(new Error(`${command.slice(0, 60)} -> ${r.tagged}`))),
        reject,
      };
      this.socket.write(`${tag} ${command}\r\n`);
    });
  }

  /** IDLE until DONE: resolves once the server's "+" arrived; untagged responses go to onUntagged. */
  async idle(): Promise<() => Promise<Reply>> {
    const tag = `b${++this.seq}`;
    const done = new Promise<Reply>((resolve, reject) => {
      this.current = { tag, untagged: [], bytes: 0, collect: true, resolve, reject };
    });
    // Nobody may be waiting for the end of an IDLE when the connection drops.
    done.catch(() => undefined);
    const started = new Promise<void>((resolve) => { this.continuation = resolve; });
    this.socket.write(`${tag} IDLE\r\n`);
    await started;
    // While idling, untagged responses go to the listener rather than the command.
    this.idling = true;
    return () => {
      this.socket.write('DONE\r\n');
      return done;
    };
  }

  async login(user: string, password: string): Promise<void> {
    await this.cmd(`LOGIN ${user} ${password}`);
  }

  close(): void {
    this.socket.destroy();
  }
}
