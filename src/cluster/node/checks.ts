// The daemon's own monitor runner, until the shared one in src/cluster/monitor/ lands: each
// check runs at its interval, never overlaps its previous run, is bounded by its timeout,
// and changes state only after `fall` consecutive failures or `rise` successes (keepalived).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import type { Clock } from '../arbiter/lease.ts';

export type CheckResult = { ok: boolean; detail: string };
export type Check = (signal: AbortSignal) => Promise<CheckResult>;

export interface CheckSpec {
  readonly key: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
  readonly run: Check;
}

interface CheckState {
  spec: CheckSpec;
  nextAtMs: number;
  running: boolean;
  failing: boolean;
  streak: number;
  lastDetail: string;
}

/** Runs the active checks; `onChange` fires when one falls (failing) or rises (healthy). */
export class CheckRunner {
  private readonly states = new Map<string, CheckState>();

  constructor(private readonly clock: Clock, private readonly onChange: (key: string, failing: boolean, detail: string) => void) {}

  /** Makes `specs` the active set: new ones start fresh (healthy), missing ones are forgotten. */
  sync(specs: readonly CheckSpec[]): void {
    const keys = new Set(specs.map((s) => s.key));
    for (const k of this.states.keys()) if (!keys.has(k)) this.states.delete(k);
    for (const spec of specs) {
      if (!this.states.has(spec.key)) this.states.set(spec.key, { spec, nextAtMs: this.clock.now() + spec.intervalMs, running: false, failing: false, streak: 0, lastDetail: '' });
    }
  }

  /** Starts every due check that is not already running. */
  tick(): void {
    const now = this.clock.now();
    for (const st of this.states.values()) {
      if (st.running || now < st.nextAtMs) continue;
      st.running = true;
      void this.runOne(st);
    }
  }

  failing(key: string): boolean {
    return this.states.get(key)?.failing ?? false;
  }

  snapshot(): Array<{ key: string; failing: boolean; detail: string }> {
    return [...this.states.values()].map((s) => ({ key: s.spec.key, failing: s.failing, detail: s.lastDetail }));
  }

  private async runOne(st: CheckState): Promise<void> {
    let result: CheckResult;
    try {
      result = await st.spec.run(AbortSignal.timeout(st.spec.timeoutMs));
    } catch (err) {
      result = { ok: false, detail: (err as Error).message };
    }
    st.running = false;
    st.nextAtMs = this.clock.now() + st.spec.intervalMs;
    if (this.states.get(st.spec.key) !== st) return; // removed meanwhile
    st.lastDetail = result.detail;
    const agrees = result.ok !== st.failing;
    st.streak = agrees ? 0 : st.streak + 1;
    if (!st.failing && !result.ok && st.streak >= st.spec.fall) {
      st.failing = true;
      st.streak = 0;
      this.onChange(st.spec.key, true, result.detail);
    } else if (st.failing && result.ok && st.streak >= st.spec.rise) {
      st.failing = false;
      st.streak = 0;
      this.onChange(st.spec.key, false, result.detail);
    }
  }
}

export function tcpCheck(host: string, port: number): Check {
  return (signal) => new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean, detail: string): void => { socket.destroy(); resolve({ ok, detail }); };
    signal.addEventListener('abort', () => done(false, `no connection to ${host}:${port} in time`), { once: true });
    socket.once('connect', () => done(true, `${host}:${port} accepts connections`));
    socket.once('error', (err) => done(false, `${host}:${port}: ${err.message}`));
  });
}

export function commandCheck(argv: readonly string[]): Check {
  return (signal) => new Promise((resolve) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd as string, args, { stdio: 'ignore', detached: true });
    const kill = (): void => { try { if (child.pid) process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } };
    signal.addEventListener('abort', kill, { once: true });
    child.once('error', (err) => resolve({ ok: false, detail: `${cmd}: ${err.message}` }));
    child.once('exit', (code, sig) => {
      signal.removeEventListener('abort', kill);
      resolve(code === 0 ? { ok: true, detail: `${cmd} exit 0` } : { ok: false, detail: `${cmd} ${sig ? `killed (${sig}${signal.aborted ? ', timeout' : ''})` : `exit ${code}`}` });
    });
  });
}

/** Fails when none of the targets answers one ping. */
export function pingCheck(targets: readonly string[], timeoutMs: number): Check {
  const wait = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  return async (signal) => {
    for (const t of targets) {
      const r = await commandCheck(['ping', '-n', '-q', '-c', '1', '-W', wait, t])(signal);
      if (r.ok) return { ok: true, detail: `${t} answers` };
    }
    return { ok: false, detail: `none of ${targets.join(', ')} answers ping` };
  };
}

/** The NIC's carrier, from sysfs. */
export function linkCheck(iface: string): Check {
  return async () => {
    const carrier = await readFile(`/sys/class/net/${iface}/carrier`, 'utf8').catch(() => null);
    if (carrier === null) return { ok: false, detail: `${iface}: no such interface or it is down` };
    return carrier.trim() === '1' ? { ok: true, detail: `${iface} has link` } : { ok: false, detail: `${iface} has no link` };
  };
}
