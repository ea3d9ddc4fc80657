// POP3 RETR throughput: fills fresh temp mailboxes, runs the pop3 service in a child
// process (so client and server do not share one event loop) and RETRs every message,
// pipelined, over one connection and then over 4 connections on 4 mailboxes.
// Usage: npm run bench:pop3 -- [--messages 5000] [--size 4096] [--fixed] [--window 16] [--conns 4]
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { makeTestVolume } from '../test/helpers/volume.ts';
import { openVolume, loadTls } from '../src/mail/core/volume.ts';
import { Directory } from '../src/mail/directory/directory.ts';
import { deliverToMaildir } from '../src/mail/storage/maildir.ts';
import { startPop3Service } from '../src/mail/pop3/service.ts';

const USERS = [['alice', 'wonderland'], ['bob', 'builder'], ['carol', 'christmas'], ['dave', 'daisy']] as const;

/** Child mode: serve the volume, print the port, report peak memory when told to stop. */
async function serve(root: string): Promise<void> {
  const { layout, settings } = await openVolume(root);
  const directory = Directory.open(layout.accountsDb);
  const service = await startPop3Service({ layout, settings, directory, tls: await loadTls(layout, settings), log: pino({ level: 'silent' }) });
  process.stdout.write(`${JSON.stringify({ port: service.ports.pop3, rssMiB: process.memoryUsage().rss / 1048576 })}\n`);
  process.once('SIGTERM', () => {
    void service.close().then(() => {
      const rssMiB = process.memoryUsage().rss / 1048576;
      process.stdout.write(`${JSON.stringify({ maxRssMiB: process.resourceUsage().maxRSS / 1024, rssMiB })}\n`);
      process.exit(0);
    });
  });
}

/** A deterministic pseudo-random source, so runs are comparable. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function messageSizes(count: number, size: number, fixed: boolean, rnd: () => number): number[] {
  return Array.from({ length: count }, () => {
    if (fixed) return size;
    // Mostly smaller than the requested size, one in ten larger (an attachment); the
    // mean stays at `size` (0.9 x 0.75 + 0.1 x 3.25 = 1).
    return Math.round(rnd() < 0.9 ? size * (0.25 + rnd()) : size * (2 + rnd() * 2.5));
  });
}

/** A body block of 76-character lines, some starting with "." so stuffing is exercised. */
function textBlock(bytes: number, rnd: () => number): Buffer {
  const lines: string[] = [];
  let total = 0;
  const alphabet = 'abcdefghijklmnopqrstuvwxyz     ';
  while (total < bytes) {
    let l = '';
    for (let i = 0; i < 76; i++) l += alphabet[Math.floor(rnd() * alphabet.length)];
    if (rnd() < 0.02) l = `.${l.slice(1)}`;
    lines.push(l);
    total += 78;
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

function makeMessage(n: number, size: number, block: Buffer, rnd: () => number): Buffer {
  const header = Buffer.from(`From: bench@example.org\r\nTo: user@demo.test\r\nSubject: bench message ${n}\r\nMessage-ID: <${n}.bench@example.org>\r\n\r\n`);
  const bodyLen = Math.max(2, size - header.length);
  const start = Math.floor(rnd() * (block.length - bodyLen - 2));
  const body = Buffer.from(block.subarray(start, start + bodyLen));
  body[body.length - 2] = 0x0d;
  body[body.length - 1] = 0x0a;
  return Buffer.concat([header, body]);
}

async function fill(dir: string, sizes: number[], block: Buffer, rnd: () => number): Promise<number> {
  let bytes = 0;
  const batch = 64; // concurrent deliveries share directory fsyncs (group commit)
  for (let i = 0; i < sizes.length; i += batch) {
    const msgs = sizes.slice(i, i + batch).map((s, j) => makeMessage(i + j + 1, s, block, rnd));
    await Promise.all(msgs.map((m) => deliverToMaildir(dir, m)));
    bytes += msgs.reduce((a, m) => a + m.length, 0);
  }
  return bytes;
}

/** Counts complete multi-line responses in a stream; keeps at most a status line or 4 bytes. */
class ResponseCounter {
  private rest = Buffer.alloc(0);
  private inBody = false;
  completed = 0;

  push(chunk: Buffer): void {
    const data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let pos = 0;
    while (pos < data.length) {
      if (!this.inBody) {
        const eol = data.indexOf('\r\n', pos);
        if (eol < 0) break;
        const status = data.toString('latin1', pos, Math.min(eol, pos + 80));
        if (!status.startsWith('+OK')) throw new Error(`unexpected reply: ${status}`);
        this.inBody = true;
        pos = eol; // keep the CRLF: an empty body then ends at "\r\n.\r\n" too
      } else {
        const end = data.indexOf('\r\n.\r\n', pos);
        if (end < 0) {
          pos = Math.max(pos, data.length - 4);
          break;
        }
        this.completed++;
        this.inBody = false;
        pos = end + 5;
      }
    }
    this.rest = Buffer.from(data.subarray(pos));
  }
}

async function lineOf(socket: Socket, lines: AsyncIterator<string>): Promise<string> {
  const r = await lines.next();
  if (r.done) throw new Error('server closed the connection');
  return r.value;
}

/** Connects and logs in; the RETR phase is timed separately (scrypt is not the subject). */
async function login(port: number, user: string, password: string, count: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await once(socket, 'connect');
  const rl = createInterface({ input: socket, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  await lineOf(socket, lines);
  socket.write(`USER ${user}@demo.test\r\nPASS ${password}\r\n`);
  await lineOf(socket, lines);
  const reply = await lineOf(socket, lines);
  if (!reply.startsWith(`+OK ${user}@demo.test has ${count} messages`)) throw new Error(`login: ${reply}`);
  rl.close();
  socket.removeAllListeners('data');
  socket.pause();
  return socket;
}

/** RETRs messages 1..count with `window` commands in flight; returns the bytes received. */
async function retrieveAll(socket: Socket, count: number, window: number): Promise<number> {
  const counter = new ResponseCounter();
  let received = 0;
  let sent = 0;
  const sendMore = (): void => {
    let cmds = '';
    while (sent < count && sent - counter.completed < window) cmds += `RETR ${++sent}\r\n`;
    if (cmds) socket.write(cmds);
  };
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      try {
        counter.push(chunk);
      } catch (e) {
        reject(e as Error);
        return;
      }
      if (counter.completed === count) resolve();
      else sendMore();
    });
    socket.once('close', () => reject(new Error(`closed after ${counter.completed} of ${count} messages`)));
  });
  socket.resume();
  sendMore();
  await done;
  socket.removeAllListeners('close');
  socket.end('QUIT\r\n');
  return received;
}

