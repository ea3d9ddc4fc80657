// The etcd arbiter against the shared arbiter contract, on a real etcd (test/helpers/etcd.ts).
// etcd expires leases on its own clock, so the suite runs in real time, its cases at the same
// time, with ttl 1.9 s and margin 100 ms: etcd leases of ttl + margin = 2 s (etcd's shortest
// with its default election timeout), and 1.8 s of validity, so a renewal every ttl / 4 stays
// in time even on a loaded machine.
import { after, before } from 'node:test';
import { arbiterContract } from './_contract.ts';
import { EtcdArbiter } from './etcd.ts';
import { startEtcd, type EtcdServer } from '../../../test/helpers/etcd.ts';

let etcd: EtcdServer | null = null;
let clusters = 0;

before(async () => { etcd = await startEtcd(); });
after(async () => { await etcd?.stop(); });

arbiterContract('etcd arbiter', async (clock, timing) => {
  if (!etcd) throw new Error('etcd did not start');
  const endpoint = etcd.endpoint;
  // Every test gets its own cluster name, so its keys start empty.
  const cluster = `contract${++clusters}`;
  const views: EtcdArbiter[] = [];
  return {
    view: () => {
      const v = new EtcdArbiter({ endpoints: [endpoint], cluster, clock, ...timing });
      views.push(v);
      return v;
    },
    cleanup: async () => { for (const v of views) v.close(); },
  };
}, { realTime: true, concurrent: true, timing: { ttlMs: 1_900, marginMs: 100 }, expirySlackMs: 3_000 });
