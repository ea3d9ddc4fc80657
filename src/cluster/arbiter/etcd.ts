// The etcd v3 arbiter: heartbeats and group leases as keys attached to etcd leases. etcd
// decides who may take a group (a transaction creates the owner key only if it is absent);
// the holder decides on its own, from the START of its last successful renewal, when to stop
// believing: never from the etcd3 library's lease-lost events, which come after twice the TTL.
// Keys, timing and failure cases are in docs/arbiter.md.
import { Etcd3, type ICallable, type ICompare, type IDuplexStream, type IKeyValue, type IOptions, type IRequestOp } from 'etcd3';
import {
  checkTiming, isLeaseValid, leaseValidUntil, monotonicClock,
  type AcquireResult, type Arbiter, type Clock, type HolderInfo, type Lease, type LeaseTiming, type RenewResult,
} from './lease.ts';
import { checkName } from './_disk-files.ts';
import { EndpointRest, isDeadline, isRefusal } from './etcd-endpoints.ts';
import { TandemError } from '../../lib/errors.ts';

export interface EtcdArbiterOptions extends LeaseTiming {
  /** Client URLs of the etcd members (config `arbiter.endpoints`); calls fail over between them. */
  readonly endpoints: readonly string[];
  /** Cluster name: every key lives under /tandem/<cluster>/. */
  readonly cluster: string;
  readonly clock?: Clock;
  /** Upper bound of every call (default: ttl). A renewal is also cut at the self-fence point. */
  readonly callTimeoutMs?: number;
  /** Passed to the etcd3 client as is (TLS credentials, user/password). */
  readonly credentials?: IOptions['credentials'];
  readonly auth?: IOptions['auth'];
}

/** The etcd lease length for a lease timing: ttl + margin, rounded up to whole seconds. */
export function etcdLeaseSeconds(t: LeaseTiming): number {
  return Math.ceil((t.ttlMs + t.marginMs) / 1_000);
}

/** A call that did not finish in time or was aborted by the caller: it counts as not done. */
class CallAborted extends Error {
  constructor(what: string, ms: number) {
    super(`etcd ${what}: no answer within ${ms} ms (aborted or deadline)`);
    this.name = 'CallAborted';
  }
}

interface OwnerValue {
  readonly holder: string;
}

interface Sighting {
  readonly revision: string;
  readonly since: number;
}

/** The generated gRPC client of etcd's Lease service, as far as the keep-alive goes. */
interface KeepAliveClient {
  leaseKeepAlive(metadata: unknown, options: { deadline: Date }): IDuplexStream<{ ID: string }, { TTL: string }>;
}

const encode = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const decodeHolder = (kv: IKeyValue): string => (JSON.parse(kv.value.toString('utf8')) as OwnerValue).holder;

export class EtcdArbiter implements Arbiter {
  readonly timing: LeaseTiming;
  /** The etcd lease length in seconds (what we ask etcd for). */
  readonly leaseSeconds: number;
  /** Why the last call that failed failed (for the daemon's log); null after a success. */
  lastError: Error | null = null;
  private readonly client: Etcd3;
  private readonly clock: Clock;
  private readonly prefix: string;
  private readonly callTimeoutMs: number;
  private readonly endpointCount: number;
  private readonly slots = new Map<string, Sighting>();
  private readonly beats = new Map<string, { counter: number; leaseId: string | null }>();
  private readonly known = new Map<string, HolderInfo>();

  constructor(opts: EtcdArbiterOptions) {
    this.timing = checkTiming({ ttlMs: opts.ttlMs, marginMs: opts.marginMs });
    if (opts.endpoints.length === 0) throw new RangeError('etcd arbiter needs at least one endpoint');
    this.leaseSeconds = etcdLeaseSeconds(this.timing);
    this.clock = opts.clock ?? monotonicClock;
    this.prefix = `/tandem/${checkName('cluster', opts.cluster)}/`;
    this.callTimeoutMs = opts.callTimeoutMs ?? this.timing.ttlMs;
    this.endpointCount = opts.endpoints.length;
    const rest = new EndpointRest(opts.endpoints);
    this.client = new Etcd3({
      hosts: [...opts.endpoints],
      dialTimeout: this.callTimeoutMs,
      // Not the library's per-host circuit breaker: it opens for 5 s after three failed calls,
      // even with one endpoint, and our own short deadlines (a renewal is cut at the
      // self-fence point) would trip it and blind the node exactly when it must renew.
      faultHandling: { host: (host: string) => rest.policy(host) },
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      ...(opts.auth ? { auth: opts.auth } : {}),
    });
  }

