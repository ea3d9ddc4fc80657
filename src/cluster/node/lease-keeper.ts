// This node's leases: acquiring, renewing every cycle, releasing, and judging them ONLY by
// the last successful renewal on our own monotonic clock (lease.ts's rule). A lease that is
// no longer valid is never renewed or acted on again; it is remembered as "lost" so the
// policy sees "holder is me, not valid" and stops everything of the group at once.
import { isLeaseValid, leaseValidUntil, type Arbiter, type Clock, type HolderInfo, type Lease } from '../arbiter/lease.ts';
import type { LeaseStatus } from '../model/status.ts';

export interface LeaseChange {
  readonly group: string;
  readonly kind: 'acquired' | 'renew-failed' | 'lost' | 'released';
  readonly epoch: number;
  readonly reason: string;
}

export class LeaseKeeper {
  private readonly held = new Map<string, Lease>();
  /** Leases we held and can no longer act on: validUntil is in the past. */
  private readonly lost = new Map<string, { epoch: number; validUntilMs: number }>();
  private readonly holders = new Map<string, HolderInfo>();
  /** The last node (us included) seen holding each group: another one means CLP_EVENT=FAILOVER. */
  private readonly previousHolder = new Map<string, string>();
  private readonly renewing = new Set<string>();

  constructor(private readonly arbiter: Arbiter, private readonly self: string, private readonly clock: Clock, private readonly callTimeoutMs: number) {}

  /** Groups whose lease we hold and may act on right now. */
  heldGroups(): string[] {
    return [...this.held.keys()].filter((g) => this.validEpoch(g) !== null);
  }

  validEpoch(group: string): number | null {
    const lease = this.held.get(group);
    return lease && isLeaseValid(lease, this.clock.now()) ? lease.epoch : null;
  }

  validUntil(group: string): number | null {
    const lease = this.held.get(group);
    return lease ? leaseValidUntil(lease) : null;
  }

  /** The earliest deadline among held leases (for the guard), or null when we hold none. */
  earliestDeadline(): number | null {
    const all = [...this.held.values()].map(leaseValidUntil);
    return all.length > 0 ? Math.min(...all) : null;
  }

  /**
   * Moves every held lease that is past its validity to `lost` (called first thing every
   * cycle, and before anything else after the loop noticed a pause).
   */
  dropInvalid(): LeaseChange[] {
    const out: LeaseChange[] = [];
    const now = this.clock.now();
    for (const [group, lease] of this.held) {
      if (isLeaseValid(lease, now)) continue;
      this.held.delete(group);
      this.lost.set(group, { epoch: lease.epoch, validUntilMs: leaseValidUntil(lease) });
      out.push({ group, kind: 'lost', epoch: lease.epoch, reason: `not renewed in time: valid until ${Math.round(leaseValidUntil(lease))} ms, now ${Math.round(now)} ms (monotonic)` });
    }
    return out;
  }

  /** Renews every held lease once (in parallel); never revives an expired one. */
  async renewAll(): Promise<LeaseChange[]> {
    const out: LeaseChange[] = [];
    await Promise.all([...this.held.values()].map(async (lease) => {
      if (this.renewing.has(lease.group)) return;
      this.renewing.add(lease.group);
      try {
        const r = await this.arbiter.renew(lease, AbortSignal.timeout(this.callTimeoutMs));
        if (this.held.get(lease.group)?.epoch !== lease.epoch) return; // released meanwhile
        if (r.ok) {
          // Keep the later renewal if two overlapped (the arbiter serializes them anyway).
          const cur = this.held.get(lease.group);
          if (!cur || r.lease.renewedAtMs >= cur.renewedAtMs) this.held.set(lease.group, r.lease);
        } else if (r.reason === 'timeout') {
          out.push({ group: lease.group, kind: 'renew-failed', epoch: lease.epoch, reason: 'renewal timed out; the lease stays valid until its old deadline and no longer' });
        } else {
          this.held.delete(lease.group);
          this.lost.set(lease.group, { epoch: lease.epoch, validUntilMs: Math.min(leaseValidUntil(lease), this.clock.now()) });
          out.push({ group: lease.group, kind: 'lost', epoch: lease.epoch, reason: `renewal refused: ${r.reason}` });
        }
      } catch (err) {
        out.push({ group: lease.group, kind: 'renew-failed', epoch: lease.epoch, reason: `renewal failed: ${(err as Error).message}` });
      } finally {
        this.renewing.delete(lease.group);
      }
    }));
    return out;
  }

