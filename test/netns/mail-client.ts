// The lab's mail client, run INSIDE the client namespace by mail-lab.ts
// (`ip netns exec NS node --import tsx mail-client.ts JSON`). One JSON request on argv,
// JSON lines on stdout:
//   send      SMTP to the VIP in a loop, one message per connection, each with its own
//             Message-ID; prints {"ev":"ack",...} for every 250 after DATA (the only
//             answer that promises the message) and {"ev":"fail",...} otherwise. Stops at
//             `count` messages, after `durationMs`, or when stdin closes (the lab's stop,
//             or the test process dying), then prints {"ev":"done",...}.
//   imap      logs in with STARTTLS, prints the Message-IDs in INBOX.
//   pop3      logs in after STLS, prints the Message-IDs of the maildrop (TOP n 0).
//   both      imap, then pop3.
// Raw SMTP and POP3 on purpose: every reply code is seen, nothing is retried behind our back.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';

export interface SendRequest {
  readonly mode: 'send';
  readonly host: string;
  readonly port: number;
  readonly from: string;
  readonly to: string;
  /** Prefix of every Message-ID, unique per run. */
  readonly runId: string;
  readonly count: number;
  readonly durationMs: number;
  /** Pause between two messages (after an answer or a failure). */
  readonly pauseMs: number;
  /** Time allowed for one whole message (connect to QUIT). */
  readonly messageTimeoutMs: number;
}

export interface ReadRequest {
  /** `both`: IMAP then POP3 in one process (one start-up instead of two). */
  readonly mode: 'imap' | 'pop3' | 'both';
  /** The POP3 port, for `both` (`port` is then IMAP's). */
  readonly pop3Port?: number;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** PEM file of the volume's certificate (self-signed): the only CA trusted. */
  readonly caFile: string;
  /** The name the certificate carries (the volume's hostname). */
  readonly servername: string;
}

export type ClientRequest = SendRequest | ReadRequest;

export type ClientEvent =
  | { ev: 'ack'; seq: number; id: string; t: number; reply: string }
  | { ev: 'fail'; seq: number; id: string; t: number; stage: string; reply: string }
  | { ev: 'done'; attempted: number; acked: number }
  | { ev: 'mailbox'; ids: string[]; via: 'imap' | 'pop3' }
  | { ev: 'error'; message: string };

const emit = (e: ClientEvent): void => { process.stdout.write(`${JSON.stringify(e)}\n`); };

/** Reads CRLF lines from a socket; `line()` waits for the next one (bounded by the caller's timer). */
class LineReader {
  private buf = '';
  private readonly lines: string[] = [];
  private waiter: ((l: string | null) => void) | null = null;
  private closed = false;

  constructor(private socket: Socket | TLSSocket) { this.attach(socket); }

  attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    this.buf = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i).replace(/\r$/, ''));
        this.buf = this.buf.slice(i + 1);
      }
      if (this.buf.length > 65_536) socket.destroy(new Error('line too long'));
      this.flush();
    });
    const end = (): void => { this.closed = true; this.flush(); };
    socket.on('close', end);
    socket.on('error', end);
  }

  /** Stops reading from the current socket (before a TLS upgrade takes it over). */
  detach(): void { this.socket.removeAllListeners('data'); this.socket.removeAllListeners('close'); this.socket.removeAllListeners('error'); }

  private flush(): void {
    if (!this.waiter) return;
    if (this.lines.length > 0) { const w = this.waiter; this.waiter = null; w(this.lines.shift()!); } else if (this.closed) { const w = this.waiter; this.waiter = null; w(null); }
  }

  line(): Promise<string | null> {
    return new Promise((resolve) => { this.waiter = resolve; this.flush(); });
  }

  write(text: string): void { this.socket.write(text); }
}

/** One SMTP reply (all its lines), e.g. "250 2.0.0 queued"; throws on close. */
async function smtpReply(r: LineReader): Promise<string> {
  const all: string[] = [];
  for (;;) {
    const l = await r.line();
    if (l === null) throw new Error(`connection closed${all.length ? ` after ${all.join(' / ')}` : ''}`);
    all.push(l);
    if (!/^\d{3}-/.test(l)) return all.join(' / ');
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => { onTimeout(); reject(new Error(`${what}: no answer within ${ms} ms`)); }, ms); }),
  ]);
}

function openSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => { s.removeListener('error', reject); resolve(s); });
    s.once('error', reject);
  });
}

