// The embedded disk arbiter (SBD / disk-heartbeat style): files in a directory on shared
// storage, staleness judged on each observer's own monotonic clock. Why it never grants
// two holders at once is argued in docs/arbiter.md; the steps below follow that argument.
import { join } from 'node:path';
import {
  checkTiming, isLeaseValid, monotonicClock, withSignal,
  type AcquireResult, type Arbiter, type Clock, type HolderInfo, type Lease, type LeaseTiming, type RenewResult,
} from './lease.ts';
import {
  checkName, claimPath, collectOldClaims, createClaim, ensureDir, groupDir, listEpochs, newWriteId,
  readRaw, readSlots, readTopClaim, writeClaim, writeSlot, type ClaimRead, type ClaimRecord,
} from './_disk-files.ts';

export interface DiskArbiterOptions extends LeaseTiming {
  /** Directory on the shared storage (config `arbiter.path`). */
  readonly path: string;
  readonly clock?: Clock;
}

/** What this observer saw of some file, and since when (our clock) it has looked like that. */
interface Sighting {
  readonly key: string;
  readonly since: number;
}

export class DiskArbiter implements Arbiter {
  readonly timing: LeaseTiming;
  private readonly clock: Clock;
  private readonly root: string;
  private readonly claims = new Map<string, Sighting>();
  private readonly slots = new Map<string, Sighting>();
  private readonly beats = new Map<string, number>();
  /** One operation per group at a time, even when a caller gave up waiting on an earlier one. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(opts: DiskArbiterOptions) {
    this.timing = checkTiming({ ttlMs: opts.ttlMs, marginMs: opts.marginMs });
    this.clock = opts.clock ?? monotonicClock;
    this.root = opts.path;
  }

  async heartbeat(node: string, signal?: AbortSignal): Promise<void> {
    checkName('node', node);
    const counter = (this.beats.get(node) ?? 0) + 1;
    this.beats.set(node, counter);
    const work = (): Promise<void> => this.serial(`node:${node}`, async () => {
      await ensureDir(join(this.root, 'nodes'));
      await writeSlot(this.root, node, counter, this.clock.now());
    });
    return withSignal(this.bound(signal), work, () => undefined);
  }

  async peers(signal?: AbortSignal): Promise<ReadonlyMap<string, number>> {
    const work = async (): Promise<ReadonlyMap<string, number>> => {
      for (const [node, raw] of await readSlots(this.root)) this.sight(this.slots, node, raw);
      return this.lastSeen();
    };
    return withSignal(this.bound(signal), work, () => this.lastSeen());
  }

  async acquire(group: string, node: string, signal?: AbortSignal): Promise<AcquireResult> {
    checkName('node', node);
    const dir = groupDir(this.root, group);
    const current = (): HolderInfo => this.lastKnown(group);
    return withSignal(this.bound(signal), () => this.serial(`group:${group}`, () => this.acquireNow(dir, group, node)),
      () => ({ ok: false, reason: 'timeout', current: current() }));
  }

  private async acquireNow(dir: string, group: string, node: string): Promise<AcquireResult> {
    await ensureDir(dir);
    const top = await readTopClaim(dir);
    if (top) {
      const since = this.sight(this.claims, group, top.raw);
      const silent = this.clock.now() - since > this.timing.ttlMs + this.timing.marginMs;
      // Released, or unchanged for ttl + margin on OUR clock: its holder has stopped believing.
      if (!top.record.released && !silent) return { ok: false, reason: 'held', current: { holder: top.record.holder, epoch: top.epoch } };
    }
    const epoch = (top?.epoch ?? 0) + 1;
    const startedAt = this.clock.now();
    const record: ClaimRecord = { group, holder: node, epoch, counter: 0, writeId: newWriteId(), released: false };
    if (!(await createClaim(dir, record))) return { ok: false, reason: 'contended', current: this.infoOf(await readTopClaim(dir)) };
    // Re-check after the link: a renewal of the predecessor that landed since we judged it
    // silent means its holder may still believe; we step back (and so does it, seeing our
    // higher epoch). Someone above us means we lost a race with a stale view.
    const predecessorUnchanged = top === null || (await readRaw(claimPath(dir, top.epoch))) === top.raw;
    const [highest] = await listEpochs(dir);
    if (!predecessorUnchanged || highest !== epoch) {
      await writeClaim(dir, { ...record, writeId: newWriteId(), released: true });
      return { ok: false, reason: 'contended', current: this.infoOf(await readTopClaim(dir)) };
    }
    const lease: Lease = { group, holder: node, epoch, renewedAtMs: startedAt, timing: this.timing };
    // Too slow (paused?): the others may already count this grant as silent.
    if (!isLeaseValid(lease, this.clock.now())) return { ok: false, reason: 'timeout', current: { holder: node, epoch } };
    await collectOldClaims(dir, epoch);
    return { ok: true, lease };
  }

  async renew(lease: Lease, signal?: AbortSignal): Promise<RenewResult> {
    const dir = groupDir(this.root, lease.group);
    return withSignal(this.bound(signal), () => this.serial(`group:${lease.group}`, () => this.renewNow(dir, lease)),
      () => ({ ok: false, reason: 'timeout' }));
  }

  private async renewNow(dir: string, lease: Lease): Promise<RenewResult> {
    const startedAt = this.clock.now();
    // Never revive: past ttl - margin the others may be about to count us out.
    if (!isLeaseValid(lease, startedAt)) return { ok: false, reason: 'expired' };
    const [before] = await listEpochs(dir);
    if (before !== undefined && before > lease.epoch) return { ok: false, reason: 'superseded' };
    const prev = await readRaw(claimPath(dir, lease.epoch));
    const counter = prev === null ? 1 : (JSON.parse(prev) as ClaimRecord).counter + 1;
    await writeClaim(dir, { group: lease.group, holder: lease.holder, epoch: lease.epoch, counter, writeId: newWriteId(), released: false });
    // Checked AFTER our write is visible: an acquirer that linked before this listing is seen
    // here; one that links after it will re-read our claim and find our write (it steps back).
    const [highest] = await listEpochs(dir);
    if (highest !== lease.epoch) return { ok: false, reason: 'superseded' };
    const renewed: Lease = { ...lease, renewedAtMs: startedAt };
    if (!isLeaseValid(renewed, this.clock.now())) return { ok: false, reason: 'expired' };
    return { ok: true, lease: renewed };
  }

  async release(lease: Lease, signal?: AbortSignal): Promise<void> {
    const dir = groupDir(this.root, lease.group);
    const work = (): Promise<void> => this.serial(`group:${lease.group}`, async () => {
      const record: ClaimRecord = { group: lease.group, holder: lease.holder, epoch: lease.epoch, counter: 0, writeId: newWriteId(), released: true };
      await writeClaim(dir, record);
    });
    return withSignal(this.bound(signal), work, () => undefined);
  }

  async holder(group: string, signal?: AbortSignal): Promise<HolderInfo> {
    const work = async (): Promise<HolderInfo> => {
      const top = await readTopClaim(groupDir(this.root, group));
      if (top) this.sight(this.claims, group, top.raw);
      return this.lastKnown(group, top);
    };
    return withSignal(this.bound(signal), work, () => this.lastKnown(group));
  }

  /** Records a sighting; returns since when (our clock) the content has been unchanged. */
  private sight(map: Map<string, Sighting>, name: string, key: string): number {
    const prev = map.get(name);
    if (prev && prev.key === key) return prev.since;
    const since = this.clock.now();
    map.set(name, { key, since });
    return since;
  }

