// The etcd arbiter against the shared arbiter contract, on a real etcd (test/helpers/etcd.ts).
// etcd expires leases on its own clock, so the suite runs in real time with ttl 900 ms and
// margin 100 ms: etcd leases of ttl + margin = 1 s, which etcd grants when its election
// timeout is 500 ms (its shortest lease is ceil(1.5 * election timeout) seconds).
import { after, before } from 'node:test';
import { arbiterContract } from './_contract.ts';
import { EtcdArbiter } from './etcd.ts';
import { startEtcd, type EtcdServer } from '../../../test/helpers/etcd.ts';

let etcd: EtcdServer | null = null;
let clusters = 0;

before(async () => { etcd = await startEtcd({ electionTimeoutMs: 500 }); });
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
}, { realTime: true, timing: { ttlMs: 900, marginMs: 100 }, expirySlackMs: 2_000 });
