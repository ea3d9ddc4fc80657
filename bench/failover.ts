// `npm run bench:failover`: time from SIGKILL / SIGSTOP of the active node daemon to the
// group running on the next node (its resource's start recorded), with the disk arbiter,
// two real daemons on loopback. Prints min / median / max per fault over N runs.
// Options: --runs N (default 5), --interval MS (heartbeat, default 100), --ttl MS (lease, default 1000).
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterHarness, eventually } from '../test/helpers/cluster.ts';
import { leaseMargin } from '../src/cluster/arbiter/factory.ts';
import type { ClusterConfig } from '../src/cluster/model/config-schema.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, interval: { type: 'string', default: '100' }, ttl: { type: 'string', default: '1000' } } });
const runs = Number(values.runs);
const intervalMs = Number(values.interval);
const ttlMs = Number(values.ttl);

async function once(fault: 'SIGKILL' | 'SIGSTOP'): Promise<number> {
  const h = await new ClusterHarness({
    nodes: 2, heartbeatMs: intervalMs, leaseTtlMs: ttlMs,
    groups: (c) => [{ name: 'mail', nodes: c.names(), resources: [{ name: 'app', type: 'script', params: { start: '/bin/true', stop: '/bin/true', env: { MARKER_DIR: c.markers } } }] }],
  }).init();
  try {
    await h.start('sv1');
    await h.start('sv2');
    await eventually('sv1 runs the group', () => h.runners('mail', 'app').join() === 'sv1', 60_000);
    // Let sv2 settle (probed, hearing sv1) so the measurement starts from a steady state.
    await eventually('sv2 settled', async () => (await h.status('sv2')).groups[0]!.resources.sv2?.app === 'stopped', 30_000);
    await sleep(1_000);
    const t0 = Date.now();
    if (fault === 'SIGKILL') await h.kill('sv1');
    else h.signal('sv1', 'SIGSTOP');
    const started = await eventually('sv2 starts the group', () => h.history().find((x) => x.node === 'sv2' && x.op === 'start'), 60_000, 10);
    return started.wall - t0;
  } finally {
    await h.cleanup();
  }
}

const fmt = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `min ${s[0]} ms, median ${median} ms, max ${s[s.length - 1]} ms`;
};

const margin = leaseMargin({ arbiter: { type: 'disk', path: '/', leaseTtl: ttlMs } } as ClusterConfig);
console.log(`failover with the disk arbiter: heartbeat ${intervalMs} ms, lease ttl ${ttlMs} ms, margin ${margin} ms, ${runs} runs per fault`);
console.log(`(the floor is ttl + margin = ${ttlMs + margin} ms of silence before the standby may acquire)`);
for (const fault of ['SIGKILL', 'SIGSTOP'] as const) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(await once(fault));
    process.stdout.write(`  ${fault} run ${i + 1}: ${times.at(-1)} ms\n`);
  }
  console.log(`${fault} of the active daemon -> group started on the standby: ${fmt(times)}`);
}
