// How long the drain of a stopping mail service takes (docs/switchover.md) when it has
// nothing in flight: the smtp, imap and pop3 services run as real processes, N clients
// sit idle in sessions (after EHLO, LOGIN, PASS), then SIGTERM. Measured per round: until
// every client has read its 421 / BYE / -ERR, and until the process has exited.
// Usage: node --import tsx bench/drain.ts [--sessions 100] [--rounds 5]
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { makeTestVolume } from '../test/helpers/volume.ts';
import { startServiceProcess } from '../test/helpers/process.ts';
import { ImapRaw } from '../test/helpers/imap-raw.ts';

const { values } = parseArgs({ options: { sessions: { type: 'string', default: '100' }, rounds: { type: 'string', default: '5' } } });
const SESSIONS = Number(values.sessions);
const ROUNDS = Number(values.rounds);

interface Kind {
  readonly service: 'smtp' | 'imap' | 'pop3';
  readonly listen: Record<string, { port: number | null }>;
  /** Brings a fresh client to an idle session. */
  readonly idle: (c: ImapRaw, i: number) => Promise<void>;
  readonly told: RegExp;
}

async function cmd(c: ImapRaw, line: string): Promise<string | null> {
  c.send(`${line}\r\n`);
  for (;;) {
    const l = await c.line(30_000);
    if (l === null || !/^\d{3}-/.test(l)) return l;
  }
}

const OFF = { smtp: { port: null }, submission: { port: null }, submissions: { port: null }, pop3: { port: null }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null } };

const KINDS: Kind[] = [
  { service: 'smtp', listen: { ...OFF, smtp: { port: 0 } }, idle: async (c) => { await cmd(c, 'EHLO bench.test'); }, told: /^421 / },
  { service: 'imap', listen: { ...OFF, imap: { port: 0 } }, idle: async (c, i) => { await cmd(c, `A${i} LOGIN alice@demo.test wonderland`); }, told: /^\* BYE \[UNAVAILABLE\]/ },
  // One POP3 session per mailbox (RFC 1939 locking): the sessions stay in AUTHORIZATION.
  { service: 'pop3', listen: { ...OFF, pop3: { port: 0 } }, idle: async (c) => { await cmd(c, 'USER alice@demo.test'); }, told: /^-ERR \[SYS\/TEMP\]/ },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function round(kind: Kind, root: string): Promise<{ toldMs: number; exitMs: number }> {
  const svc = await startServiceProcess(kind.service, root, { env: { TANDEM_LOG_LEVEL: 'warn' } });
  try {
    const clients: ImapRaw[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const c = await ImapRaw.open(svc.port());
      await kind.idle(c, i);
      clients.push(c);
    }
    const exited = new Promise<void>((resolve) => svc.proc.once('exit', () => resolve()));
    const t0 = performance.now();
    svc.proc.kill('SIGTERM');
    await Promise.all(clients.map(async (c) => {
      const l = await c.line(30_000);
      if (l === null || !kind.told.test(l)) throw new Error(`${kind.service}: expected ${kind.told}, got ${l}`);
    }));
    const toldMs = performance.now() - t0;
    await exited;
    return { toldMs, exitMs: performance.now() - t0 };
  } finally {
    await svc.kill('SIGKILL');
  }
}

console.log(`drain with ${SESSIONS} idle sessions, ${ROUNDS} rounds per service (load ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
console.log('service  all told (median ms)  process exited (median ms)');
for (const kind of KINDS) {
  const vol = await makeTestVolume({ listen: { address: '127.0.0.1', ...kind.listen }, limits: { connectionsPerIp: SESSIONS + 10 } });
  try {
    const told: number[] = [];
    const exit: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const m = await round(kind, vol.root);
      told.push(m.toldMs);
      exit.push(m.exitMs);
    }
    console.log(`${kind.service.padEnd(8)} ${median(told).toFixed(0).padStart(20)}  ${median(exit).toFixed(0).padStart(26)}`);
  } finally {
    vol.cleanup();
  }
}