  /** Closes the connections; calls made afterwards fail. */
  close(): void {
    this.client.close();
  }

  private nodeKey(node: string): Buffer {
    return Buffer.from(`${this.prefix}nodes/${checkName('node', node)}`);
  }
  private ownerKey(group: string): Buffer {
    return Buffer.from(`${this.prefix}groups/${checkName('group', group)}/owner`);
  }
  /** Rewritten (without a lease) by every grant: its mod revision is the last epoch granted. */
  private epochKey(group: string): Buffer {
    return Buffer.from(`${this.prefix}groups/${checkName('group', group)}/epoch`);
  }

  async heartbeat(node: string, signal?: AbortSignal): Promise<void> {
    const key = this.nodeKey(node);
    const beat = this.beats.get(node) ?? { counter: 0, leaseId: null };
    this.beats.set(node, beat);
    beat.counter += 1;
    const value = encode({ node, counter: beat.counter });
    await this.unlessAborted(this.call('heartbeat', signal, this.callTimeoutMs, async (deadline) => {
      // The key rides on its own lease so a dead node's heartbeat disappears by itself.
      if (beat.leaseId === null || !(await this.keepAliveOnce(beat.leaseId, deadline))) {
        beat.leaseId = await this.grant(deadline);
      }
      try {
        await this.client.kv.put({ key, value, lease: beat.leaseId }, { deadline });
      } catch (err) {
        beat.leaseId = null; // expired between the keep-alive and the put: grant anew next time
        throw err;
      }
    }), 'heartbeat', undefined);
  }

  async peers(signal?: AbortSignal): Promise<ReadonlyMap<string, number>> {
    const kvs = await this.unlessAborted(this.call('peers', signal, this.callTimeoutMs, async (deadline) => {
      const start = Buffer.from(`${this.prefix}nodes/`);
      return (await this.client.kv.range({ key: start, range_end: prefixEnd(start) }, { deadline })).kvs;
    }), 'peers', []);
    const now = this.clock.now();
    for (const kv of kvs) {
      const node = kv.key.toString('utf8').slice(this.prefix.length + 'nodes/'.length);
      const prev = this.slots.get(node);
      // Any put changes the mod revision: "changed" needs no clock of the writer's.
      if (!prev || prev.revision !== kv.mod_revision) this.slots.set(node, { revision: kv.mod_revision, since: now });
    }
    return new Map([...this.slots].map(([node, s]) => [node, s.since]));
  }

  async acquire(group: string, node: string, signal?: AbortSignal): Promise<AcquireResult> {
    checkName('node', node);
    const startedAt = this.clock.now();
    let leaseId: string | null = null;
    try {
      const result = await this.call('acquire', signal, this.callTimeoutMs, async (deadline) => {
        try {
          leaseId = await this.grant(deadline);
          return await this.createOwner(group, node, leaseId, startedAt, deadline);
        } catch (err) {
          // The transaction may have landed even though we got no answer: revoking frees the group.
          this.revokeQuietly(leaseId);
          throw err;
        }
      }, (late) => { if (late.ok) this.revokeQuietly(leaseId); });
      if (!result.ok) {
        this.revokeQuietly(leaseId);
      } else if (!isLeaseValid(result.lease, this.clock.now())) {
        // Too slow (paused?): etcd's countdown began at the grant, ours at startedAt.
        this.revokeQuietly(leaseId);
        return { ok: false, reason: 'timeout', current: { holder: node, epoch: result.lease.epoch } };
      }
      this.lastError = null;
      return result;
    } catch (err) {
      this.lastError = asError(err);
      return { ok: false, reason: 'timeout', current: this.known.get(group) ?? { holder: null, epoch: 0 } };
    }
  }