interface Row { label: string; conns: number; messages: number; seconds: number; bytes: number }

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      messages: { type: 'string', default: '5000' },
      size: { type: 'string', default: '4096' },
      fixed: { type: 'boolean', default: false },
      window: { type: 'string', default: '16' },
      conns: { type: 'string', default: '4' },
    },
  });
  if (values.serve) return serve(values.serve);
  const count = Number(values.messages);
  const size = Number(values.size);
  const window = Number(values.window);
  const conns = Math.min(Number(values.conns), USERS.length);
  const rnd = prng(42);
  const vol = await makeTestVolume({ limits: { connectionsPerIp: 50 } });
  let server: ChildProcess | undefined;
  try {
    for (const [local, password] of USERS.slice(2)) await vol.directory.addUser({ address: `${local}@demo.test`, password });
    const block = textBlock(Math.max(size * 8, 64 * 1024) * 2, rnd);
    const sizes = messageSizes(count, size, values.fixed, rnd);
    const mailboxes = Math.max(1, conns);
    console.log(`filling ${mailboxes} mailbox(es) with ${count} messages each (${values.fixed ? 'fixed' : 'mixed'} sizes, mean ${Math.round(sizes.reduce((a, b) => a + b, 0) / count)} bytes)...`);
    const t0 = performance.now();
    let filled = 0;
    for (const [local] of USERS.slice(0, mailboxes)) filled += await fill(vol.layout.maildir('demo.test', local), sizes, block, rnd);
    const fillSeconds = (performance.now() - t0) / 1000;
    console.log(`filled ${(filled / 1048576).toFixed(1)} MiB in ${fillSeconds.toFixed(1)} s (${Math.round(count * mailboxes / fillSeconds)} deliveries/s, fsync'd)`);

    server = spawn(process.execPath, [...(process.env.POP3_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/pop3prof'] : []), '--import', 'tsx', new URL(import.meta.url).pathname, '--serve', vol.root], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = createInterface({ input: server.stdout! })[Symbol.asyncIterator]();
    const ready = JSON.parse((await out.next()).value as string) as { port: number; rssMiB: number };
    const port = ready.port;

    const rows: Row[] = [];
    const run = async (label: string, n: number): Promise<void> => {
      const sockets = await Promise.all(USERS.slice(0, n).map(([u, p]) => login(port, u, p, count)));
      const start = performance.now();
      const bytes = await Promise.all(sockets.map((socket) => retrieveAll(socket, count, window)));
      rows.push({ label, conns: n, messages: count * n, seconds: (performance.now() - start) / 1000, bytes: bytes.reduce((a, b) => a + b, 0) });
    };
    await run('RETR all, 1 connection', 1);
    if (conns > 1) await run(`RETR all, ${conns} connections / ${conns} mailboxes`, conns);

    server.kill('SIGTERM');
    const { maxRssMiB, rssMiB } = JSON.parse((await out.next()).value as string) as { maxRssMiB: number; rssMiB: number };
    server = undefined;

    console.log(`\nPOP3 RETR benchmark: Node ${process.version}, ${cpus().length} CPUs, pipelining window ${window}, server in a child process, login not timed`);
    const head = ['run', 'messages', 'MB', 'seconds', 'msgs/s', 'MB/s'];
    const table = rows.map((r) => [r.label, String(r.messages), (r.bytes / 1e6).toFixed(1), r.seconds.toFixed(2),
      Math.round(r.messages / r.seconds).toString(), (r.bytes / 1e6 / r.seconds).toFixed(1)]);
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    const fmt = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(fmt(head));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of table) console.log(fmt(row));
    console.log(`server RSS: ${ready.rssMiB.toFixed(0)} MiB when ready, ${rssMiB.toFixed(0)} MiB at the end, ${maxRssMiB.toFixed(0)} MiB peak (node and the tsx loader included)`);
  } finally {
    server?.kill('SIGKILL');
    vol.cleanup();
  }
}

await main();
