// IMAP benchmark: a big realistic mailbox, the imap service in its own process (fd limit
// raised with ulimit in the shell that starts it), and a lean client measuring SELECT,
// FETCH, SEARCH, a concurrent mix, IDLE notification after an SMTP delivery, and the
// server's memory with thousands of idle connections.
// Usage: npm run bench:imap   (parameters by environment, defaults in brackets)
//   IMAP_BENCH_MESSAGES [10000]  IMAP_BENCH_CLIENTS [10]  IMAP_BENCH_SECONDS [30]
//   IMAP_BENCH_IDLE [5000] idle connections  IMAP_BENCH_IDLE_USERS [50]  IMAP_BENCH_TRIALS [20]
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { randomBytes, scryptSync } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { cpus, totalmem } from 'node:os';
import Database from 'better-sqlite3';
import { makeTestVolume, type TestVolume } from '../test/helpers/volume.ts';
import { IMAP_PORTS } from '../test/helpers/imap.ts';
import { TANDEM_BIN, startServiceProcess, type ServiceProcess } from '../test/helpers/process.ts';
import { parseReadyLine } from '../src/mail/serve/run-service.ts';
import { BenchConn } from './_imap-client.ts';
import { fillMaildir, RARE_COUNT, RARE_WORD, prng } from './_imap-mailbox.ts';

function envNumber(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${v}"`);
  return n;
}

const MESSAGES = envNumber('IMAP_BENCH_MESSAGES', 10_000);
const CLIENTS = envNumber('IMAP_BENCH_CLIENTS', 10);
const SECONDS = envNumber('IMAP_BENCH_SECONDS', 30);
const IDLE = envNumber('IMAP_BENCH_IDLE', 5000);
const IDLE_USERS = Math.max(1, envNumber('IMAP_BENCH_IDLE_USERS', 50));
const TRIALS = envNumber('IMAP_BENCH_TRIALS', 20);
const FD_LIMIT = IDLE + 1024;

const rows: Array<[string, string, string]> = [];
function row(what: string, value: string, detail = ''): void {
  rows.push([what, value, detail]);
  console.log(`  ${what}: ${value}${detail ? ` (${detail})` : ''}`);
}

const ms = (t0: number): number => performance.now() - t0;
const fmtMs = (v: number): string => (v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The imap service as a child of a shell that raised the fd limit first. */
interface Server { proc: ChildProcess; port: number; pid: number }

/** Servers still running; killed if the benchmark dies before its own cleanup. */
const live = new Set<ChildProcess>();
process.on('exit', () => { for (const p of live) p.kill('SIGKILL'); });

async function startServer(root: string): Promise<Server> {
  const proc = spawn('sh', ['-c', `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`, process.execPath, TANDEM_BIN, 'mail', 'serve', 'imap', '--data', root], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TANDEM_LOG_LEVEL: 'warn' },
  });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  const ready = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('imap not ready in 120 s')), 120_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const r = parseReadyLine(line);
      if (!r) return;
      clearTimeout(timer);
      const first = r.listening[0]!;
      resolve({ port: Number(first.slice(first.lastIndexOf(':') + 1)), pid: r.pid });
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`imap exited before ready (${code})`)); });
  });
  return { proc, ...ready };
}

function stopServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) return resolve();
    s.proc.once('exit', () => resolve());
    s.proc.kill('SIGTERM');
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function session(port: number, user = 'alice@demo.test', pass = 'wonderland'): Promise<BenchConn> {
  const c = await BenchConn.open(port);
  await c.login(user, pass);
  return c;
}

