// `npm run bench:failover`: what a client sees when the active node fails or the group is
// moved. Two real node daemons on loopback (disk arbiter, loopback VIP, the built-in
// agents), a `service` resource answering with its node's name on VIP:port, and a client
// connecting every 20 ms. For SIGKILL and SIGSTOP of the active daemon and for a planned
// `tandem group move`, per run:
//   takeover = from the fault (or the move command) to the first answer from the new node;
//   gap      = from the last answer of the old node to the first answer of the new one
//              (the time nothing answered; for SIGSTOP the old service answers until its
//              guard fences it at the lease deadline).
// Prints median and p95 over the runs. Without --interval/--ttl the configuration leaves
// heartbeat and arbiter timing out, so the cluster defaults are what is measured (heartbeat
// 500 ms, timeout 2 s, lease 2 s, margin 333 ms); options: --runs N (20), --interval MS
// (heartbeat interval; timeout 4x), --ttl MS, --faults SIGKILL,SIGSTOP,move.
import { parseArgs } from 'node:util';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { ClusterHarness, eventually, freePort, TANDEM_BIN } from '../test/helpers/cluster.ts';

const { values } = parseArgs({ options: {
  runs: { type: 'string', default: '20' },
  interval: { type: 'string' },
  ttl: { type: 'string' },
  faults: { type: 'string', default: 'SIGKILL,SIGSTOP,move' },
} });
const runs = Number(values.runs);
const intervalMs = values.interval === undefined ? null : Number(values.interval);
const ttlMs = values.ttl === undefined ? null : Number(values.ttl);
const faults = values.faults.split(',') as Array<'SIGKILL' | 'SIGSTOP' | 'move'>;

/** One connection: the first line the service sends (its node name), or null. */
function ask(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let data = '';
    const done = (v: string | null): void => { clearTimeout(t); s.destroy(); resolve(v); };
    const t = setTimeout(() => done(null), 300);
    s.on('data', (c: Buffer) => { data += c.toString(); if (data.includes('\n')) done(data.split('\n')[0]!); });
    s.on('error', () => done(null));
    s.on('close', () => done(data ? data.trim() : null));
  });
}

/** Polls the VIP until `stop()`; keeps when each node last and first answered. */
function probe(host: string, port: number): { stop(): void; answers: Array<{ t: number; node: string | null }> } {
  const answers: Array<{ t: number; node: string | null }> = [];
  let running = true;
  void (async () => {
    while (running) {
      const t = Date.now();
      answers.push({ t, node: await ask(host, port) });
      await sleep(Math.max(0, 20 - (Date.now() - t)));
    }
  })();
  return { stop: () => { running = false; }, answers };
}

async function once(fault: 'SIGKILL' | 'SIGSTOP' | 'move'): Promise<{ takeover: number; gap: number }> {
  let port = 0;
  const h = new ClusterHarness({
    nodes: 2, realAgents: true,
    // Only what the options name; everything else is the schema's default.
    configFor: (_node, base) => {
      const { heartbeat: _h, arbiter, ...rest } = base as { heartbeat: unknown; arbiter: Record<string, unknown> };
      const { leaseTtl: _t, ...arb } = arbiter;
      return {
        ...rest,
        ...(intervalMs !== null ? { heartbeat: { interval: intervalMs, timeout: 4 * intervalMs } } : {}),
        arbiter: { ...arb, ...(ttlMs !== null ? { leaseTtl: ttlMs } : {}) },
      };
    },
    groups: (c) => {
      const vip = `${c.block}.100`;
      // A reset from a client that hung up must not kill the service (the probe hangs up often).
      const server = `require('net').createServer((s) => { s.on('error', () => {}); s.end(process.env.CLP_NODE + '\\n'); }).listen(${port}, '${vip}')`;
      return [{
        name: 'mail', nodes: c.names(), resources: [
          { name: 'vip', type: 'vip', params: { address: vip, prefix: 32, driver: 'loopback' } },
          { name: 'svc', type: 'service', dependsOn: ['vip'], params: { command: [process.execPath, '-e', server], readyPort: port } },
        ],
      }];
    },
  });
  port = await freePort(`${h.block}.100`);
  await h.init();
  const vip = `${h.block}.100`;
  let stopped: string | null = null;
  let moving: Promise<void> = Promise.resolve();
  try {
    await h.start('sv1');
    await h.start('sv2');
    // Normally sv1 (first by priority); on a loaded machine sv2 may win the first lease.
    const active = await eventually('the group serves on the VIP', async () => ask(vip, port), 90_000).catch((err: Error) => {
      const tail = (n: string): string => h.events(n).slice(-8).map((e) => `${e.kind}: ${e.message}`).join('\n    ');
      throw new Error(`${err.message}\n  sv1:\n    ${tail('sv1')}\n  sv2:\n    ${tail('sv2')}`);
    });
    const standby = active === 'sv1' ? 'sv2' : 'sv1';
    await eventually(`${standby} settled`, async () => (await h.status(standby)).groups[0]!.resources[standby]?.svc === 'stopped', 30_000);
    await sleep(1_000);
    const p = probe(vip, port);
    await sleep(200);
    const t0 = Date.now();
    if (fault === 'SIGKILL') await h.kill(active);
    else if (fault === 'SIGSTOP') { stopped = active; h.signal(active, 'SIGSTOP'); }
    // Asynchronously: h.cli() is spawnSync, which would stop the probe while the CLI runs.
    else moving = moveAsync(h, standby, active);
    const first = await eventually(`${standby} answers on the VIP`, () => p.answers.find((a) => a.t >= t0 && a.node === standby), 60_000, 10);
    await moving;
    p.stop();
    const lastOld = [...p.answers].reverse().find((a) => a.node === active && a.t < first.t);
    return { takeover: first.t - t0, gap: first.t - (lastOld?.t ?? t0) };
  } finally {
    if (stopped) h.signal(stopped, 'SIGCONT');
    await h.cleanup();
  }
}

/** `tandem group move` as an operator runs it, without blocking the probe. */
function moveAsync(h: ClusterHarness, to: string, via: string): Promise<void> {
  const child = spawn(process.execPath, [TANDEM_BIN, 'group', 'move', 'mail', '--to', to, '--config', h.configPath(via), '--node', via], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`move failed (${code}): ${err}`)))));
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return `median ${q(0.5)} ms, p95 ${q(0.95)} ms (min ${s[0]}, max ${s[s.length - 1]})`;
}

const timing = `heartbeat ${intervalMs === null ? 'default' : `${intervalMs} ms`}, lease ${ttlMs === null ? 'default' : `${ttlMs} ms`}`;
console.log(`failover as a client sees it: 2 daemons, disk arbiter, loopback VIP; ${timing}; ${runs} runs per case`);
for (const fault of faults) {
  const takeover: number[] = [];
  const gap: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await once(fault);
    takeover.push(r.takeover);
    gap.push(r.gap);
    process.stdout.write(`  ${fault} run ${i + 1}: takeover ${r.takeover} ms, gap ${r.gap} ms\n`);
  }
  console.log(`${fault.padEnd(7)} takeover: ${stats(takeover)}`);
  console.log(`${fault.padEnd(7)} gap:      ${stats(gap)}`);
}
