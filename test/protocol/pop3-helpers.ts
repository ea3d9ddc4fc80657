// Harness for the POP3 protocol tests: a real pop3 service on 127.0.0.1 port 0 over a
// fresh test volume, message delivery into a user's maildir, a raw line client for
// transcripts, and a runner for real clients (python3 poplib, curl).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { makeTestVolume, type TestVolume } from '../helpers/volume.ts';
import type { SettingsInput } from '../../src/mail/core/settings.ts';
import type { MailContext } from '../../src/mail/core/context.ts';
import { loadSettings, loadTls } from '../../src/mail/core/volume.ts';
import { deliverToMaildir, type MaildirMessage } from '../../src/mail/storage/maildir.ts';
import { startPop3Service, type Pop3Service, type Pop3ServiceOptions } from '../../src/mail/pop3/service.ts';

export interface Pop3Fixture {
  readonly vol: TestVolume;
  readonly ctx: MailContext;
  service: Pop3Service;
  readonly port: number;
  readonly tlsPort: number;
  /** Delivers a message (LF or CRLF text; stored with CRLF) into alice's or bob's INBOX. */
  deliver(local: string, text: string | Buffer): Promise<MaildirMessage>;
  maildir(local: string): string;
  /** Stops and starts the service on the same volume (new ports). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

let lastDelivery = 0;

/**
 * Delivery times at least 1 ms apart, so the messages a test delivers one after the
 * other are numbered in that order (a Maildir name orders by time only to the ms).
 */
function deliveryTime(): number {
  lastDelivery = Math.max(Date.now(), lastDelivery + 1);
  return lastDelivery;
}

export async function startPop3(settings: Partial<SettingsInput> = {}, options: Pop3ServiceOptions = {}): Promise<Pop3Fixture> {
  const vol = await makeTestVolume(settings);
  const loaded = await loadSettings(vol.layout);
  const ctx: MailContext = {
    layout: vol.layout, settings: loaded, directory: vol.directory,
    tls: await loadTls(vol.layout, loaded), log: pino({ level: process.env.TANDEM_TEST_LOG ?? 'silent' }),
  };
  const fixture: Pop3Fixture = {
    vol, ctx,
    service: await startPop3Service(ctx, options),
    get port() { return this.service.ports.pop3!; },
    get tlsPort() { return this.service.ports.pop3s!; },
    maildir: (local) => vol.layout.maildir('demo.test', local),
    deliver: (local, text) => deliverToMaildir(vol.layout.maildir('demo.test', local), typeof text === 'string' ? Buffer.from(crlf(text)) : text, { now: deliveryTime() }),
    async restart() {
      await this.service.close();
      this.service = await startPop3Service(ctx, options);
    },
    async stop() {
      await this.service.close();
      vol.cleanup();
    },
  };
  return fixture;
}

/** A line-oriented client for exact transcripts. */
export class RawClient {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => { this.buffer += d; this.wake(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  static async open(port: number, opts: { tls?: boolean } = {}): Promise<RawClient> {
    const socket = opts.tls
      ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : netConnect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Next CRLF line (without CRLF); null if the server closed first. Fails after `ms`. */
  async line(ms = 5000): Promise<string | null> {
    const deadline = Date.now() + ms;
    while (true) {
      const i = this.buffer.indexOf('\r\n');
      if (i >= 0) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 2);
        return line;
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line from server within ${ms} ms (buffer: ${JSON.stringify(this.buffer.slice(0, 200))})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Lines of a multi-line body up to (not including) the "." terminator, still stuffed. */
  async body(): Promise<string[]> {
    const out: string[] = [];
    while (true) {
      const l = await this.line();
      if (l === null) throw new Error('connection closed inside a multi-line response');
      if (l === '.') return out;
      out.push(l);
    }
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Sends one command and returns the status line. */
  async cmd(line: string): Promise<string> {
    this.send(`${line}\r\n`);
    const l = await this.line();
    if (l === null) throw new Error(`connection closed after ${JSON.stringify(line)}`);
    return l;
  }

  async login(user = 'alice@demo.test', pass = 'wonderland'): Promise<string> {
    await this.cmd(`USER ${user}`);
    return this.cmd(`PASS ${pass}`);
  }

  /** Resolves when the server has closed the connection. */
  async closedByServer(ms = 5000): Promise<void> {
    while (!this.closed) {
      if ((await this.line(ms)) === null) return;
    }
  }

  /** QUIT and wait for the server to close: the maildrop lock is free afterwards. */
  async quit(): Promise<string> {
    const reply = await this.cmd('QUIT');
    await this.closedByServer();
    return reply;
  }

  end(): void {
    this.socket.destroy();
  }
}

/** Runs a program; resolves with its exit code and output. */
export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

/** Runs a python3 snippet that prints one JSON document; argv[1..] are `args`. */
export async function python(script: string, args: Array<string | number>): Promise<unknown> {
  const r = await run('python3', ['-c', script, ...args.map(String)]);
  if (r.code !== 0) throw new Error(`python3 exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}
