// SMTP benchmark: N messages of S bytes from C concurrent connections into local
// Maildirs, against the SMTP service running as a separate process over a fresh temp
// volume. Phase 1: the MX port, no TLS. Phase 2: submission with STARTTLS and AUTH.
// Reports accepted and delivered messages/s, p50/p99 latency per message (MAIL FROM
// to the 250 after DATA), the SMTP process's RSS when idle and at peak (VmHWM), and
// its CPU use. A 250 means stored, so "delivered" trails "accepted" only by polling.
//   npm run bench:smtp -- --messages 5000 --concurrency 10 --size 4096
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { initVolume } from '../src/mail/core/volume.ts';
import { Directory } from '../src/mail/directory/directory.ts';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return v;
}
const MESSAGES = flag('messages', 5000);
const CONCURRENCY = flag('concurrency', 10);
const SIZE = flag('size', 4096);
const USERS = 10;

/** A line-oriented SMTP client connection that reads complete replies. */
class Conn {
  private buf = '';
  private wait: ((line: string) => void) | null = null;
  constructor(public sock: Socket) { this.attach(sock); }
  private attach(s: Socket): void {
    s.setNoDelay(true);
    s.on('data', (d: Buffer) => { this.buf += d.toString('latin1'); this.pump(); });
    s.on('error', (e) => { throw e; });
  }
  private pump(): void {
    if (!this.wait) return;
    const m = /^(?:\d{3}-[^\n]*\n)*\d{3} [^\n]*\n/.exec(this.buf);
    if (!m) return;
    this.buf = this.buf.slice(m[0].length);
    const w = this.wait;
    this.wait = null;
    w(m[0]);
  }
  reply(): Promise<string> {
    return new Promise((resolve) => { this.wait = resolve; this.pump(); });
  }
  async expect(code: string, line?: string): Promise<void> {
    if (line !== undefined) this.sock.write(line);
    const r = await this.reply();
    if (!r.startsWith(code)) throw new Error(`expected ${code}, got ${r.trim()} (after ${line?.trim() ?? 'connect'})`);
  }
  async startTls(): Promise<void> {
    await this.expect('220', 'STARTTLS\r\n');
    this.sock.removeAllListeners('data');
    const s = tlsConnect({ socket: this.sock, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => { s.once('secureConnect', () => resolve()); s.once('error', reject); });
    this.sock = s;
    this.attach(s);
  }
}

function message(i: number): string {
  const head = `From: <sender@example.org>\r\nTo: <u${i % USERS}@bench.test>\r\nSubject: bench ${i}\r\nMessage-ID: <bench-${i}@example.org>\r\nDate: ${new Date().toUTCString()}\r\n\r\n`;
  const line = `${'x'.repeat(74)}\r\n`;
  return head + line.repeat(Math.max(1, Math.ceil((SIZE - head.length) / line.length))).slice(0, Math.max(0, SIZE - head.length));
}

async function client(port: number, submission: boolean, next: () => number | null, latencies: number[]): Promise<void> {
  const sock = netConnect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
  const c = new Conn(sock);
  await c.expect('220');
  await c.expect('250', 'EHLO bench.client\r\n');
  const from = submission ? 'u0@bench.test' : 'sender@example.org';
  if (submission) {
    await c.startTls();
    await c.expect('250', 'EHLO bench.client\r\n');
    await c.expect('235', `AUTH PLAIN ${Buffer.from('\0u0@bench.test\0bench-password').toString('base64')}\r\n`);
  }
  for (let i = next(); i !== null; i = next()) {
    const t0 = performance.now();
    // PIPELINING: the envelope in one write, three replies back.
    c.sock.write(`MAIL FROM:<${from}>\r\nRCPT TO:<u${i % USERS}@bench.test>\r\nDATA\r\n`);
    await c.expect('250');
    await c.expect('250');
    await c.expect('354');
    await c.expect('250', `${message(i)}\r\n.\r\n`);
    latencies.push(performance.now() - t0);
  }
  c.sock.write('QUIT\r\n');
  c.sock.end();
}

function countDelivered(root: string): number {
  let n = 0;
  for (let u = 0; u < USERS; u++) n += readdirSync(join(root, 'mail', 'bench.test', `u${u}`, 'new')).length;
  return n;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function startServer(root: string): Promise<{ child: ChildProcess; ports: Record<string, number> }> {
  // TANDEM_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
  const extra = (process.env.TANDEM_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', join(import.meta.dirname, '_smtp-server.ts'), root], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TANDEM_LOG_LEVEL: process.env.TANDEM_LOG_LEVEL ?? 'warn' },
  });
  const rl = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`smtp server exited with ${code}`)));
  });
  return { child, ports: (JSON.parse(line) as { ports: Record<string, number> }).ports };
}

interface Result { phase: string; accepted: number; delivered: number; p50: number; p99: number; rss: number; rss0: number; seconds: number; cpu: number }

async function phase(name: string, submission: boolean): Promise<Result> {
  const tmp = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  const root = join(tmp, 'vol');
  try {
    const layout = await initVolume(root, {
      hostname: 'mail.bench.test', domain: 'bench.test',
      settings: {
        listen: { address: '127.0.0.1', smtp: { port: 0 }, submission: { port: 0 }, submissions: { port: null }, pop3: { port: null }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null } },
        limits: { connectionsPerIp: Math.max(20, CONCURRENCY * 2) },
      },
    });
    const dir = Directory.open(layout.accountsDb);
    dir.addDomain('bench.test');
    for (let u = 0; u < USERS; u++) await dir.addUser({ address: `u${u}@bench.test`, password: 'bench-password' });
    dir.close();
    const { child, ports } = await startServer(root);
    try {
      const port = submission ? ports.submission! : ports.smtp!;
      let issued = 0;
      const next = () => (issued < MESSAGES ? issued++ : null);
      const latencies: number[] = [];
      const cpu0 = cpuSeconds(child.pid!);
      const rss0 = peakRss(child.pid!);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, () => client(port, submission, next, latencies)));
      const acceptedAt = performance.now();
      while (countDelivered(root) < MESSAGES) {
        if (performance.now() - acceptedAt > 60_000) throw new Error(`only ${countDelivered(root)} of ${MESSAGES} delivered after 60 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
      const deliveredAt = performance.now();
      latencies.sort((a, b) => a - b);
      const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
      const rss = peakRss(child.pid!);
      const cpu = cpuSeconds(child.pid!) - cpu0;
      return {
        phase: name, seconds: (acceptedAt - t0) / 1000,
        accepted: MESSAGES / ((acceptedAt - t0) / 1000), delivered: MESSAGES / ((deliveredAt - t0) / 1000),
        p50: pct(0.5), p99: pct(0.99), rss, rss0, cpu: cpu / ((deliveredAt - t0) / 1000),
      };
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const results = [await phase('MX (port smtp, plain)', false), await phase('submission (STARTTLS + AUTH)', true)];
console.log(`\nSMTP bench: ${MESSAGES} messages of ${SIZE} bytes, ${CONCURRENCY} concurrent connections, ${USERS} local mailboxes, fsync on every 250\n`);
const header = ['phase', 'time s', 'accepted msg/s', 'delivered msg/s', 'p50 ms', 'p99 ms', 'RSS idle MiB', 'peak RSS MiB', 'server CPU'];
const rows = results.map((r) => [r.phase, r.seconds.toFixed(2), r.accepted.toFixed(0), r.delivered.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), (r.rss0 / 1048576).toFixed(1), (r.rss / 1048576).toFixed(1), `${(r.cpu * 100).toFixed(0)}%`]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const fmt = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
console.log(fmt(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(fmt(r));
