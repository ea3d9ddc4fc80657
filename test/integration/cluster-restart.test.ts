// A node daemon stopped with SIGTERM stops its resources, releases its lease and dismisses
// its guard (nothing fenced); operator requests survive the restart (a stopped group stays
// stopped); a released lease is taken again at once on the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterHarness, eventually, isAlive } from '../helpers/cluster.ts';

test('node restart: SIGTERM stops cleanly, the operator stop survives a restart, a released lease is retaken at once', async () => {
  const h = await new ClusterHarness({
    nodes: 1,
    groups: (c) => [{ name: 'mail', nodes: ['sv1'], resources: [
      { name: 'app', type: 'script', params: { start: '/bin/true', stop: '/bin/true', env: { MARKER_DIR: c.markers } } },
      { name: 'svc', type: 'service', dependsOn: ['app'], params: { command: ['sleep', '1000'] } },
    ] }],
  }).init();
  const running = () => eventually('mail running on sv1', async () => (await h.status('sv1')).groups[0]!.resources.sv1?.svc === 'running', 30_000);
  try {
    const first = await h.start('sv1');
    await running();
    const pid = Number(readFileSync(join(h.dir, 'state', 'sv1', 'resources', 'mail', 'svc', 'svc.pid'), 'utf8'));

    // SIGTERM: resources stopped by the daemon itself, lease released, guard leaves quietly.
    const exit = new Promise<number | null>((r) => first.proc.once('exit', (code) => r(code)));
    await h.stop('sv1');
    assert.equal(await exit, 0);
    assert.ok(!isAlive(pid), 'service stopped');
    assert.deepEqual(h.runners('mail', 'app'), []);
    await eventually('guard exited cleanly', () => h.guardLog('sv1').some((e) => e.kind === 'guard.exit'), 10_000);
    assert.ok(!h.guardLog('sv1').some((e) => e.kind === 'guard.fenced'), 'a clean stop fences nothing');
    await eventually('lease.released logged', () => h.events('sv1').some((e) => e.kind === 'lease.released'), 5_000);

    // Released: the next start acquires without waiting out the lease.
    await h.start('sv1');
    await running();
    const starts = h.history().filter((x) => x.op === 'start' && x.resource === 'app');
    assert.equal(starts.length, 2);
    assert.ok(starts[1]!.epoch > starts[0]!.epoch);
    assert.equal(starts[1]!.event, 'START');

    // group stop, then a restart: the request was saved, the group stays down.
    await h.api('sv1', 'POST', '/api/group/mail/stop');
    await eventually('group stopped', () => h.runners('mail', 'app').length === 0, 15_000);
    await h.stop('sv1');
    await h.start('sv1');
    await sleep(2_500); // the stopped group's lease was released: it would have started by now
    const s = await h.status('sv1');
    assert.equal(s.groups[0]!.request, 'stop');
    assert.deepEqual(h.runners('mail', 'app'), []);
    await h.api('sv1', 'POST', '/api/group/mail/start');
    await running();
  } finally {
    await h.cleanup();
  }
});
