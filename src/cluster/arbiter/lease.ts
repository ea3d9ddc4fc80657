// The arbiter interface: per-node heartbeats and per-group leases with a fencing epoch.
// Backends (memory, disk, later etcd) differ in storage; the holder-side rule is shared:
// a holder judges its lease only from its last successful renewal, on its own clock.
import { performance } from 'node:perf_hooks';

/** A monotonic clock in milliseconds (performance.now() in production, manual in tests). */
export interface Clock {
  now(): number;
}

export const monotonicClock: Clock = { now: () => performance.now() };

/** Timing shared by every node of a cluster. Invariant: 0 < 2 * marginMs < ttlMs. */
export interface LeaseTiming {
  /** How long an unrenewed lease lasts, as the other nodes judge it. */
  readonly ttlMs: number;
  /**
   * Safety margin: the holder stops believing at ttl - margin after its last renewal began;
   * the others take over only after ttl + margin of silence. Covers clock-rate drift and the
   * latency between a write and its visibility.
   */
  readonly marginMs: number;
}

export interface Lease {
  readonly group: string;
  readonly holder: string;
  /** Fencing token: strictly greater for every grant of this group (etcd: the revision). */
  readonly epoch: number;
  /** Holder's clock when the last successful renewal (or the acquisition) STARTED. */
  readonly renewedAtMs: number;
  readonly timing: LeaseTiming;
}

/** Until when (holder's clock) the holder may act on the lease. */
export function leaseValidUntil(lease: Lease): number {
  return lease.renewedAtMs + lease.timing.ttlMs - lease.timing.marginMs;
}

/** The self-fence rule: valid strictly before renewedAt + ttl - margin, never after. */
export function isLeaseValid(lease: Lease, nowMs: number): boolean {
  return nowMs < leaseValidUntil(lease);
}

/** Who holds a group as far as this observer can tell; null holder when free or released. */
export interface HolderInfo {
  readonly holder: string | null;
  /** Highest epoch granted so far (0 when never granted). */
  readonly epoch: number;
  /**
   * When (this observer's clock) a holder that stays silent from now on becomes free for
   * this observer, where the arbiter can tell (disk: last change seen + ttl + margin). A
   * hint to wake up at that instant instead of the next heartbeat; acquire() decides.
   */
  readonly freeAtMs?: number;
}

export type RefusalReason =
  | 'held' // someone else's lease is live (or not yet observed stale long enough)
  | 'contended' // another acquirer or the old holder raced us; try again later
  | 'timeout'; // the call was aborted or the arbiter did not answer in time

export type AcquireResult =
  | { readonly ok: true; readonly lease: Lease }
  | { readonly ok: false; readonly reason: RefusalReason; readonly current: HolderInfo };

export type LossReason =
  | 'expired' // the renewal started after (or finished past) the self-fence point
  | 'superseded' // a higher epoch exists: someone took over
  | 'timeout'; // aborted or too slow: not renewed (the old lease still counts until it ends)

export type RenewResult =
  | { readonly ok: true; readonly lease: Lease }
  | { readonly ok: false; readonly reason: LossReason };

export interface Arbiter {
  readonly timing: LeaseTiming;
  /** Publishes that `node` is alive (a new heartbeat value). */
  heartbeat(node: string, signal?: AbortSignal): Promise<void>;
  /**
   * node -> when THIS observer last saw that node's heartbeat change, on this observer's
   * clock. A node first seen now counts as seen now (its true age is unknowable).
   */
  peers(signal?: AbortSignal): Promise<ReadonlyMap<string, number>>;
  /** Takes the group's lease if it is free, released, or silent past ttl + margin as we watched it. */
  acquire(group: string, node: string, signal?: AbortSignal): Promise<AcquireResult>;
  /** Extends a lease that is still valid; an expired lease is never revived (acquire again). */
  renew(lease: Lease, signal?: AbortSignal): Promise<RenewResult>;
  /** Gives the lease up so another node may acquire at once. The caller stops believing first. */
  release(lease: Lease, signal?: AbortSignal): Promise<void>;
  holder(group: string, signal?: AbortSignal): Promise<HolderInfo>;
}

/** Rejects timing that would let the holder's belief outlive the others' patience. */
export function checkTiming(t: LeaseTiming): LeaseTiming {
  if (!(t.ttlMs > 0 && t.marginMs > 0 && 2 * t.marginMs < t.ttlMs)) {
    throw new RangeError(`lease timing needs 0 < 2 * margin < ttl; got ttl ${t.ttlMs} ms, margin ${t.marginMs} ms`);
  }
  return t;
}

/**
 * Runs `work` unless the signal already fired, and resolves `onAbort()` if it fires first.
 * The work itself is not cancelled (an fs call cannot be); callers serialize per key.
 */
export function withSignal<T>(signal: AbortSignal | undefined, work: () => Promise<T>, onAbort: () => T): Promise<T> {
  if (!signal) return work();
  if (signal.aborted) return Promise.resolve(onAbort());
  const running = work();
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => resolve(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    running.then(
      (v) => { signal.removeEventListener('abort', abort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', abort); reject(e); },
    );
  });
}