function countFetches(untagged: string[]): number {
  return untagged.filter((l) => / FETCH \(/.test(l.slice(0, 40))).length;
}

/** Timed SELECT; checks EXISTS. */
async function timedSelect(c: BenchConn): Promise<number> {
  const t0 = performance.now();
  const r = await c.cmd('SELECT INBOX');
  const t = ms(t0);
  const exists = Number(/^\* (\d+) EXISTS/m.exec(r.untagged.join('\n'))?.[1]);
  if (exists !== MESSAGES) throw new Error(`SELECT shows ${exists} messages, expected ${MESSAGES}`);
  return t;
}

async function measureSingle(port: number, totalBytes: number): Promise<void> {
  const a = await session(port);
  row('SELECT, first ever (no index: UIDs for every file)', fmtMs(await timedSelect(a)));
  const b = await session(port);
  row('SELECT, warm (folder open in the process)', fmtMs(await timedSelect(b)));
  b.close();

  for (const pass of ['first', 'second']) {
    const t0 = performance.now();
    const r = await a.cmd('FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)', { collect: false });
    const t = ms(t0);
    if (countFetches(r.untagged) !== MESSAGES) throw new Error(`FETCH ENVELOPE returned ${countFetches(r.untagged)} responses`);
    row(`FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE), ${pass}`, fmtMs(t), `${Math.round(MESSAGES / (t / 1000))} msg/s, ${(r.bytes / 1e6).toFixed(1)} MB`);
  }

  const t0 = performance.now();
  const body = await a.cmd('FETCH 1:* (BODY.PEEK[])', { collect: false });
  const t = ms(t0);
  if (countFetches(body.untagged) !== MESSAGES || body.bytes < totalBytes) throw new Error(`FETCH BODY[] returned ${countFetches(body.untagged)} responses, ${body.bytes} octets`);
  row('FETCH 1:* (BODY.PEEK[]), one command', `${(body.bytes / 1e6 / (t / 1000)).toFixed(1)} MB/s`, `${(body.bytes / 1e6).toFixed(0)} MB in ${(t / 1000).toFixed(2)} s`);

  for (const pass of ['first', 'second']) {
    const s0 = performance.now();
    const r = await a.cmd(`SEARCH TEXT ${RARE_WORD}`);
    const st = ms(s0);
    const hits = (r.untagged.find((l) => l.startsWith('* SEARCH')) ?? '').split(' ').length - 2;
    if (hits !== RARE_COUNT) throw new Error(`SEARCH TEXT found ${hits}, expected ${RARE_COUNT}`);
    row(`SEARCH TEXT "${RARE_WORD}" (${RARE_COUNT} hits), ${pass}`, fmtMs(st));
  }
  a.close();
}

type OpKind = 'SELECT' | 'FETCH headers' | 'STORE' | 'SEARCH flags' | 'SEARCH FROM';

async function measureMix(port: number): Promise<void> {
  const conns = await Promise.all(Array.from({ length: CLIENTS }, () => session(port)));
  await Promise.all(conns.map((c) => c.cmd('SELECT INBOX')));
  const lat = new Map<OpKind, number[]>([['SELECT', []], ['FETCH headers', []], ['STORE', []], ['SEARCH flags', []], ['SEARCH FROM', []]]);
  const end = performance.now() + SECONDS * 1000;
  const failures: string[] = [];
  await Promise.all(conns.map(async (c, i) => {
    const rnd = prng(1000 + i);
    while (performance.now() < end) {
      const r = rnd();
      const kind: OpKind = r < 0.1 ? 'SELECT' : r < 0.45 ? 'FETCH headers' : r < 0.8 ? 'STORE' : r < 0.9 ? 'SEARCH flags' : 'SEARCH FROM';
      const seq = 1 + Math.floor(rnd() * (MESSAGES - 50));
      const command = kind === 'SELECT' ? 'SELECT INBOX'
        : kind === 'FETCH headers' ? `FETCH ${seq}:${seq + 49} (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])`
          : kind === 'STORE' ? `STORE ${seq} ${rnd() < 0.5 ? '+' : '-'}FLAGS (\\Flagged)`
            : kind === 'SEARCH flags' ? 'SEARCH UNSEEN FLAGGED' : 'SEARCH FROM "judy"';
      const t0 = performance.now();
      const reply = await c.cmd(command, { collect: false, allowFail: true });
      lat.get(kind)!.push(ms(t0));
      if (!/^\S+ OK/.test(reply.tagged)) failures.push(`${kind}: ${reply.tagged}`);
    }
  }));
  for (const c of conns) c.close();
  const all = [...lat.values()].flat().sort((a, b) => a - b);
  row(`mix, ${CLIENTS} clients for ${SECONDS} s`, `${Math.round(all.length / SECONDS)} ops/s`, `p50 ${fmtMs(percentile(all, 50))}, p99 ${fmtMs(percentile(all, 99))}`);
  if (failures.length) row('  mix: commands not answered OK', String(failures.length), failures[0]!.slice(0, 100));
  for (const [kind, list] of lat) {
    list.sort((a, b) => a - b);
    row(`  mix: ${kind}`, `${list.length} ops`, `p50 ${fmtMs(percentile(list, 50))}, p99 ${fmtMs(percentile(list, 99))}`);
  }
}

/** One SMTP transaction; resolves with the time the final 250 arrived. */
function smtpSend(port: number, rcpt: string, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1' });
    const script = ['EHLO bench.test\r\n', 'MAIL FROM:<bench@example.org>\r\n', `RCPT TO:<${rcpt}>\r\n`, 'DATA\r\n',
      `From: bench@example.org\r\nTo: ${rcpt}\r\nSubject: idle probe ${n}\r\nMessage-ID: <idle-${n}-${Date.now()}@bench.test>\r\n\r\nping ${n}\r\n.\r\n`];
    let step = -1;
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (/^\d{3}-/.test(line)) continue;
        if (!/^[23]/.test(line)) { sock.destroy(); reject(new Error(`SMTP: ${line}`)); return; }
        if (step === script.length - 1) { const t = performance.now(); sock.end('QUIT\r\n'); resolve(t); return; }
        sock.write(script[++step]!);
      }
    });
    sock.on('error', reject);
  });
}

