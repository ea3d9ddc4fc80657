// The daemon with the built-in resource agents, as a deployment runs it: a loopback VIP, a
// start/stop script that gets the CLUSTERPRO variables and loads a process with `tandem svc
// load` (the seed's ARMLOAD), and a service that is started only once it listens (S15).
// SIGKILL of the active daemon: its guard kills the service and the loaded process, and
// the next node starts the group with CLP_EVENT=FAILOVER.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterHarness, eventually, freePort, isAlive, TANDEM_BIN } from '../helpers/cluster.ts';

test('built-in agents: script with CLP_* and svc load, service with readyPort, loopback VIP; SIGKILL fails over and the guard cleans up', async () => {
  let port = 0;
  const h = await new ClusterHarness({
    nodes: 2,
    realAgents: true,
    groups: (c) => {
      const start = join(c.dir, 'start.sh');
      const stop = join(c.dir, 'stop.sh');
      writeFileSync(start, [
        '#!/bin/sh',
        'echo "$CLP_EVENT $CLP_SERVER $CLP_PRIORITY $CLP_GROUPNAME $CLP_RESOURCENAME" >> "$MARKER_DIR/$CLP_NODE.start"',
        'exec "$NODE_BIN" "$TANDEM_BIN" svc load web --monitor --restarts 1 --window 60s -- sleep 1000',
        '',
      ].join('\n'));
      writeFileSync(stop, ['#!/bin/sh', '"$NODE_BIN" "$TANDEM_BIN" svc kill web || true', 'echo stop >> "$MARKER_DIR/$CLP_NODE.start"', ''].join('\n'));
      chmodSync(start, 0o755);
      chmodSync(stop, 0o755);
      // S15: the service agent counts it started once it answers on the group's VIP.
      const server = `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '${c.block}.100')`;
      return [{
        name: 'mail', nodes: c.names(), resources: [
          { name: 'vip', type: 'vip', params: { address: `${c.block}.100`, prefix: 32, driver: 'loopback' } },
          { name: 'scripts', type: 'script', dependsOn: ['vip'], params: { start, stop, env: { MARKER_DIR: c.markers, NODE_BIN: process.execPath, TANDEM_BIN } } },
          { name: 'api', type: 'service', dependsOn: ['vip'], params: { command: [process.execPath, '-e', server], readyPort: port } },
        ],
      }];
    },
  });
  port = await freePort(`${h.block}.100`);
  await h.init();
  const url = `http://${h.block}.100:${port}/`;
  const apiPid = (node: string): number => Number(readFileSync(join(h.dir, 'state', node, 'resources', 'mail', 'api', 'mail.api.pid'), 'utf8'));
  const allRunning = (node: string) => eventually(`mail running on ${node}`, async () => {
    const r = (await h.status(node)).groups[0]!.resources[node] ?? {};
    return r.vip === 'running' && r.scripts === 'running' && r.api === 'running';
  }, 60_000).catch((err: Error) => { throw new Error(`${err.message}; ${node} events: ${h.events(node).map((e) => `${e.kind}: ${e.message}`).join(' | ')}`); });
  try {
    await h.start('sv1');
    await h.start('sv2');
    await allRunning('sv1');
    const firstLine = (node: string): string => readFileSync(join(h.markers, `${node}.start`), 'utf8').split('\n')[0]!;
    assert.equal(firstLine('sv1'), 'START HOME 1 mail scripts');
    const web = (await h.status('sv1')).services.find((s) => s.name === 'web');
    assert.ok(web?.pid && isAlive(web.pid), 'svc load from the start script runs under the daemon');
    assert.equal(await (await fetch(url)).text(), 'ok');
    const api1 = apiPid('sv1');

    await h.kill('sv1');
    await eventually('guard killed the service and the loaded process', () => !isAlive(api1) && !isAlive(web.pid!), 15_000);
    await allRunning('sv2');
    // The first start on sv2 is the takeover (a later one, after a failure there, may say otherwise).
    assert.equal(firstLine('sv2'), 'FAILOVER OTHER 2 mail scripts', h.events('sv2').map((e) => `${e.kind}: ${e.message}`).join('\n'));
    assert.equal(await (await fetch(url)).text(), 'ok');
    assert.notEqual(apiPid('sv2'), api1);
  } finally {
    await h.cleanup();
  }
});
