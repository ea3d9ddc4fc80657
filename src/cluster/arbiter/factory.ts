// The arbiter a node daemon uses, from the cluster config: the embedded disk arbiter, or
// etcd once `etcd.ts` exists (loaded lazily so the disk case never pulls in the etcd client).
import type { ClusterConfig } from '../model/config-schema.ts';
import { DiskArbiter } from './disk.ts';
import type { Arbiter, Clock } from './lease.ts';

/** The holder's safety margin: config `arbiter.margin` when set, else ttl / 6 (at least 100 ms, below ttl / 2). */
export function leaseMargin(config: ClusterConfig): number {
  const arbiter = config.arbiter as ClusterConfig['arbiter'] & { margin?: number };
  if (typeof arbiter.margin === 'number' && arbiter.margin > 0) return arbiter.margin;
  const ttl = arbiter.leaseTtl;
  return Math.min(Math.max(100, Math.round(ttl / 6)), Math.floor((ttl - 1) / 2));
}

type ArbiterClass = { create?: (...args: unknown[]) => Promise<Arbiter>; connect?: (...args: unknown[]) => Promise<Arbiter> };

export async function createArbiter(config: ClusterConfig, clock?: Clock): Promise<Arbiter> {
  const marginMs = leaseMargin(config);
  const a = config.arbiter;
  if (a.type === 'disk') return new DiskArbiter({ path: a.path, ttlMs: a.leaseTtl, marginMs, ...(clock ? { clock } : {}) });
  // A computed specifier: the module is another engineer's and may not exist in this checkout yet.
  const specifier = new URL('./etcd.ts', import.meta.url).href;
  let mod: Record<string, unknown>;
  try {
    mod = await import(specifier) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`the etcd arbiter is not available in this build (${(err as Error).message})`);
  }
  for (const value of Object.values(mod)) {
    const cls = value as ArbiterClass;
    const factory = typeof value === 'function' ? (cls.create ?? cls.connect) : undefined;
    if (typeof factory === 'function') {
      return factory.call(value, { endpoints: a.endpoints, ttlMs: a.leaseTtl, marginMs, ...(clock ? { clock } : {}) });
    }
  }
  throw new Error('src/cluster/arbiter/etcd.ts exports no class with a static create() or connect()');
}