  /** The grant itself: create the owner key only if it is absent (create revision 0). */
  private async createOwner(group: string, node: string, leaseId: string, startedAt: number, deadline: Date): Promise<AcquireResult> {
    const owner = this.ownerKey(group);
    const value = encode({ holder: node } satisfies OwnerValue);
    const absent: ICompare = { key: owner, target: 'Create', result: 'Equal', create_revision: 0 };
    const success: IRequestOp[] = [
      { request_put: { key: owner, value, lease: leaseId } },
      { request_put: { key: this.epochKey(group), value } },
    ];
    const failure: IRequestOp[] = [{ request_range: { key: owner } }];
    const txn = await this.client.kv.txn({ compare: [absent], success, failure }, { deadline });
    if (!txn.succeeded) {
      const current = txn.responses[0]?.response_range.kvs[0];
      const info: HolderInfo = current
        ? { holder: decodeHolder(current), epoch: Number(current.create_revision) }
        : { holder: null, epoch: this.known.get(group)?.epoch ?? 0 };
      this.known.set(group, info);
      return { ok: false, reason: 'held', current: info };
    }
    // Both puts share the transaction's revision, which is the owner key's create revision:
    // etcd revisions only grow, so every grant gets a higher epoch than any before it.
    const epoch = Number(txn.header.revision);
    this.known.set(group, { holder: node, epoch });
    return { ok: true, lease: { group, holder: node, epoch, renewedAtMs: startedAt, timing: this.timing } };
  }

  async renew(lease: Lease, signal?: AbortSignal): Promise<RenewResult> {
    const startedAt = this.clock.now();
    if (signal?.aborted) return { ok: false, reason: 'timeout' };
    // Never revive: past ttl - margin the others may be about to count us out.
    if (!isLeaseValid(lease, startedAt)) return { ok: false, reason: 'expired' };
    // An answer after the self-fence point is useless: cut the call there.
    const budget = Math.min(this.callTimeoutMs, leaseValidUntil(lease) - startedAt);
    try {
      const outcome = await this.call('renew', signal, budget, async (deadline): Promise<'ok' | 'expired' | 'superseded'> => {
        const r = await this.client.kv.range({ key: this.ownerKey(lease.group) }, { deadline });
        const kv = r.kvs[0];
        if (!kv) return 'expired'; // etcd dropped our lease (or we released it)
        if (Number(kv.create_revision) !== lease.epoch) return 'superseded';
        return (await this.keepAliveOnce(kv.lease, deadline)) ? 'ok' : 'expired';
      });
      this.lastError = null;
      if (outcome !== 'ok') return { ok: false, reason: outcome };
    } catch (err) {
      this.lastError = asError(err);
      return { ok: false, reason: 'timeout' };
    }
    const renewed: Lease = { ...lease, renewedAtMs: startedAt };
    // A renewal that finished after the self-fence point counts as lost.
    if (!isLeaseValid(renewed, this.clock.now())) return { ok: false, reason: 'expired' };
    return { ok: true, lease: renewed };
  }

  async release(lease: Lease, signal?: AbortSignal): Promise<void> {
    const owner = this.ownerKey(lease.group);
    try {
      await this.call('release', signal, this.callTimeoutMs, async (deadline) => {
        // Delete only our own grant: a later holder's key has another create revision.
        const ours: ICompare = { key: owner, target: 'Create', result: 'Equal', create_revision: lease.epoch };
        const txn = await this.client.kv.txn({ compare: [ours], success: [{ request_delete_range: { key: owner, prev_kv: true } }], failure: [] }, { deadline });
        const prev = txn.succeeded ? txn.responses[0]?.response_delete_range.prev_kvs[0] : undefined;
        if (prev && prev.lease !== '0') await this.client.leaseClient.leaseRevoke({ ID: prev.lease }, { deadline });
      });
      this.lastError = null;
    } catch (err) {
      // Not released: the lease runs out in etcd by itself.
      this.lastError = asError(err);
    }
  }

  async holder(group: string, signal?: AbortSignal): Promise<HolderInfo> {
    const owner = this.ownerKey(group);
    const epochKey = this.epochKey(group);
    try {
      const info = await this.call('holder', signal, this.callTimeoutMs, async (deadline): Promise<HolderInfo> => {
        // One transaction: both keys at the same revision.
        const txn = await this.client.kv.txn({ compare: [], success: [{ request_range: { key: owner } }, { request_range: { key: epochKey } }], failure: [] }, { deadline });
        const ownerKv = txn.responses[0]?.response_range.kvs[0];
        const epochKv = txn.responses[1]?.response_range.kvs[0];
        if (ownerKv) return { holder: decodeHolder(ownerKv), epoch: Number(ownerKv.create_revision) };
        return { holder: null, epoch: epochKv ? Number(epochKv.mod_revision) : 0 };
      });
      this.known.set(group, info);
      this.lastError = null;
      return info;
    } catch (err) {
      this.lastError = asError(err);
      return this.known.get(group) ?? { holder: null, epoch: 0 };
    }
  }

