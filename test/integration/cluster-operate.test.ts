// Operating a two-node cluster of real daemons through the real CLI and the API: status,
// group move and failover, cluster stop/start, svc load/restart and a supervised service
// that keeps dying (restarts, then failover), a monitor that keeps failing (restarts R
// times, then failover), broadcast, group stop/start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { ClusterHarness, eventually, isAlive } from '../helpers/cluster.ts';

test('cluster operations: move, failover, cluster stop, svc supervision, monitor recovery, broadcast', async () => {
  const h = await new ClusterHarness({
    nodes: 2,
    groups: (c) => [{
      name: 'mail', nodes: c.names(), resources: [{
        name: 'app', type: 'script', params: { start: '/bin/true', stop: '/bin/true', env: { MARKER_DIR: c.markers } },
        monitors: [{ name: 'alive', kind: 'agent', interval: '200ms', timeout: '200ms', fall: 1, recovery: { restarts: 2, window: '60s' } }],
      }],
    }],
  }).init();
  const holder = async (node = 'sv1'): Promise<string | null> => (await h.status(node)).groups[0]!.holder;
  const runsOn = (node: string) => eventually(`mail running on ${node} only`, async () => {
    const g = (await h.status(node)).groups[0]!;
    return g.holder === node && g.resources[node]?.app === 'running' && h.runners('mail', 'app').join() === node;
  }, 30_000);
  try {
    await h.start('sv1');
    await h.start('sv2');
    await runsOn('sv1');

    // tandem status, as an operator reads it.
    const st = h.cli(['status'], 'sv2');
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /mail: held by sv1, epoch \d+/);
    assert.match(st.stdout, /sv1 +reachable .*config matches/);

    // group move --to, refused moves, group failover.
    const bad = h.cli(['group', 'move', 'mail', '--to', 'nosuch'], 'sv1');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /nosuch is not in group mail's node list/);
    await assert.rejects(h.api('sv1', 'POST', '/api/group/nosuch/start'), /404 no group "nosuch"/);
    const moved = h.cli(['group', 'move', 'mail', '--to', 'sv2'], 'sv1');
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stdout, /moving to sv2/);
    await runsOn('sv2');
    assert.equal((await h.status('sv2')).groups[0]!.moveTo, null, 'the satisfied move request is cleared');
    const failed = await h.api<{ message: string }>('sv1', 'POST', '/api/group/mail/failover');
    assert.match(failed.message, /moving to sv1/);
    await runsOn('sv1');

    // cluster stop on the active node hands the group over; cluster start does not take it back (failback manual).
    await h.api('sv1', 'POST', '/api/cluster/stop');
    await runsOn('sv2');
    const stoppedNode = (await h.status('sv2')).nodes.find((n) => n.name === 'sv1')!;
    assert.equal(stoppedNode.stopped, true);
    await h.api('sv1', 'POST', '/api/cluster/start');
    await eventually('sv2 sees sv1 started', async () => !(await h.status('sv2')).nodes.find((n) => n.name === 'sv1')!.stopped, 10_000);
    assert.equal(await holder('sv2'), 'sv2');

    // svc load on the active node (what a start script does), svc restart (no failover),
    // then the process keeps dying: 1 restart, then the group fails over.
    await assert.rejects(h.api('sv1', 'POST', '/api/svc/load', { name: 'web', group: 'mail', command: ['sleep', '1000'] }), /409 group mail is not running on sv1/);
    const loaded = h.cli(['svc', 'load', 'web', '--group', 'mail', '--monitor', '--restarts', '1', '--window', '60s', '--on-fail', 'failover', '--', 'sleep', '1000'], 'sv2');
    assert.equal(loaded.code, 0, loaded.stderr);
    const svcPid = async (): Promise<number> => (await h.status('sv2')).services.find((s) => s.name === 'web')?.pid ?? 0;
    const pid1 = await svcPid();
    assert.ok(pid1 > 0 && isAlive(pid1));
    const restarted = await h.api<{ message: string }>('sv1', 'POST', '/api/svc/restart', { name: 'web' });
    assert.match(restarted.message, /restarted on sv2/, 'forwarded to the node that runs it');
    const pid2 = await svcPid();
    assert.ok(pid2 !== pid1 && isAlive(pid2) && !isAlive(pid1));
    process.kill(pid2, 'SIGKILL');
    const pid3 = await eventually('web restarted after its first death', async () => { const p = await svcPid(); return p !== pid2 && p > 0 ? p : 0; }, 10_000);
    assert.equal(await holder('sv2'), 'sv2', 'a restart within the budget is not a failover');
    process.kill(pid3, 'SIGKILL');
    await runsOn('sv1');
    await eventually('web killed with the group on sv2', () => !isAlive(pid3), 10_000);
    assert.ok(h.events('sv2').some((e) => e.kind === 'group.failover-requested'));

    // A monitor that keeps failing: restarted twice in place (RECOVER), then failover to sv2.
    const before = h.history().length;
    writeFileSync(join(h.markers, 'app.sv1.fail'), '');
    await runsOn('sv2');
    const recovery = h.history().slice(before);
    const recovers = recovery.filter((x) => x.node === 'sv1' && x.op === 'start' && x.event === 'RECOVER');
    assert.equal(recovers.length, 2, `two restarts on sv1: ${JSON.stringify(recovery)}`);
    const takeover = recovery.find((x) => x.node === 'sv2' && x.op === 'start');
    assert.equal(takeover?.event, 'FAILOVER');
    assert.ok((await h.status('sv2')).groups[0]!.failures.length >= 3);

    // tandem log --follow's long poll: it returns as soon as a new event exists.
    const { lastSeq } = await h.api<{ lastSeq: number }>('sv2', 'GET', '/api/events?limit=1');
    type Page = { events: Array<{ kind: string; message: string }>; lastSeq: number };
    const waiting = (async (): Promise<Page> => {
      // As `tandem log --follow` does: other events may end a poll first; poll again past them.
      let after = lastSeq;
      for (let i = 0; i < 20; i++) {
        const page = await h.api<Page>('sv2', 'GET', `/api/events?after=${after}&wait=20000&kind=broadcast`);
        if (page.events.length > 0) return page;
        after = page.lastSeq;
      }
      return { events: [], lastSeq: after };
    })();

    // broadcast reaches both logs.
    const bc = await h.api<{ message: string }>('sv1', 'POST', '/api/broadcast', { text: 'maintenance at noon' });
    assert.match(bc.message, /broadcast to sv1, sv2/);
    assert.deepEqual((await waiting).events.map((e) => e.message), ['maintenance at noon']);
    await eventually('broadcast in both logs', () => ['sv1', 'sv2'].every((n) => h.events(n).some((e) => e.kind === 'broadcast' && e.message === 'maintenance at noon')), 5_000);

    // A suspended monitor: its resource may break without a restart or a failover (S16).
    const suspended = await h.api<{ message: string }>('sv1', 'POST', '/api/monitor/suspend', { name: 'alive' });
    assert.match(suspended.message, /monitors of mail\/app suspended/);
    await eventually('sv2 knows the monitor is suspended', async () => (await h.status('sv2')).groups[0]!.suspended.includes('app'), 5_000);
    const quietFrom = h.history().length;
    const failuresBefore = (await h.status('sv2')).groups[0]!.failures.length;
    writeFileSync(join(h.markers, 'app.sv2.fail'), '');
    await sleep(2_000);
    assert.deepEqual(h.history().slice(quietFrom), [], 'no restart while suspended');
    assert.equal((await h.status('sv2')).groups[0]!.failures.length, failuresBefore);
    rmSync(join(h.markers, 'app.sv2.fail'));
    await h.api('sv2', 'POST', '/api/monitor/resume', { name: 'app' });
    await eventually('resumed everywhere', async () => (await h.status('sv1')).groups[0]!.suspended.length === 0, 5_000);

    // group stop: nothing runs anywhere; group start: it runs again (on sv2: sv1 is out of restarts).
    await h.api('sv1', 'POST', '/api/group/mail/stop');
    await eventually('mail stopped everywhere', async () => (await holder('sv2')) === null && h.runners('mail', 'app').length === 0, 15_000);
    await h.api('sv1', 'POST', '/api/group/mail/start');
    await runsOn('sv2');

    // The event log through the CLI, filtered by kind.
    const log = h.cli(['log', '--kind', 'lease', '-n', '5'], 'sv2');
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /lease\.acquired/);
    assert.doesNotMatch(log.stdout, /resource\./);
  } finally {
    await h.cleanup();
  }
});