async function measureIdle(port: number, smtpPort: number): Promise<void> {
  const c = await session(port, 'bob@demo.test', 'builder');
  await c.cmd('SELECT INBOX');
  let waiter: ((t: number) => void) | null = null;
  c.onUntagged = (line) => { if (/^\* \d+ EXISTS/.test(line)) waiter?.(performance.now()); };
  await c.idle();
  const lat: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const seen = new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no EXISTS within 30 s of the SMTP 250')), 30_000);
      waiter = (at) => { clearTimeout(t); waiter = null; resolve(at); };
    });
    const accepted = await smtpSend(smtpPort, 'bob@demo.test', i);
    lat.push((await seen) - accepted);
    await new Promise((r) => setTimeout(r, 100));
  }
  c.close();
  lat.sort((a, b) => a - b);
  row(`IDLE: SMTP 250 to EXISTS (${TRIALS} deliveries)`, `p50 ${fmtMs(percentile(lat, 50))}`, `min ${fmtMs(lat[0]!)}, max ${fmtMs(lat[lat.length - 1]!)}; negative = EXISTS before the 250`);
}

/** Opens `IDLE` connections (login, SELECT, IDLE) over the idle users; reports server RSS. */
async function measureIdleConnections(server: Server): Promise<void> {
  if (IDLE === 0) return;
  await new Promise((r) => setTimeout(r, 1000));
  const before = rssMiB(server.pid);
  const conns: BenchConn[] = [];
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (next < IDLE) {
      const i = next++;
      const c = await session(server.port, `idle${i % IDLE_USERS}@demo.test`, 'idle-password');
      await c.cmd('SELECT INBOX');
      await c.idle();
      conns.push(c);
    }
  }));
  const opened = ms(t0);
  await new Promise((r) => setTimeout(r, 3000));
  const after = rssMiB(server.pid);
  const dropped = conns.filter((c) => c.closed).length;
  if (dropped) throw new Error(`${dropped} of ${IDLE} idle connections were closed by the server`);
  row(`server RSS with ${IDLE} connections in IDLE`, `${after.toFixed(0)} MiB`, `${before.toFixed(0)} MiB before; ${(((after - before) * 1024) / IDLE).toFixed(1)} KiB per connection; opened in ${(opened / 1000).toFixed(1)} s`);
  for (const c of conns) c.close();
}

/** Idle users get a cheap scrypt hash: 5000 logins at the default cost would take minutes and measure scrypt. */
async function addIdleUsers(vol: TestVolume): Promise<void> {
  for (let i = 0; i < IDLE_USERS; i++) await vol.directory.addUser({ address: `idle${i}@demo.test`, password: 'idle-password' });
  const salt = randomBytes(16);
  const key = scryptSync('idle-password', salt, 32, { N: 2 ** 4, r: 8, p: 1 });
  const db = new Database(vol.layout.accountsDb);
  db.prepare("UPDATE users SET password_hash = ? WHERE address LIKE 'idle%'").run(`$scrypt$ln=4,r=8,p=1$${salt.toString('base64')}$${key.toString('base64')}`);
  db.close();
}

async function main(): Promise<void> {
  const vol = await makeTestVolume({ listen: IMAP_PORTS, limits: { connectionsPerIp: IDLE + 100, maxConnections: IDLE + 100 } });
  let server: Server | null = null;
  let smtp: ServiceProcess | null = null;
  try {
    console.log(`IMAP benchmark: ${MESSAGES} messages, ${CLIENTS} clients x ${SECONDS} s, ${IDLE} idle connections; Node ${process.version}, ${cpus().length} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
    let t0 = performance.now();
    const bytes = await fillMaildir(vol.layout.maildir('demo.test', 'alice'), MESSAGES);
    console.log(`filled ${MESSAGES} messages, ${(bytes / 1e6).toFixed(0)} MB (mean ${Math.round(bytes / MESSAGES)} octets) in ${(ms(t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    await addIdleUsers(vol);
    console.log(`added ${IDLE_USERS} idle users in ${(ms(t0) / 1000).toFixed(1)} s`);

    server = await startServer(vol.root);
    console.log(`imap ready, pid ${server.pid}, RSS ${rssMiB(server.pid).toFixed(0)} MiB`);
    await measureSingle(server.port, bytes);

    // Restart: the index and the message cache are on disk now.
    await stopServer(server);
    server = await startServer(vol.root);
    const c = await session(server.port);
    row('SELECT after a restart (index on disk)', fmtMs(await timedSelect(c)));
    const f0 = performance.now();
    await c.cmd('FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)', { collect: false });
    row('FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE) after a restart', fmtMs(ms(f0)));
    c.close();

    await measureMix(server.port);
    smtp = await startServiceProcess('smtp', vol.root, { env: { TANDEM_LOG_LEVEL: 'warn' } });
    if (TRIALS > 0) await measureIdle(server.port, smtp.port(0));
    // Memory of idle connections on a fresh process, so the baseline is not the caches above.
    await stopServer(server);
    server = await startServer(vol.root);
    await measureIdleConnections(server);

    console.log('\n| measurement | result | detail |\n|---|---|---|');
    for (const [what, value, detail] of rows) console.log(`| ${what.trim()} | ${value} | ${detail} |`);
  } finally {
    await smtp?.kill('SIGTERM');
    if (server) await stopServer(server);
    vol.cleanup();
    rmSync(vol.root, { recursive: true, force: true });
  }
}

await main();
