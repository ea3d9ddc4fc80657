// The client of `npm run bench:ha`, run INSIDE the lab's client namespace
// (`ip netns exec NS node --import tsx bench/_ha-probe.ts JSON`). It starts one SMTP
// transaction to the VIP every `intervalMs`, each on its own connection and bounded by
// `attemptTimeoutMs`, several in flight when the server is slow to answer, so a transaction
// stuck on a paused or vanished node never hides the moment the new node serves. A
// transaction counts as served when DATA gets its 250 (the only reply that promises the
// message). One JSON line per attempt on stdout:
//   {"ev":"ok","seq":N,"id":"RUN.N@client...","start":MS,"end":MS}
//   {"ev":"fail","seq":N,"start":MS,"end":MS,"stage":"connect|greeting|...|timeout","reply":"..."}
// and {"ev":"done"} after stdin closes (the bench's stop, or the bench dying) and the
// attempts in flight have ended. Times are `performance.timeOrigin + performance.now()`
// (wall-clock milliseconds with sub-millisecond steps), comparable with the bench's.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

export interface ProbeRequest {
  readonly host: string;
  readonly port: number;
  readonly from: string;
  readonly to: string;
  /** Prefix of every Message-ID, unique per bench run. */
  readonly runId: string;
  /** The domain part of the Message-IDs. */
  readonly idDomain: string;
  /** A new attempt starts this often. */
  readonly intervalMs: number;
  /** One whole transaction (connect to the 250 after DATA). */
  readonly attemptTimeoutMs: number;
  /** At most this many attempts in flight; the next waits for a slot. */
  readonly maxInFlight: number;
}

export type ProbeEvent =
  | { ev: 'ok'; seq: number; id: string; start: number; end: number }
  | { ev: 'fail'; seq: number; start: number; end: number; stage: string; reply: string }
  | { ev: 'done' };

export const now = (): number => performance.timeOrigin + performance.now();

/** One SMTP transaction; resolves with the stage it failed at and the reply, or null when served. */
function transaction(req: ProbeRequest, id: string): Promise<{ stage: string; reply: string } | null> {
  return new Promise((resolve) => {
    let socket: Socket | null = null;
    let stage = 'connect';
    let buf = '';
    let reply: string[] = [];
    let step = 0;
    let settled = false;
    const finish = (v: { stage: string; reply: string } | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (socket && v === null) {
        // Served: say goodbye politely, but never wait for the server to close.
        const s = socket;
        s.end('QUIT\r\n');
        setTimeout(() => s.destroy(), 1_000).unref();
      } else socket?.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish({ stage: 'timeout', reply: `no answer at ${stage} within ${req.attemptTimeoutMs} ms` }), req.attemptTimeoutMs);
    // Each step: the reply code expected, then what to send and the next stage's name.
    const body = [`Message-ID: <${id}>`, `From: <${req.from}>`, `To: <${req.to}>`, `Subject: bench:ha ${id}`, '', `probe ${id}`, '.', ''].join('\r\n');
    const steps: Array<{ want: string; send: string; next: string }> = [
      { want: '220', send: 'EHLO probe.bench\r\n', next: 'ehlo' },
      { want: '250', send: `MAIL FROM:<${req.from}>\r\n`, next: 'mail' },
      { want: '250', send: `RCPT TO:<${req.to}>\r\n`, next: 'rcpt' },
      { want: '250', send: 'DATA\r\n', next: 'data' },
      { want: '354', send: body, next: 'message' },
      { want: '250', send: '', next: 'done' },
    ];
    stage = 'greeting';
    socket = connect({ host: req.host, port: req.port });
    socket.setEncoding('latin1');
    socket.on('error', (err) => finish({ stage, reply: err.message }));
    socket.on('close', () => finish({ stage, reply: `connection closed${reply.length ? ` after ${reply.join(' / ')}` : ''}` }));
    socket.on('data', (chunk: string) => {
      if (settled) return;
      buf += chunk;
      if (buf.length > 65_536) { finish({ stage, reply: 'reply too long' }); return; }
      let i: number;
      while (!settled && (i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        reply.push(line);
        if (/^\d{3}-/.test(line)) continue;
        const s = steps[step]!;
        if (!line.startsWith(s.want)) { finish({ stage, reply: reply.join(' / ') }); return; }
        reply = [];
        step += 1;
        if (s.next === 'done') { finish(null); return; }
        stage = s.next;
        socket!.write(s.send);
      }
    });
  });
}

async function main(req: ProbeRequest): Promise<void> {
  const emit = (e: ProbeEvent): void => { process.stdout.write(`${JSON.stringify(e)}\n`); };
  let running = true;
  process.stdin.on('end', () => { running = false; });
  process.stdin.on('error', () => { running = false; });
  process.stdin.resume();
  const inFlight = new Set<Promise<void>>();
  let seq = 0;
  while (running) {
    const started = now();
    if (inFlight.size < req.maxInFlight) {
      seq += 1;
      const n = seq;
      const id = `${req.runId}.${n}@${req.idDomain}`;
      const p = transaction(req, id).then((failure) => {
        const end = now();
        emit(failure === null ? { ev: 'ok', seq: n, id, start: started, end } : { ev: 'fail', seq: n, start: started, end, ...failure });
      }).finally(() => { inFlight.delete(p); });
      inFlight.add(p);
    }
    await sleep(Math.max(1, req.intervalMs - (now() - started)));
  }
  await Promise.all(inFlight);
  emit({ ev: 'done' });
}

// Only as a program (the bench imports the types and the clock from here).
const [, entry, arg] = process.argv;
if (entry && arg && import.meta.url === pathToFileURL(entry).href) {
  main(JSON.parse(arg) as ProbeRequest).catch((err: Error) => {
    process.stderr.write(`probe failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
