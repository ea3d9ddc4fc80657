// The node daemon with the etcd arbiter (a real etcd): the group starts on sv1; SIGKILL of
// sv1's daemon hands it to sv2 once the etcd lease is gone, under a higher epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterHarness, eventually } from '../helpers/cluster.ts';
import { etcdAvailable, startEtcd, type EtcdServer } from '../helpers/etcd.ts';

test('etcd arbiter: start on sv1, SIGKILL -> sv2 with a higher epoch', { skip: etcdAvailable() ? false : 'etcd is not installed (Debian etcd-server)' }, async () => {
  let etcd: EtcdServer | null = null;
  etcd = await startEtcd();
  const endpoint = etcd.endpoint;
  const h = await new ClusterHarness({
    nodes: 2,
    groups: (c) => [{ name: 'mail', nodes: c.names(), resources: [{ name: 'app', type: 'script', params: { start: '/bin/true', stop: '/bin/true', env: { MARKER_DIR: c.markers } } }] }],
    configFor: (_node, base) => ({ ...base, arbiter: { type: 'etcd', endpoints: [endpoint], leaseTtl: '2s' } }),
  }).init();
  try {
    await h.start('sv1');
    await h.start('sv2');
    await eventually('mail running on sv1', () => h.runners('mail', 'app').join() === 'sv1', 30_000);
    const first = await eventually('sv2 sees sv1 hold', async () => { const g = (await h.status('sv2')).groups[0]!; return g.holder === 'sv1' ? g : null; }, 10_000);
    await h.kill('sv1');
    await eventually('mail running on sv2', async () => (await h.status('sv2')).groups[0]!.resources.sv2?.app === 'running', 30_000);
    const second = (await h.status('sv2')).groups[0]!;
    assert.equal(second.holder, 'sv2');
    assert.ok(second.epoch > first.epoch, `epoch ${second.epoch} > ${first.epoch}`);
    assert.equal(h.history().find((x) => x.node === 'sv2' && x.op === 'start')?.event, 'FAILOVER');
  } finally {
    await h.cleanup();
    await etcd?.stop();
  }
});