/** Sends one message; resolves with the final reply or the stage that failed. */
async function sendOne(req: SendRequest, seq: number, id: string): Promise<{ ok: true; reply: string } | { ok: false; stage: string; reply: string }> {
  let stage = 'connect';
  let socket: Socket | null = null;
  const body = [
    `From: <${req.from}>`, `To: <${req.to}>`, `Subject: lab message ${seq}`, `Message-ID: <${id}>`,
    `Date: ${new Date().toUTCString()}`, '', `Message ${seq} of run ${req.runId}.`, '',
  ].join('\r\n');
  const run = async (): Promise<string> => {
    socket = await openSocket(req.host, req.port);
    const r = new LineReader(socket);
    const step = async (name: string, command: string | null, want: RegExp): Promise<string> => {
      stage = name;
      if (command !== null) r.write(command);
      const reply = await smtpReply(r);
      if (!want.test(reply)) throw Object.assign(new Error(reply), { reply });
      return reply;
    };
    await step('greeting', null, /^220/);
    await step('EHLO', 'EHLO client.lab.test\r\n', /^250/);
    await step('MAIL', `MAIL FROM:<${req.from}>\r\n`, /^250/);
    await step('RCPT', `RCPT TO:<${req.to}>\r\n`, /^250/);
    await step('DATA', 'DATA\r\n', /^354/);
    const done = await step('end of data', `${body}.\r\n`, /^250/);
    stage = 'QUIT';
    r.write('QUIT\r\n');
    return done;
  };
  try {
    const reply = await withTimeout(run(), req.messageTimeoutMs, stage, () => (socket as Socket | null)?.destroy());
    return { ok: true, reply };
  } catch (err) {
    return { ok: false, stage, reply: (err as { reply?: string }).reply ?? (err as Error).message };
  } finally {
    (socket as Socket | null)?.end();
    setTimeout(() => (socket as Socket | null)?.destroy(), 1000).unref();
  }
}

async function sendLoop(req: SendRequest): Promise<void> {
  let stopping = false;
  process.stdin.on('end', () => { stopping = true; }).on('close', () => { stopping = true; }).resume();
  process.on('SIGTERM', () => { stopping = true; });
  const until = Date.now() + req.durationMs;
  let attempted = 0;
  let acked = 0;
  for (let seq = 1; seq <= req.count && !stopping && Date.now() < until; seq++) {
    const id = `${req.runId}.${seq}@client.lab.test`;
    attempted++;
    const r = await sendOne(req, seq, id);
    if (r.ok) { acked++; emit({ ev: 'ack', seq, id, t: Date.now(), reply: r.reply }); } else emit({ ev: 'fail', seq, id, t: Date.now(), stage: r.stage, reply: r.reply });
    await sleep(req.pauseMs);
  }
  emit({ ev: 'done', attempted, acked });
}

async function readImap(req: ReadRequest): Promise<string[]> {
  const client = new ImapFlow({
    host: req.host, port: req.port, secure: false, doSTARTTLS: true,
    tls: { ca: readFileSync(req.caFile), servername: req.servername },
    auth: { user: req.user, pass: req.password }, logger: false,
    connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000,
  });
  await client.connect();
  try {
    const box = await client.mailboxOpen('INBOX', { readOnly: true });
    const ids: string[] = [];
    if (box.exists > 0) {
      for await (const m of client.fetch('1:*', { envelope: true })) ids.push((m.envelope?.messageId ?? '').replace(/^<|>$/g, ''));
    }
    return ids;
  } finally {
    await client.logout().catch(() => undefined);
  }
}

async function readPop3(req: ReadRequest): Promise<string[]> {
  const plain = await openSocket(req.host, req.port);
  const r = new LineReader(plain);
  const timer = setTimeout(() => plain.destroy(new Error('POP3 session took over 60 s')), 60_000);
  const ok = async (command: string | null): Promise<string> => {
    if (command !== null) r.write(command);
    const l = await r.line();
    if (l === null) throw new Error(`POP3 connection closed (after ${command?.split(' ')[0] ?? 'greeting'})`);
    if (!l.startsWith('+OK')) throw new Error(`POP3 ${command?.split(' ')[0] ?? 'greeting'}: ${l}`);
    return l;
  };
  const multi = async (): Promise<string[]> => {
    const out: string[] = [];
    for (;;) {
      const l = await r.line();
      if (l === null) throw new Error('POP3 connection closed inside a multi-line answer');
      if (l === '.') return out;
      out.push(l.startsWith('..') ? l.slice(1) : l);
    }
  };
  try {
    await ok(null);
    await ok('STLS\r\n');
    r.detach();
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const t = tlsConnect({ socket: plain, ca: readFileSync(req.caFile), servername: req.servername }, () => resolve(t));
      t.once('error', reject);
    });
    r.attach(secure);
    await ok(`USER ${req.user}\r\n`);
    await ok(`PASS ${req.password}\r\n`);
    const stat = await ok('STAT\r\n');
    const n = Number(stat.split(' ')[1]);
    const ids: string[] = [];
    for (let i = 1; i <= n; i++) {
      await ok(`TOP ${i} 0\r\n`);
      const header = await multi();
      const m = header.join('\n').match(/^Message-ID:\s*<([^>]*)>/im);
      ids.push(m?.[1] ?? '');
    }
    await ok('QUIT\r\n').catch(() => undefined);
    return ids;
  } finally {
    clearTimeout(timer);
    plain.destroy();
  }
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? '{}') as ClientRequest;
  if (req.mode === 'send') return sendLoop(req);
  if (req.mode !== 'pop3') emit({ ev: 'mailbox', ids: await readImap(req), via: 'imap' });
  if (req.mode === 'pop3') emit({ ev: 'mailbox', ids: await readPop3(req), via: 'pop3' });
  if (req.mode === 'both') emit({ ev: 'mailbox', ids: await readPop3({ ...req, port: req.pop3Port ?? 110 }), via: 'pop3' });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  main().then(() => process.exit(0), (err: unknown) => { emit({ ev: 'error', message: (err as Error).message }); process.exit(1); });
}