  /**
   * A call cut by its deadline or the caller's signal yields `fallback` (not done, like the
   * disk arbiter); any other failure (refused, etcd error) rejects as a temporary TandemError.
   */
  private async unlessAborted<T>(running: Promise<T>, what: string, fallback: T): Promise<T> {
    try {
      const v = await running;
      this.lastError = null;
      return v;
    } catch (err) {
      this.lastError = asError(err);
      if (err instanceof CallAborted) return fallback;
      throw new TandemError('arbiter-unavailable', 'temp', `etcd ${what} failed: ${this.lastError.message}`);
    }
  }

  private async grant(deadline: Date): Promise<string> {
    const g = await this.client.leaseClient.leaseGrant({ TTL: this.leaseSeconds, ID: 0 }, { deadline });
    if (g.error) throw new Error(`etcd refused a ${this.leaseSeconds} s lease: ${g.error}`);
    // etcd may lengthen a lease (its minimum), never shorten it; a shorter one would break the margin.
    if (Number(g.TTL) < this.leaseSeconds) throw new Error(`etcd granted a ${g.TTL} s lease for ${this.leaseSeconds} s`);
    return g.ID;
  }

  /**
   * One keep-alive on a lease; false when etcd no longer knows it (expired or revoked). The
   * library does not retry streams, so a refused endpoint is retried here on the next one.
   */
  private async keepAliveOnce(leaseId: string, deadline: Date): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.keepAliveAttempt(leaseId, deadline);
      } catch (err) {
        if (!isRefusal(err) || attempt >= this.endpointCount || Date.now() >= deadline.getTime()) throw err;
      }
    }
  }

  /**
   * The keep-alive stream is opened inside the pool's per-endpoint policy and the policy waits
   * for the answer, so an endpoint that lets it run into the deadline is skipped next time,
   * like for unary calls. (The library's leaseKeepAlive() returns the stream at once, and a
   * stream that fails later is often not reported to the policy.)
   */
  private async keepAliveAttempt(leaseId: string, deadline: Date): Promise<boolean> {
    const pool = (this.client as unknown as { pool: ICallable<unknown> }).pool;
    return pool.withConnection('Lease', async ({ client, metadata }) => {
      const stream = (client as unknown as KeepAliveClient).leaseKeepAlive(metadata, { deadline });
      try {
        const res = await new Promise<{ TTL: string }>((resolve, reject) => {
          stream.on('data', resolve);
          stream.on('error', reject);
          stream.on('end', () => reject(new Error('etcd keep-alive stream ended without an answer')));
          stream.write({ ID: leaseId });
        });
        return Number(res.TTL) > 0;
      } finally {
        stream.cancel();
      }
    });
  }

  /** Best effort, bounded, in the background: a lease we will not use should not block the group. */
  private revokeQuietly(leaseId: string | null): void {
    if (leaseId === null) return;
    const deadline = new Date(Date.now() + this.callTimeoutMs);
    this.client.leaseClient.leaseRevoke({ ID: leaseId }, { deadline }).catch(() => undefined);
  }

  /**
   * Runs one etcd exchange with a gRPC deadline of `budgetMs` and the caller's signal. The
   * etcd3 client can wait forever on a hung endpoint: the deadline ends the gRPC calls, and the
   * race below ends our wait even if the library does not notice.
   */
  private async call<T>(what: string, signal: AbortSignal | undefined, budgetMs: number, work: (deadline: Date) => Promise<T>, onLate?: (value: T) => void): Promise<T> {
    const ms = Math.max(1, Math.floor(budgetMs));
    const bound = signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);
    if (bound.aborted) throw new CallAborted(what, ms);
    const running = work(new Date(Date.now() + ms));
    return new Promise<T>((resolve, reject) => {
      let gaveUp = false;
      const abort = (): void => { gaveUp = true; reject(new CallAborted(what, ms)); };
      bound.addEventListener('abort', abort, { once: true });
      running.then(
        (v) => { bound.removeEventListener('abort', abort); if (gaveUp) onLate?.(v); else resolve(v); },
        // gRPC's own deadline may fire a moment before our timer: the same "no answer in time".
        (e: unknown) => { bound.removeEventListener('abort', abort); reject(isDeadline(e) ? new CallAborted(what, ms) : e); },
      );
    });
  }
}

/** The range end that covers every key starting with `prefix` (etcd's "prefix + 1"). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