  /** Refreshes who holds each group, as the arbiter reports it. */
  async refreshHolders(groups: readonly string[]): Promise<void> {
    await Promise.all(groups.map(async (g) => {
      try {
        const info = await this.arbiter.holder(g, AbortSignal.timeout(this.callTimeoutMs));
        this.holders.set(g, info);
        // Ourselves only through a real grant (acquire): a claim of ours that never became a
        // lease (a timed-out acquisition) must not hide the node we are taking over from.
        if (info.holder !== null && info.holder !== this.self) this.previousHolder.set(g, info.holder);
        const lost = this.lost.get(g);
        // Someone else holds it now, or it is free: the lost lease is history.
        if (lost && (info.holder !== this.self || info.epoch > lost.epoch)) this.lost.delete(g);
      } catch {
        // Keep the last answer: an observer cut off from the arbiter never acts on missing information.
      }
    }));
  }

  /** The earliest instant another node's lease becomes free as we watch it (disk arbiter), or null. */
  nextFreeAt(): number | null {
    const times = [...this.holders.values()].flatMap((h) => (h.holder !== null && h.holder !== this.self && h.freeAtMs !== undefined ? [h.freeAtMs] : []));
    return times.length > 0 ? Math.min(...times) : null;
  }

  async acquire(group: string, signal: AbortSignal): Promise<{ ok: true; epoch: number; from: string | null } | { ok: false; reason: string }> {
    const r = await this.arbiter.acquire(group, this.self, AbortSignal.any([signal, AbortSignal.timeout(this.callTimeoutMs)]));
    if (!r.ok) {
      if (r.current.holder !== null && r.current.holder !== this.self) this.previousHolder.set(group, r.current.holder);
      return { ok: false, reason: `${r.reason}${r.current.holder ? ` (holder ${r.current.holder}, epoch ${r.current.epoch})` : ''}` };
    }
    const from = this.previousHolder.get(group) ?? null;
    this.held.set(group, r.lease);
    this.lost.delete(group);
    this.holders.set(group, { holder: this.self, epoch: r.lease.epoch });
    this.previousHolder.set(group, this.self);
    return { ok: true, epoch: r.lease.epoch, from };
  }

  /** Stops believing first, then tells the arbiter. */
  async release(group: string, epoch: number): Promise<boolean> {
    const lease = this.held.get(group);
    if (!lease || lease.epoch !== epoch) return false;
    this.held.delete(group);
    this.holders.set(group, { holder: null, epoch });
    await this.arbiter.release(lease, AbortSignal.timeout(this.callTimeoutMs));
    return true;
  }

  /** The lease as the policy must see it. */
  status(group: string): LeaseStatus {
    const lease = this.held.get(group);
    if (lease) return { holder: this.self, epoch: lease.epoch, validUntilMs: leaseValidUntil(lease) };
    const lost = this.lost.get(group);
    if (lost) return { holder: this.self, epoch: lost.epoch, validUntilMs: lost.validUntilMs };
    const info = this.holders.get(group) ?? { holder: null, epoch: 0 };
    // The arbiter names us but we hold no lease object (we restarted): not valid, so nothing
    // runs here until it expires and we acquire again like everyone else.
    return { holder: info.holder, epoch: info.epoch, validUntilMs: null };
  }

  previousHolderOf(group: string): string | null {
    return this.previousHolder.get(group) ?? null;
  }

  /** Releases everything (graceful shutdown, after the resources are stopped). */
  async releaseAll(): Promise<Array<{ group: string; epoch: number; ok: boolean }>> {
    return Promise.all([...this.held.values()].map(async (l) => ({ group: l.group, epoch: l.epoch, ok: await this.release(l.group, l.epoch).catch(() => false) })));
  }
}