  private lastSeen(): ReadonlyMap<string, number> {
    return new Map([...this.slots].map(([node, s]) => [node, s.since]));
  }

  /** From a fresh read when given one, else from our last sighting (a timed-out call). */
  private lastKnown(group: string, top?: ClaimRead | null): HolderInfo {
    const raw = top === undefined ? this.claims.get(group)?.key : top?.raw;
    if (!raw) return { holder: null, epoch: 0 };
    const record = JSON.parse(raw) as ClaimRecord;
    const since = this.claims.get(group)?.since ?? this.clock.now();
    const freeAtMs = since + this.timing.ttlMs + this.timing.marginMs;
    if (record.released || this.clock.now() > freeAtMs) return { holder: null, epoch: record.epoch };
    return { holder: record.holder, epoch: record.epoch, freeAtMs };
  }

  private infoOf(top: ClaimRead | null): HolderInfo {
    return top ? { holder: top.record.released ? null : top.record.holder, epoch: top.epoch } : { holder: null, epoch: 0 };
  }

  /** Every call is bounded: without a caller's signal, one TTL (a slower answer is useless). */
  private bound(signal: AbortSignal | undefined): AbortSignal {
    const own = AbortSignal.timeout(this.timing.ttlMs);
    return signal ? AbortSignal.any([signal, own]) : own;
  }

  private serial<T>(key: string, op: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(op, op);
    const tail = next.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => { if (this.queues.get(key) === tail) this.queues.delete(key); });
    return next;
  }
}
