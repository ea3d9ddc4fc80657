// Runs monitors on their intervals: each probe gets its timeout, a monitor never has two
// probes in flight, suspended monitors neither probe nor count, and the owner hears only
// about transitions (rise/fall applied), each with its reason. What a transition means
// (restart, failover) is the policy's business, not the runner's.
import { countProbe, initialCounter, resetStreaks, type Counter, type Health } from './rise-fall.ts';
import type { Probe, ProbeResult } from './probes.ts';

export interface MonitorSpec {
  /** Unique in the runner, e.g. "mail/smtp/listening" or "node/uplink". */
  readonly id: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
  readonly probe: Probe;
  /** Health before the first threshold is reached (default unknown). */
  readonly initial?: Health;
  /** Delay before the first probe (default 0: probe at once). */
  readonly firstDelayMs?: number;
}

export interface MonitorTransition {
  readonly id: string;
  readonly from: Health;
  readonly to: Health;
  /** e.g. "2 consecutive failures, last: connect ECONNREFUSED 127.0.0.1:25". */
  readonly reason: string;
  readonly atMs: number;
}

export interface MonitorSnapshot {
  readonly id: string;
  readonly health: Health;
  readonly suspended: boolean;
  readonly successes: number;
  readonly failures: number;
  /** The last probe's result, null before the first one. */
  readonly last: (ProbeResult & { readonly atMs: number }) | null;
}

export interface MonitorRunnerOptions {
  readonly onTransition: (t: MonitorTransition) => void;
  /** Every probe result (for logs and tests); optional. */
  readonly onProbe?: (id: string, r: ProbeResult) => void;
  readonly now?: () => number;
}

interface Entry {
  readonly spec: MonitorSpec;
  counter: Counter;
  suspended: boolean;
  removed: boolean;
  /** Bumped by suspend/remove: results of probes started under an older generation are dropped. */
  generation: number;
  timer: NodeJS.Timeout | null;
  inFlight: Promise<void> | null;
  abort: AbortController | null;
  last: MonitorSnapshot['last'];
}

export class MonitorRunner {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly opts: MonitorRunnerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Starts running a monitor. Throws on a duplicate id or nonsense timing (programmer errors). */
  add(spec: MonitorSpec): void {
    if (this.closed) throw new Error('MonitorRunner is closed');
    if (this.entries.has(spec.id)) throw new Error(`monitor ${spec.id} is already running`);
    if (!(spec.intervalMs > 0) || !(spec.timeoutMs > 0)) throw new RangeError(`monitor ${spec.id}: interval and timeout must be > 0`);
    if (spec.rise < 1 || spec.fall < 1) throw new RangeError(`monitor ${spec.id}: rise and fall must be at least 1`);
    const entry: Entry = {
      spec, counter: initialCounter(spec.initial), suspended: false, removed: false,
      generation: 0, timer: null, inFlight: null, abort: null, last: null,
    };
    this.entries.set(spec.id, entry);
    this.schedule(entry, spec.firstDelayMs ?? 0);
  }

  /** Stops a monitor; resolves once its probe in flight (aborted) has settled. */
  async remove(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    e.removed = true;
    await this.halt(e);
  }

  /** No more probes and no transitions until resume; a probe in flight is aborted and ignored. */
  suspend(id: string): boolean {
    const e = this.entries.get(id);
    if (!e) return false;
    if (e.suspended) return true;
    e.suspended = true;
    void this.halt(e);
    return true;
  }

  /** Probes again after one interval, counting streaks afresh from the health it had. */
  resume(id: string): boolean {
    const e = this.entries.get(id);
    if (!e) return false;
    if (!e.suspended) return true;
    e.suspended = false;
    e.counter = resetStreaks(e.counter);
    this.schedule(e, e.spec.intervalMs);
    return true;
  }

  snapshot(id: string): MonitorSnapshot | null {
    const e = this.entries.get(id);
    return e ? this.snap(e) : null;
  }

  list(): MonitorSnapshot[] {
    return [...this.entries.values()].map((e) => this.snap(e));
  }

  /** Stops every monitor and waits for probes in flight to settle. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.entries.keys()];
    await Promise.all(all.map((id) => this.remove(id)));
  }

  private snap(e: Entry): MonitorSnapshot {
    return { id: e.spec.id, health: e.counter.health, suspended: e.suspended, successes: e.counter.successes, failures: e.counter.failures, last: e.last };
  }

  private async halt(e: Entry): Promise<void> {
    e.generation += 1;
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
    e.abort?.abort();
    await e.inFlight?.catch(() => undefined);
  }

  private schedule(e: Entry, delayMs: number): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = setTimeout(() => {
      e.timer = null;
      // Never two probes at once: a resume during a slow aborted probe waits for it.
      if (e.inFlight) return;
      e.inFlight = this.probeOnce(e).finally(() => { e.inFlight = null; });
    }, Math.max(0, delayMs));
  }

  private async probeOnce(e: Entry): Promise<void> {
    if (e.suspended || e.removed || this.closed) return;
    const generation = e.generation;
    const started = this.now();
    const abort = new AbortController();
    e.abort = abort;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<ProbeResult>((resolve) => {
      timer = setTimeout(() => {
        abort.abort();
        resolve({ ok: false, reason: `no answer within ${e.spec.timeoutMs}ms` });
      }, e.spec.timeoutMs);
    });
    const probed = e.spec.probe(abort.signal).catch((err: unknown): ProbeResult => ({ ok: false, reason: `probe error: ${err instanceof Error ? err.message : String(err)}` }));
    const result = await Promise.race([probed, timedOut]);
    clearTimeout(timer);
    // The result counts now, but the next probe waits until this one has really finished.
    if (generation === e.generation && !e.suspended && !e.removed) this.record(e, result);
    await probed;
    e.abort = null;
    if (generation === e.generation && !e.suspended && !e.removed && !this.closed) {
      this.schedule(e, e.spec.intervalMs - (this.now() - started));
    } else if (!e.suspended && !e.removed && !this.closed && e.timer === null) {
      // Resumed while this (aborted) probe was still settling: start the next cycle now.
      this.schedule(e, e.spec.intervalMs);
    }
  }

  private record(e: Entry, result: ProbeResult): void {
    const at = this.now();
    e.last = { ...result, atMs: at };
    this.opts.onProbe?.(e.spec.id, result);
    const step = countProbe(e.counter, result.ok, e.spec);
    e.counter = step.counter;
    if (!step.transition) return;
    const streak = result.ok ? `${step.counter.successes} consecutive success${step.counter.successes === 1 ? '' : 'es'}` : `${step.counter.failures} consecutive failure${step.counter.failures === 1 ? '' : 's'}`;
    this.opts.onTransition({ id: e.spec.id, ...step.transition, reason: `${streak}, last: ${result.reason}`, atMs: at });
  }
}
