// The arbiter a node daemon uses, from the cluster config: the embedded disk arbiter, or
// etcd (loaded lazily so the disk case never pulls in the etcd client).
import { defaultLeaseMargin, type ClusterConfig } from '../model/config-schema.ts';
import { DiskArbiter } from './disk.ts';
import type { Arbiter, Clock } from './lease.ts';

/** The holder's safety margin: config `arbiter.margin` (filled in by the schema, default ttl / 6). */
export function leaseMargin(config: ClusterConfig): number {
  const a = config.arbiter as ClusterConfig['arbiter'] & { margin?: number };
  return typeof a.margin === 'number' && a.margin > 0 ? a.margin : defaultLeaseMargin(a.leaseTtl);
}

type ArbiterClass = { create?: (...args: unknown[]) => Promise<Arbiter>; connect?: (...args: unknown[]) => Promise<Arbiter> };

export async function createArbiter(config: ClusterConfig, clock?: Clock): Promise<Arbiter> {
  const marginMs = leaseMargin(config);
  const a = config.arbiter;
  if (a.type === 'disk') return new DiskArbiter({ path: a.path, ttlMs: a.leaseTtl, marginMs, ...(clock ? { clock } : {}) });
  // Loaded only for etcd clusters, so a disk cluster never pulls in the etcd client.
  const { EtcdArbiter } = await import('./etcd.ts');
  const opts = { cluster: config.cluster.name, endpoints: a.endpoints, ttlMs: a.leaseTtl, marginMs, ...(clock ? { clock } : {}) };
  const factory = (EtcdArbiter as unknown as ArbiterClass).create ?? (EtcdArbiter as unknown as ArbiterClass).connect;
  if (typeof factory === 'function') return factory.call(EtcdArbiter, opts);
  return new EtcdArbiter(opts);
}
