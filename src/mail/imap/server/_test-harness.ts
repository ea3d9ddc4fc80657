// Test-only: the imap service in this process over a fresh test volume, and a raw client
// that sends command lines and collects the responses up to the tagged one (literals in
// responses are read by their announced size, so message bodies cannot end a response).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { makeTestVolume, type TestVolume } from '../../../../test/helpers/volume.ts';
import type { SettingsInput } from '../../core/settings.ts';
import type { MailContext } from '../../core/context.ts';
import { loadSettings, loadTls } from '../../core/volume.ts';
import { deliverToMaildir, folderDir, type MaildirMessage } from '../../storage/maildir.ts';
import { mailboxToMaildir } from '../proto/mailbox-name.ts';
import { startImapService, type ImapService } from '../service.ts';

const PORTS = {
  address: '127.0.0.1',
  smtp: { port: null }, submission: { port: null }, submissions: { port: null },
  pop3: { port: null }, pop3s: { port: null }, imap: { port: 0 }, imaps: { port: 0 },
  http: { port: null }, https: { port: null }, ldap: { port: null }, ldaps: { port: null }, password: { port: null },
};

export interface ImapTestServer {
  readonly vol: TestVolume;
  readonly ctx: MailContext;
  service: ImapService;
  readonly port: number;
  readonly tlsPort: number;
  maildir(local: string, mailbox?: string): string;
  /** Writes a message into a mailbox the way another process (SMTP) would. */
  deliver(local: string, text: string, opts?: { mailbox?: string; flags?: string }): Promise<MaildirMessage>;
  /** A logged-in client (alice unless told otherwise). */
  login(user?: string, password?: string): Promise<RawImap>;
  /** Stops the service and starts a new one on the same volume (new ports). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

let lastDelivery = 0;

export async function startTestImap(settings: Partial<SettingsInput> = {}): Promise<ImapTestServer> {
  const vol = await makeTestVolume({ listen: PORTS, ...settings });
  const loaded = await loadSettings(vol.layout);
  const ctx: MailContext = {
    layout: vol.layout, settings: loaded, directory: vol.directory,
    tls: await loadTls(vol.layout, loaded), log: pino({ level: process.env.TANDEM_TEST_LOG ?? 'silent' }),
  };
  const server: ImapTestServer = {
    vol, ctx,
    service: await startImapService(ctx),
    get port() { return this.service.ports.imap!; },
    get tlsPort() { return this.service.ports.imaps!; },
    maildir(local, mailbox = 'INBOX') {
      return folderDir(vol.layout.maildir('demo.test', local), mailboxToMaildir(mailbox)!);
    },
    async deliver(local, text, o = {}) {
      lastDelivery = Math.max(Date.now(), lastDelivery + 1);
      const dir = this.maildir(local, o.mailbox);
      const msg = await deliverToMaildir(dir, Buffer.from(crlf(text)), { now: lastDelivery, flags: o.flags });
      if (o.mailbox && o.mailbox !== 'INBOX') writeFileSync(join(dir, 'maildirfolder'), '', { flag: 'a' });
      return msg;
    },
    async login(user = 'alice@demo.test', password = 'wonderland') {
      const c = await RawImap.connect(this.port);
      const r = await c.cmd(`LOGIN ${user} ${password}`);
      if (!r.ok) throw new Error(`login failed: ${r.tagged}`);
      return c;
    },
    async restart() {
      await this.service.close();
      this.service = await startImapService(ctx);
    },
    async stop() {
      await this.service.close();
      vol.cleanup();
    },
  };
  return server;
}

export interface Reply {
  /** Untagged and continuation lines (literal contents inlined), in order. */
  readonly untagged: string[];
  readonly tagged: string;
  readonly ok: boolean;
  /** Everything received for this command. */
  readonly raw: string;
}

export class RawImap {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private tagNo = 0;
  closed = false;
  greeting = '';

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.wake(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, opts: { tls?: boolean } = {}): Promise<RawImap> {
    const socket = opts.tls
      ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : netConnect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const c = new RawImap(socket);
    c.greeting = await c.line();
    return c;
  }

  /** A client over an already connected socket (after a STARTTLS upgrade); no greeting is read. */
  static wrap(socket: Socket): RawImap {
    return new RawImap(socket);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async more(timeoutMs: number): Promise<void> {
    if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for the server; have: ${JSON.stringify(this.buf.toString('latin1').slice(0, 500))}`)), timeoutMs);
      this.waiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  /** One response line with any literals it announces inlined (`{n}\r\n` + data). */
  async line(timeoutMs = 15_000): Promise<string> {
    let out = '';
    for (;;) {
      const lf = this.buf.indexOf(10);
      if (lf < 0) { await this.more(timeoutMs); continue; }
      const text = this.buf.subarray(0, lf + 1).toString('latin1');
      const m = /~?\{(\d+)\}\r\n$/.exec(text);
      if (m) {
        const need = lf + 1 + Number(m[1]);
        while (this.buf.length < need) await this.more(timeoutMs);
        out += this.buf.subarray(0, need).toString('latin1');
        this.buf = this.buf.subarray(need);
        continue;
      }
      out += text;
      this.buf = this.buf.subarray(lf + 1);
      return out.replace(/\r\n$/, '');
    }
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  nextTag(): string {
    return `a${++this.tagNo}`;
  }

  /** Reads responses until the tagged one of `tag`. */
  async until(tag: string, timeoutMs = 15_000): Promise<Reply> {
    const untagged: string[] = [];
    let raw = '';
    for (;;) {
      const l = await this.line(timeoutMs);
      raw += `${l}\r\n`;
      if (l.startsWith(`${tag} `)) return { untagged, tagged: l, ok: l.startsWith(`${tag} OK`), raw };
      untagged.push(l);
    }
  }

  /** Sends `tag text` and returns its responses. */
  async cmd(text: string | Buffer, timeoutMs?: number): Promise<Reply> {
    const tag = this.nextTag();
    this.send(Buffer.concat([Buffer.from(`${tag} `), Buffer.isBuffer(text) ? text : Buffer.from(text), Buffer.from('\r\n')]));
    return this.until(tag, timeoutMs);
  }

  /** Whether the server closed the connection (after a BYE). */
  async waitClosed(timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.more(deadline - Date.now()).catch(() => undefined);
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
