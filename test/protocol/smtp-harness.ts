// Shared by the smtp-*.test.ts files: a real SMTP service in-process on 127.0.0.1
// port 0 over a fresh test volume, a raw line client for exact reply assertions, and
// helpers to read what landed in a Maildir or in the queue.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { makeTestVolume, type TestVolume } from '../helpers/volume.ts';
import { loadSettings, loadTls } from '../../src/mail/core/volume.ts';
import type { SettingsInput } from '../../src/mail/core/settings.ts';
import type { MailContext } from '../../src/mail/core/context.ts';
import { logger } from '../../src/lib/log.ts';
import { startSmtpService, type SmtpService, type SmtpServiceOptions } from '../../src/mail/smtp/service.ts';

process.env.TANDEM_LOG_LEVEL ??= 'silent';

export interface Harness {
  readonly vol: TestVolume;
  readonly ctx: MailContext;
  readonly svc: SmtpService;
  readonly queued: { count: number };
  /** Messages in a user's INBOX (new/), oldest first, as text. */
  inbox(address: string): Promise<string[]>;
  /** Committed queue entries (the .json of each). */
  queue(): Promise<Array<{ sender: string; recipients: Array<{ address: string; notify?: string[]; orcpt?: string }>; ret?: string; envid?: string; id: string }>>;
  close(): Promise<void>;
}

export async function startHarness(settings: Partial<SettingsInput> = {}, opts: SmtpServiceOptions = {}): Promise<Harness> {
  const vol = await makeTestVolume(settings);
  const s = await loadSettings(vol.layout);
  const ctx: MailContext = { layout: vol.layout, settings: s, directory: vol.directory, tls: await loadTls(vol.layout, s), log: logger('smtp-test') };
  const queued = { count: 0 };
  const svc = await startSmtpService(ctx, { closeTimeoutMs: 3000, onRemoteQueued: () => { queued.count++; }, ...opts });
  return {
    vol, ctx, svc, queued,
    async inbox(address) {
      const [local, domain] = address.split('@') as [string, string];
      const dir = join(vol.layout.maildir(domain, local), 'new');
      const names = (await readdir(dir).catch(() => [] as string[])).sort();
      return Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')));
    },
    async queue() {
      const names = (await readdir(vol.layout.queueDir)).filter((n) => n.endsWith('.json')).sort();
      return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(vol.layout.queueDir, n), 'utf8'))));
    },
    async close() {
      await svc.close();
      vol.cleanup();
    },
  };
}

/** A raw SMTP client: send a line, get the complete (multi-line) reply back. */
export class RawClient {
  private buf = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(public socket: Socket) {
    this.attach(socket);
  }

  private attach(socket: Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => { this.buf += d; this.wake(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => { this.closed = true; this.wake(); });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  static async open(port: number, opts: { tls?: boolean } = {}): Promise<RawClient> {
    const socket = opts.tls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Next complete reply ("250-a\r\n250 b" joined), or "" when the server closed. */
  async reply(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m[0].length);
        return m[0].trimEnd();
      }
      if (this.closed) return '';
      if (Date.now() > deadline) throw new Error(`no reply within ${timeoutMs} ms; buffer: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Sends one command line and returns its reply. */
  async cmd(line: string, timeoutMs?: number): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply(timeoutMs);
  }

  /** STARTTLS on the current connection; the next reply is read over TLS. */
  async startTls(): Promise<string> {
    const r = await this.cmd('STARTTLS');
    if (!r.startsWith('220')) return r;
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const secure = tlsConnect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => { secure.once('secureConnect', () => resolve()); secure.once('error', reject); });
    this.socket = secure;
    this.attach(secure);
    return r;
  }

  /** Greeting + EHLO. */
  async hello(name = 'client.test'): Promise<string> {
    const greeting = await this.reply();
    if (!greeting.startsWith('220')) return greeting;
    return this.cmd(`EHLO ${name}`);
  }

  /** DATA, body (dot-stuffed here), final dot; returns the final reply. */
  async data(body: string): Promise<string> {
    const r = await this.cmd('DATA');
    if (!r.startsWith('354')) return r;
    const stuffed = body.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`);
    return this.reply(10_000);
  }

  async authPlain(user: string, password: string): Promise<string> {
    return this.cmd(`AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`);
  }

  end(): void {
    this.socket.destroy();
  }
}

/** One whole transaction on a new connection; returns every reply in order. */
export async function transaction(port: number, t: { from: string; to: string[]; body?: string; auth?: [string, string]; ehlo?: string }): Promise<string[]> {
  const c = await RawClient.open(port);
  const out: string[] = [];
  try {
    out.push(await c.hello(t.ehlo));
    if (t.auth) out.push(await c.authPlain(...t.auth));
    const mail = await c.cmd(`MAIL FROM:<${t.from}>`);
    out.push(mail);
    if (!mail.startsWith('250')) return out;
    let anyOk = false;
    for (const r of t.to) {
      const res = await c.cmd(`RCPT TO:<${r}>`);
      out.push(res);
      anyOk ||= res.startsWith('250');
    }
    if (anyOk) out.push(await c.data(t.body ?? `From: <${t.from}>\r\nTo: <${t.to[0]}>\r\nSubject: test\r\n\r\nhello\r\n`));
    await c.cmd('QUIT');
    return out;
  } finally {
    c.end();
  }
}

/** Runs a command line tool; resolves with its exit code and output (never rejects). */
export function runTool(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The status line of a reply: "550 5.1.1" for "550 5.1.1 <x>: no such user here". */
export function status(reply: string): string {
  const last = reply.split(/\r?\n/).pop() ?? '';
  return last.split(' ').slice(0, 2).join(' ');
}
