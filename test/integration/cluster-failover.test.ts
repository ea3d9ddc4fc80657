// Three real node daemons on loopback with the disk arbiter: the group starts on its first
// node; SIGKILL of the active daemon hands it to the next by priority once the lease
// expired, and the dead node's guard killed what it ran; SIGSTOP of the next active daemon hands
// it on, and after SIGCONT the paused daemon stops its resources without acting on its old lease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterHarness, eventually, isAlive } from '../helpers/cluster.ts';

test('cluster failover: start on sv1, SIGKILL -> sv2 (guard fences sv1), SIGSTOP -> sv3, SIGCONT: sv2 stands down', async () => {
  const h = await new ClusterHarness({
    nodes: 3,
    // Node-local resources only: the nodes share one host, so a VIP on lo would be seen by all
    // (the guard's VIP removal is tested on its own in cluster-guard.test.ts).
    groups: (c) => [{
      name: 'mail', nodes: c.names(), resources: [
        { name: 'app', type: 'script', params: { start: '/bin/true', stop: '/bin/true', env: { MARKER_DIR: c.markers } } },
        { name: 'svc', type: 'service', dependsOn: ['app'], params: { command: ['sleep', '1000'] } },
      ],
    }],
  }).init();
  const svcPid = (node: string): number => Number(readFileSync(join(h.dir, 'state', node, 'resources', 'mail', 'svc', 'svc.pid'), 'utf8'));
  try {
    // sv1 first: a group starts on the highest-priority node that is up, whoever that is.
    await h.start('sv1');
    await Promise.all([h.start('sv2'), h.start('sv3')]);

    // 1. The group starts on its first node, under epoch 1.
    await eventually('mail running on sv1', async () => (await h.status('sv2')).groups[0]?.resources.sv1?.svc === 'running', 30_000);
    assert.deepEqual(h.runners('mail', 'app'), ['sv1']);
    const first = await eventually('sv3 sees sv1 holding epoch 1', async () => {
      const g = (await h.status('sv3')).groups[0]!;
      return g.holder === 'sv1' ? g : null;
    }, 10_000);
    assert.ok(first.epoch >= 1);
    const pid1 = svcPid('sv1');
    assert.ok(isAlive(pid1));

    // 2. SIGKILL sv1: its guard kills the service and removes the VIP; sv2 takes over (FAILOVER).
    await h.kill('sv1');
    await eventually('guard of sv1 fenced', () => h.guardLog('sv1').some((e) => e.kind === 'guard.fenced'), 15_000);
    await eventually('sv1 service process killed by the guard', () => !isAlive(pid1), 10_000);
    const fencings = h.guardLog('sv1').filter((e) => e.kind === 'guard.fenced');
    assert.ok(fencings.some((e) => e.killed?.includes(pid1)), `guard killed ${JSON.stringify(fencings.map((e) => e.killed))}`);
    await eventually('mail running on sv2', async () => (await h.status('sv2')).groups[0]?.resources.sv2?.svc === 'running', 30_000);
    const second = await eventually('sv2 holds', async () => {
      const g = (await h.status('sv2')).groups[0]!;
      return g.holder === 'sv2' ? g : null;
    }, 10_000);
    assert.equal(second.holder, 'sv2');
    assert.ok(second.epoch > first.epoch, 'a takeover is a new grant with a higher epoch');
    const start2 = h.history().find((x) => x.node === 'sv2' && x.op === 'start')!;
    assert.equal(start2.epoch, second.epoch);
    assert.equal(start2.event, 'FAILOVER');
    await eventually('sv2 logged group.failover', () => h.events('sv2').some((e) => e.kind === 'group.failover'), 5_000);

    // 3. SIGSTOP sv2: sv3 takes over once sv2's lease expired; sv2's guard fenced at its deadline.
    const pid2 = svcPid('sv2');
    const stoppedAt = Date.now();
    h.signal('sv2', 'SIGSTOP');
    await eventually('mail running on sv3', async () => (await h.status('sv3')).groups[0]?.resources.sv3?.svc === 'running', 30_000);
    assert.ok((await h.status('sv3')).groups[0]!.epoch > second.epoch);
    await eventually('guard of sv2 fenced at its deadline', () => h.guardLog('sv2').some((e) => e.kind === 'guard.fenced'), 15_000)
      .catch((err: Error) => { throw new Error(`${err.message}; guard log: ${JSON.stringify(h.guardLog('sv2'))}; events: ${h.events('sv2').map((e) => e.message).join(' | ')}`); });
    assert.ok(!isAlive(pid2), 'sv2 service killed while its daemon was stopped');
    const fenceLine = h.guardLog('sv2').filter((e) => e.kind === 'guard.fenced').at(-1)!;
    assert.match(fenceLine.message, /deadline passed/);

    // 4. SIGCONT sv2: it notices the pause, finds its lease lost, stops its resources, starts nothing.
    h.signal('sv2', 'SIGCONT');
    await eventually('sv2 stood down', async () => {
      const s = await h.status('sv2');
      const mine = s.groups[0]!.resources.sv2 ?? {};
      return mine.app === 'stopped' && mine.svc === 'stopped' && s.groups[0]!.holder === 'sv3';
    }, 20_000);
    await eventually('sv2 logged its stops', () => h.events('sv2').filter((e) => e.kind === 'resource.stopped' && Date.parse(e.at) >= stoppedAt).length >= 2, 5_000);
    const ev2 = h.events('sv2');
    const after = ev2.filter((e) => Date.parse(e.at) >= stoppedAt);
    assert.ok(after.some((e) => e.kind === 'node.paused'), 'sv2 noticed its pause');
    assert.ok(after.some((e) => e.kind === 'lease.lost'), 'sv2 logged its lease as lost');
    assert.ok(!after.some((e) => e.kind === 'resource.started' || e.kind === 'lease.acquired'), `sv2 acted on a lease after the pause: ${JSON.stringify(after.filter((e) => e.kind.startsWith('resource.') || e.kind.startsWith('lease.')))}`);
    const sv2Ops = h.history().filter((x) => x.node === 'sv2' && x.wall >= stoppedAt);
    assert.ok(sv2Ops.every((x) => x.op === 'stop'), `only stops by sv2 after the pause: ${JSON.stringify(sv2Ops)}`);
    assert.ok(sv2Ops.length >= 1, 'sv2 stopped its marker resource after SIGCONT');
    assert.deepEqual(h.runners('mail', 'app').filter((n) => n !== 'sv1'), ['sv3'], 'only sv3 runs the group (sv1 is dead)');
  } finally {
    await h.cleanup();
  }
});
