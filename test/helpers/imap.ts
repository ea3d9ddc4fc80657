// Harness for the IMAP server tests: a fresh volume with IMAP listeners on port 0, the
// real `tandem mail serve imap` process (and `smtp` when a test delivers through it),
// message fixtures written straight into Maildirs, and runners for real clients.
// The raw client lives in imap-raw.ts.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestVolume, type TestVolume } from './volume.ts';
import { startServiceProcess, type ServiceProcess } from './process.ts';
import type { SettingsInput } from '../../src/mail/core/settings.ts';
import { deliverToMaildir, folderDir, type MaildirMessage } from '../../src/mail/storage/maildir.ts';
import { mailboxToMaildir } from '../../src/mail/imap/proto/mailbox-name.ts';

export const IMAP_FIXTURES = join(import.meta.dirname, '../fixtures/imap');

/** Listeners of an IMAP test volume: imap and imaps on port 0, smtp on port 0 for delivery tests. */
export const IMAP_PORTS = {
  address: '127.0.0.1',
  smtp: { port: 0 }, submission: { port: null }, submissions: { port: null },
  pop3: { port: null }, pop3s: { port: null }, imap: { port: 0 }, imaps: { port: 0 },
  http: { port: null }, https: { port: null }, ldap: { port: null }, ldaps: { port: null }, password: { port: null },
};

export interface ImapFixture {
  readonly vol: TestVolume;
  /** The running imap process (replaced by restart()). */
  imap: ServiceProcess;
  /** Port of the cleartext listener (STARTTLS) and of the implicit-TLS listener. */
  readonly port: number;
  readonly tlsPort: number;
  /** The volume's TLS certificate (PEM), for clients that verify it. */
  readonly certFile: string;
  /** Absolute Maildir directory of a user's mailbox ("INBOX", "Archive/2024", ...). */
  maildir(local: string, mailbox?: string): string;
  /** Writes a message (LF or CRLF text; stored with CRLF) straight into a mailbox, like a delivery. */
  deliver(local: string, text: string | Buffer, opts?: { mailbox?: string; flags?: string }): Promise<MaildirMessage>;
  /** Starts the smtp service on the same volume (once); returns its MX port. */
  smtpPort(): Promise<number>;
  /** SIGKILLs (or stops) the imap process and starts a new one on the same volume (new ports). */
  restart(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** A fixture message from test/fixtures/imap/, with CRLF line ends. */
export function fixtureMessage(name: string): Buffer {
  return Buffer.from(crlf(readFileSync(join(IMAP_FIXTURES, name), 'latin1')), 'latin1');
}

let lastDelivery = 0;
/** Delivery times at least 1 ms apart, so messages get UIDs in the order a test wrote them. */
function deliveryTime(): number {
  lastDelivery = Math.max(Date.now(), lastDelivery + 1);
  return lastDelivery;
}

function portOf(hostPort: string | undefined, what: string, all: string[]): number {
  if (!hostPort) throw new Error(`the imap ready line has no ${what} listener: ${JSON.stringify(all)}`);
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}

/**
 * Starts the imap service as a real process over a fresh test volume. The ready line lists
 * the cleartext listener first and the TLS one second (the order of the settings, like pop3).
 * Besides alice/wonderland and bob/builder, `opts.users` adds [local, password] users.
 */
export async function startImap(settings: Partial<SettingsInput> = {}, opts: { env?: NodeJS.ProcessEnv; users?: ReadonlyArray<readonly [string, string]> } = {}): Promise<ImapFixture> {
  const vol = await makeTestVolume({ listen: IMAP_PORTS, ...settings });
  for (const [local, password] of opts.users ?? []) await vol.directory.addUser({ address: `${local}@demo.test`, password });
  const env = { TANDEM_LOG_LEVEL: process.env.TANDEM_TEST_LOG ?? 'warn', ...opts.env };
  let smtp: ServiceProcess | null = null;
  const fixture: ImapFixture = {
    vol,
    imap: await startServiceProcess('imap', vol.root, { env }),
    get port() { return portOf(this.imap.ready.listening[0], 'imap', this.imap.ready.listening); },
    get tlsPort() { return portOf(this.imap.ready.listening[1], 'imaps', this.imap.ready.listening); },
    certFile: vol.layout.cfgPath('tls/cert.pem'),
    maildir(local, mailbox = 'INBOX') {
      const dir = mailboxToMaildir(mailbox);
      if (dir === null) throw new Error(`not a valid mailbox name: ${mailbox}`);
      return folderDir(vol.layout.maildir('demo.test', local), dir);
    },
    async deliver(local, text, o = {}) {
      const data = typeof text === 'string' ? Buffer.from(crlf(text)) : text;
      const dir = this.maildir(local, o.mailbox);
      const msg = await deliverToMaildir(dir, data, { now: deliveryTime(), flags: o.flags });
      // Maildir++ marks a folder with this file; delivering into a new folder creates it.
      if (dir !== this.maildir(local)) writeFileSync(join(dir, 'maildirfolder'), '', { flag: 'a' });
      return msg;
    },
    async smtpPort() {
      smtp ??= await startServiceProcess('smtp', vol.root, { env });
      return smtp.port(0);
    },
    async restart(signal: NodeJS.Signals = 'SIGTERM') {
      await this.imap.kill(signal);
      this.imap = await startServiceProcess('imap', vol.root, { env });
    },
    async stop() {
      await Promise.all([this.imap.kill('SIGTERM'), smtp?.kill('SIGTERM')]);
      vol.cleanup();
    },
  };
  return fixture;
}

export interface RunResult { code: number | null; stdout: string; stderr: string }

/** Runs a program to completion (killed after `timeoutMs`); never rejects. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => { clearTimeout(t); resolve({ code: -1, stdout, stderr: `${stderr}${e.message}` }); });
    child.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

/**
 * Runs one imaplib scenario script (test/fixtures/imap/py/NAME.py) and returns the JSON it
 * prints. Every script takes the same first arguments: mode (plain|starttls|ssl), port,
 * user, password; the rest are its own. TLS is verified against `certFile`.
 */
export async function imaplib<T = Record<string, unknown>>(scenario: string, certFile: string, args: Array<string | number>): Promise<T> {
  const r = await run('python3', [join(IMAP_FIXTURES, 'py', `${scenario}.py`), ...args.map(String)], { timeoutMs: 60_000, env: { TANDEM_TEST_CERT: certFile, PYTHONDONTWRITEBYTECODE: '1' } });
  if (r.code !== 0) throw new Error(`imaplib scenario ${scenario} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`imaplib scenario ${scenario} printed no JSON:\n${r.stdout}\n${r.stderr}`);
  }
}

/** Polls `fn` until it returns a truthy value or the deadline passes (then throws with `what`). */
export async function eventually<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
