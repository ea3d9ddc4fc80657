// Helpers for the disk arbiter process tests: spawn arbiter-node children, collect what each
// believes over time, and check the safety invariant on the merged timeline.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const FIXTURE = fileURLToPath(new URL('./fixtures/arbiter-node.ts', import.meta.url));

export interface NodeEvent {
  readonly node: string;
  readonly wall: number;
  readonly type: 'started' | 'granted' | 'renewed' | 'lost' | 'sample' | 'error';
  readonly epoch?: number | null;
  readonly untilWall?: number;
  readonly holds?: boolean;
  readonly reason?: string;
  readonly message?: string;
}

export interface ArbiterChild {
  readonly node: string;
  readonly proc: ChildProcess;
  readonly events: NodeEvent[];
  signal(sig: NodeJS.Signals): void;
  /** Kills the child by its PID (continuing it first if stopped) and waits for its exit. */
  stop(): Promise<void>;
}

export function startArbiterNode(dir: string, node: string, timing: { ttlMs: number; marginMs: number }, events: NodeEvent[]): ArbiterChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, node, 'mail', String(timing.ttlMs), String(timing.marginMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  createInterface({ input: proc.stdout! }).on('line', (line) => events.push(JSON.parse(line) as NodeEvent));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.once('exit', (code, sig) => {
    if (sig !== 'SIGKILL' && stderr) events.push({ node, wall: Date.now(), type: 'error', message: `exit ${code ?? sig}: ${stderr}` });
  });
  return {
    node,
    proc,
    events,
    signal: (sig) => { process.kill(proc.pid!, sig); },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      process.kill(proc.pid!, 'SIGCONT');
      process.kill(proc.pid!, 'SIGKILL');
      await exited;
    },
  };
}

/** Polls `check` every 20 ms until it holds or `timeoutMs` passes (bounded). */
export async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
  return Date.now();
}

export const holdsNow = (events: readonly NodeEvent[], node: string): boolean => {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.node === node && e.type === 'sample') return e.holds === true;
  }
  return false;
};

/** Belief interval per epoch: from the grant until the latest validity any renewal gave. */
export interface Belief { node: string; epoch: number; from: number; until: number }

export function beliefs(events: readonly NodeEvent[]): Belief[] {
  const byEpoch = new Map<number, Belief>();
  for (const e of events) {
    if (e.type === 'granted' && e.epoch != null) byEpoch.set(e.epoch, { node: e.node, epoch: e.epoch, from: e.wall, until: e.untilWall! });
    if (e.type === 'renewed' && e.epoch != null) {
      const b = byEpoch.get(e.epoch);
      if (!b || b.node !== e.node) throw new Error(`renewal of epoch ${e.epoch} by ${e.node} without its grant`);
      b.until = Math.max(b.until, e.untilWall!);
    }
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/**
 * The safety invariant: belief intervals of successive epochs never overlap (a holder's
 * belief ends before the next grant begins), and every sample that says "holds" lies inside
 * its own epoch's interval, so at no sampled instant do two processes believe.
 */
export function assertAtMostOneBeliever(events: readonly NodeEvent[]): Belief[] {
  const list = beliefs(events);
  for (let i = 1; i < list.length; i++) {
    const [prev, next] = [list[i - 1]!, list[i]!];
    if (prev.until > next.from) {
      throw new Error(`epoch ${prev.epoch} (${prev.node}) believed until ${prev.until}, after epoch ${next.epoch} (${next.node}) began at ${next.from}`);
    }
  }
  for (const s of events) {
    if (s.type !== 'sample' || !s.holds) continue;
    const b = list.find((x) => x.epoch === s.epoch);
    if (!b || b.node !== s.node || s.wall < b.from - 1 || s.wall > b.until + 1) {
      throw new Error(`${s.node} sampled as holder of epoch ${s.epoch} at ${s.wall} outside its interval ${JSON.stringify(b)}`);
    }
  }
  const errors = events.filter((e) => e.type === 'error');
  if (errors.length > 0) throw new Error(`child errors: ${JSON.stringify(errors)}`);
  return list;
}
