// Helpers for the arbiter process tests: spawn arbiter-node children against a disk or an
// etcd backend, collect what each believes over time, and check the safety invariant on the
// merged timeline.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEtcd } from '../helpers/etcd.ts';

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

/**
 * `backend` is a directory (disk arbiter) or etcd:CLUSTER@URL (see the fixture). With
 * `record`, the child appends one line per moment it acts as holder (see readRecord).
 */
export function startArbiterNode(backend: string, node: string, timing: { ttlMs: number; marginMs: number }, events: NodeEvent[], record?: string): ArbiterChild {
  const args = [backend, node, 'mail', String(timing.ttlMs), String(timing.marginMs), ...(record ? [record] : [])];
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
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

/** One "I hold it, I act" line a child appended to its record file. */
export interface ActLine { node: string; epoch: number; checkedWall: number }

export async function readRecord(path: string): Promise<ActLine[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as ActLine);
}

/** The latest renewal start (wall time) of `node` on `epoch`, from the validity it reported. */
export function lastRenewalStart(events: readonly NodeEvent[], node: string, epoch: number, timing: { ttlMs: number; marginMs: number }): number {
  const until = events.filter((e) => e.node === node && e.epoch === epoch && (e.type === 'granted' || e.type === 'renewed')).map((e) => e.untilWall!);
  if (until.length === 0) throw new Error(`${node} never held epoch ${epoch}`);
  return Math.max(...until) - timing.ttlMs + timing.marginMs;
}

/** A shared arbiter the children of one test use, with a way to cut a holder off from it. */
export interface ProcessBackend {
  readonly name: 'disk' | 'etcd';
  /** The fixture's BACKEND argument. */
  readonly spec: string;
  readonly timing: { ttlMs: number; marginMs: number };
  /** Somewhere for record files; removed by cleanup(). */
  readonly scratch: string;
  /**
   * Cuts the holder of `epoch` off from the arbiter: its calls hang from now on. etcd: the
   * etcd server is SIGSTOPped (for everyone). disk: the holder's claim file is replaced by
   * a FIFO, so the holder's next read of it blocks in open() like a hung NFS or iSCSI read.
   * Returns a function that undoes the cut where that is possible.
   */
  cutOff(epoch: number): Promise<() => Promise<void>>;
  cleanup(): Promise<void>;
}

/** A temp directory; ttl 1.5 s, margin 200 ms: 1.3 s of validity per renewal, for loaded machines. */
export async function diskBackend(): Promise<ProcessBackend> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-arbiter-proc-'));
  return {
    name: 'disk',
    spec: join(dir, 'arbiter'),
    timing: { ttlMs: 1_500, marginMs: 200 },
    scratch: dir,
    async cutOff(epoch) {
      const groupDir = join(dir, 'arbiter', 'groups', 'mail');
      const claim = (await readdir(groupDir)).find((n) => Number(n.replace(/\.claim$/, '')) === epoch);
      if (!claim) throw new Error(`no claim file for epoch ${epoch}`);
      const fifo = join(groupDir, 'cut.fifo');
      execFileSync('mkfifo', [fifo]);
      await rename(fifo, join(groupDir, claim)); // atomic: the holder's next read hangs
      return async () => undefined; // a hung read stays hung, like the real thing
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

let etcdClusters = 0;

/**
 * A real etcd with its default election timeout, so its shortest lease, 2 s, is ttl + margin.
 * 1.7 s of validity per renewal keeps five busy children on a loaded machine in time.
 */
export async function etcdBackend(): Promise<ProcessBackend> {
  const [etcd, dir] = await Promise.all([startEtcd(), mkdtemp(join(tmpdir(), 'tandem-arbiter-proc-'))]);
  let paused = false;
  return {
    name: 'etcd',
    spec: `etcd:proc${process.pid}-${++etcdClusters}@${etcd.endpoint}`,
    timing: { ttlMs: 1_850, marginMs: 150 },
    scratch: dir,
    async cutOff() {
      etcd.pause();
      paused = true;
      return async () => { if (paused) etcd.resume(); paused = false; };
    },
    async cleanup() {
      await etcd.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const BACKENDS: ReadonlyArray<[string, () => Promise<ProcessBackend>]> = [['disk', diskBackend], ['etcd', etcdBackend]];
