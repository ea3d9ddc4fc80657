// In-process arbiter for policy and daemon tests: one shared store, one clock, atomic by
// construction (no awaits inside a decision). Same contract as the disk backend.
import {
  checkTiming, withSignal,
  type AcquireResult, type Arbiter, type Clock, type HolderInfo, type Lease, type LeaseTiming, type RenewResult,
} from './lease.ts';

interface GroupRecord {
  holder: string;
  epoch: number;
  /** Store clock at the start of the holder's last successful write. */
  writtenAtMs: number;
  released: boolean;
}

/** The "shared storage" several MemoryArbiter views (one per node) point at. */
export class MemoryArbiterStore {
  readonly groups = new Map<string, GroupRecord>();
  readonly beats = new Map<string, number>();
  constructor(readonly clock: Clock, readonly timing: LeaseTiming) {
    checkTiming(timing);
  }
  /** One node's view; several views share the store like nodes share a disk. */
  arbiter(): Arbiter {
    return new MemoryArbiter(this);
  }
}

class MemoryArbiter implements Arbiter {
  readonly timing: LeaseTiming;
  /** node -> [last beat value seen, when we saw it change] (our clock). */
  private readonly seen = new Map<string, [number, number]>();

  constructor(private readonly store: MemoryArbiterStore) {
    this.timing = store.timing;
  }

  async heartbeat(node: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.store.beats.set(node, (this.store.beats.get(node) ?? 0) + 1);
  }

  async peers(signal?: AbortSignal): Promise<ReadonlyMap<string, number>> {
    return withSignal(signal, async () => this.readPeers(), () => new Map(this.lastSeen()));
  }

  private readPeers(): ReadonlyMap<string, number> {
    const now = this.store.clock.now();
    for (const [node, value] of this.store.beats) {
      const prev = this.seen.get(node);
      if (!prev || prev[0] !== value) this.seen.set(node, [value, now]);
    }
    return new Map(this.lastSeen());
  }

  private lastSeen(): Array<[string, number]> {
    return [...this.seen].map(([node, [, at]]) => [node, at]);
  }

  async acquire(group: string, node: string, signal?: AbortSignal): Promise<AcquireResult> {
    if (signal?.aborted) return { ok: false, reason: 'timeout', current: await this.holder(group) };
    const now = this.store.clock.now();
    const rec = this.store.groups.get(group);
    const silent = rec !== undefined && now - rec.writtenAtMs > this.timing.ttlMs + this.timing.marginMs;
    if (rec && !rec.released && !silent) return { ok: false, reason: 'held', current: { holder: rec.holder, epoch: rec.epoch } };
    const epoch = (rec?.epoch ?? 0) + 1;
    this.store.groups.set(group, { holder: node, epoch, writtenAtMs: now, released: false });
    return { ok: true, lease: { group, holder: node, epoch, renewedAtMs: now, timing: this.timing } };
  }

  async renew(lease: Lease, signal?: AbortSignal): Promise<RenewResult> {
    if (signal?.aborted) return { ok: false, reason: 'timeout' };
    const now = this.store.clock.now();
    const rec = this.store.groups.get(lease.group);
    if (!rec || rec.epoch !== lease.epoch || rec.released) return { ok: false, reason: 'superseded' };
    // Never revive: past the self-fence point another node may already be counting us out.
    if (now >= lease.renewedAtMs + lease.timing.ttlMs - lease.timing.marginMs) return { ok: false, reason: 'expired' };
    rec.writtenAtMs = now;
    return { ok: true, lease: { ...lease, renewedAtMs: now } };
  }

  async release(lease: Lease, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    const rec = this.store.groups.get(lease.group);
    if (rec && rec.epoch === lease.epoch) rec.released = true;
  }

  async holder(group: string): Promise<HolderInfo> {
    const rec = this.store.groups.get(group);
    if (!rec) return { holder: null, epoch: 0 };
    const silent = this.store.clock.now() - rec.writtenAtMs > this.timing.ttlMs + this.timing.marginMs;
    return { holder: rec.released || silent ? null : rec.holder, epoch: rec.epoch };
  }
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t = 1_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
