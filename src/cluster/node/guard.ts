// The self-fencing guard (`tandem node guard`, internal): a small process outside the
// daemon's process group that the daemon feeds through a pipe with its lease deadline and
// what it runs. If the pipe closes without a goodbye (daemon killed) or the deadline passes
// without a newer one (daemon hung or paused), the guard stops those resources itself:
// kills the service process groups, removes the VIP addresses, unmounts volumes; logs it
// and exits. Limits (a frozen machine freezes the guard too) are in docs/cluster-operate.md.
import { spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** CLOCK_MONOTONIC in ms: the same clock in every process of the machine (unlike performance.now()). */
export function sharedMonotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

export interface GuardVip { readonly address: string; readonly prefix: number; readonly interface?: string }

/** One message on the pipe, one JSON line. */
export type GuardMessage =
  | {
    readonly t: 'state';
    /** sharedMonotonicMs() after which nothing below may run; null: no lease held. */
    readonly deadline: number | null;
    readonly pgids: readonly number[];
    /** Directories whose *.pid files name processes to kill (agents' state dirs). */
    readonly pidDirs: readonly string[];
    readonly vips: readonly GuardVip[];
    readonly volumes: readonly { readonly path: string; readonly device?: string }[];
  }
  | { readonly t: 'bye' };

type State = Extract<GuardMessage, { t: 'state' }>;
const EMPTY: State = { t: 'state', deadline: null, pgids: [], pidDirs: [], vips: [], volumes: [] };
const TERM_GRACE_MS = 1_000;

/** The guard's main: reads the pipe on stdin until it closes. Never returns normally. */
export function runGuard(stateDir: string): void {
  let state: State = EMPTY;
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const logFile = join(stateDir, 'guard.jsonl');
  const log = (kind: string, message: string, data: Record<string, unknown> = {}): void => {
    const line = JSON.stringify({ at: new Date().toISOString(), pid: process.pid, kind, message, ...data });
    try { appendFileSync(logFile, `${line}\n`, { mode: 0o600 }); } catch { /* state dir gone */ }
    process.stderr.write(`${line}\n`);
  };
  const finish = (why: string): void => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    if (hasWork(state)) fence(state, why, log);
    else log('guard.exit', `guard exits: ${why}; nothing to fence`);
    process.exit(0);
  };
  const arm = (): void => {
    if (timer) clearTimeout(timer);
    if (state.deadline === null || !hasWork(state)) return;
    const wait = Math.max(0, state.deadline - sharedMonotonicMs());
    timer = setTimeout(() => finish(`lease deadline passed without renewal (${Math.round(sharedMonotonicMs() - state.deadline!)} ms ago)`), wait);
  };
  log('guard.started', `guard for ${stateDir} started`);
  // The daemon's death closes the pipe; so does a daemon that exits without saying bye.
  createInterface({ input: process.stdin }).on('line', (line) => {
    let msg: GuardMessage;
    try { msg = JSON.parse(line) as GuardMessage; } catch { return; }
    if (msg.t === 'bye') {
      done = true;
      if (timer) clearTimeout(timer);
      log('guard.exit', 'daemon stopped cleanly; guard exits');
      process.exit(0);
    }
    if (msg.t === 'state') { state = msg; arm(); }
  }).on('close', () => finish('pipe from the daemon closed (daemon died)'));
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => finish(`received ${sig}`));
}

function hasWork(s: State): boolean {
  return s.pgids.length > 0 || s.pidDirs.length > 0 || s.vips.length > 0 || s.volumes.length > 0;
}

function fence(s: State, why: string, log: (kind: string, message: string, data?: Record<string, unknown>) => void): void {
  const pids = [...s.pgids, ...s.pidDirs.flatMap(readPidFiles)];
  for (const pid of pids) kill(pid, 'SIGTERM');
  const until = Date.now() + TERM_GRACE_MS;
  while (Date.now() < until && pids.some(alive)) spawnSync('sleep', ['0.05']);
  for (const pid of pids) kill(pid, 'SIGKILL');
  const removed = s.vips.map((v) => `${v.address}: ${removeAddress(v)}`);
  const unmounted = s.volumes.filter((v) => v.device).map((v) => {
    const r = spawnSync('umount', [v.path], { encoding: 'utf8', timeout: 10_000 });
    return `${v.path}: ${r.status === 0 ? 'unmounted' : (r.stderr || 'umount failed').trim()}`;
  });
  log('guard.fenced', `guard fenced this node: ${why}`, { killed: pids, vips: removed, volumes: unmounted });
}

function readPidFiles(dir: string): number[] {
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  return names.filter((n) => n.endsWith('.pid')).flatMap((n) => {
    const pid = Number(readFileSync(join(dir, n), 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? [pid] : [];
  });
}

/** Signals the process group when the pid leads one, and the process itself. */
function kill(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal); } catch { /* not a group leader, or gone */ }
  try { process.kill(pid, signal); } catch { /* gone */ }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Removes the address from whatever interface carries it (iproute2 or loopback driver alike). */
function removeAddress(v: GuardVip): string {
  const shown = spawnSync('ip', ['-o', 'addr', 'show'], { encoding: 'utf8', timeout: 5_000 });
  const found = (shown.stdout ?? '').split('\n').map((l) => l.split(/\s+/)).find((f) => (f[3] ?? '').split('/')[0] === v.address);
  if (!found) return 'not present';
  const r = spawnSync('ip', ['addr', 'del', found[3] as string, 'dev', v.interface ?? (found[1] as string)], { encoding: 'utf8', timeout: 5_000 });
  return r.status === 0 ? `removed from ${found[1]}` : `ip addr del failed: ${(r.stderr ?? '').trim()}`;
}
