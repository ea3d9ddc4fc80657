// `tandem demo` (what `npm start` runs): the one-machine demo of DESIGN 4. Two node
// daemons, sv1 and sv2, as real child processes, run the mail group (VIP 127.0.0.100,
// the var/demo/mail volume, every mail service as a resource) with a disk arbiter under
// var/demo/. Prints where everything is; follows the event logs; restarts a node that
// was killed (as systemd would); Ctrl-C stops the standby, then the active node.
import type { Command } from 'commander';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDemoVolume } from '../demo/demo-volume.ts';
import { demoPaths, liveDemoPid, runningDemoConfig, type DemoPaths } from '../demo/demo-paths.ts';
import { DEMO_NODE_PORT, DEMO_NODES, DEMO_VIP, writeDemoClusterConfig } from '../demo/demo-cluster.ts';
import { DemoNode } from '../demo/demo-nodes.ts';
import { EventFollower } from '../demo/demo-events.ts';
import { demoBanner, listenersOf, nodeLine, type BannerNode } from '../demo/demo-banner.ts';
import { mailServicesFor } from '../demo/mail-group.ts';
import { loadSettings } from '../mail/core/volume.ts';
import type { ClusterConfig } from '../cluster/model/config.ts';
import { deriveKeys } from '../cluster/transport/auth.ts';
import { rpc } from '../cluster/transport/rpc.ts';
import { action, CliError } from './io.ts';

const GROUP_START_TIMEOUT_MS = 240_000;
const RESTART_DELAY_MS = 3_000;

interface GroupStatus { holder: string | null; epoch: number; resources: Record<string, Record<string, string>> }

export function registerDemoCommand(program: Command): void {
  program.command('demo')
    .description('run the one-machine demo: nodes sv1 and sv2, the mail group on 127.0.0.100, data in var/demo/ (what `npm start` runs)')
    .option('--dir <dir>', 'demo state directory', resolve('var', 'demo'))
    .action(action(async (opts: { dir: string }) => {
      await runDemo(demoPaths(resolve(opts.dir)));
    }));
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

function bannerNode(n: DemoNode): BannerNode {
  return { ...DEMO_NODES.find((x) => x.name === n.name)!, port: DEMO_NODE_PORT, pid: n.pid, guardPid: n.guardPid };
}

/** Free for TCP (and UDP, for the node channel) on that address? */
async function addressFree(host: string, port: number, udp: boolean): Promise<boolean> {
  const tcp = await new Promise<boolean>((done) => {
    const s = createServer().once('error', () => done(false));
    s.listen(port, host, () => s.close(() => done(true)));
  });
  if (!tcp || !udp) return tcp;
  return new Promise<boolean>((done) => {
    const u = createSocket('udp4').once('error', () => done(false));
    u.bind(port, host, () => u.close(() => done(true)));
  });
}

async function checkAddresses(listeners: string[]): Promise<void> {
  const busy: string[] = [];
  for (const n of DEMO_NODES) if (!(await addressFree(n.address, DEMO_NODE_PORT, true))) busy.push(`${n.address}:${DEMO_NODE_PORT} (node ${n.name})`);
  for (const hp of listeners) {
    const i = hp.lastIndexOf(':');
    if (!(await addressFree(hp.slice(0, i), Number(hp.slice(i + 1)), false))) busy.push(hp);
  }
  if (busy.length > 0) {
    throw new CliError(`the demo's addresses are in use: ${busy.join(', ')}. Is another demo, a \`tandem mail serve\` or a node daemon running on them? (\`ss -ltnp\` shows which process)`);
  }
}

async function groupStatus(config: ClusterConfig, node: string): Promise<GroupStatus | null> {
  const n = config.nodes.find((x) => x.name === node)!;
  const r = await rpc<{ groups: GroupStatus[]; summary: string }>(deriveKeys(config.cluster.name, config.cluster.secret), 'cli',
    { host: n.addresses[0]!, port: n.port ?? DEMO_NODE_PORT }, 'GET', '/api/status', null, 5_000);
  return r.ok ? (r.body.groups[0] ?? null) : null;
}

/** Polls the running nodes until one of them runs every resource of the group. */
async function waitForGroup(config: ClusterConfig, nodes: DemoNode[], timeoutMs: number, cancelled: () => boolean): Promise<{ holder: string; epoch: number }> {
  const names = config.groups[0]!.resources.map((r) => r.name);
  const until = Date.now() + timeoutMs;
  let lastNote = '';
  while (Date.now() < until && !cancelled()) {
    for (const n of nodes.filter((x) => x.running)) {
      const g = await groupStatus(config, n.name);
      if (!g?.holder) continue;
      const states = g.resources[g.holder] ?? {};
      const up = names.filter((r) => states[r] === 'running');
      if (up.length === names.length) return { holder: g.holder, epoch: g.epoch };
      const note = `  starting the mail group on ${g.holder}: ${up.length}/${names.length} resources running`;
      if (note !== lastNote) { out(note); lastNote = note; }
      break;
    }
    await sleep(500);
  }
  if (cancelled()) throw new CliError('stopped before the mail group came up');
  throw new CliError(`the mail group did not come up within ${timeoutMs / 1000} s; \`npx tandem status\` and the logs say why`);
}

async function runDemo(paths: DemoPaths): Promise<void> {
  const other = liveDemoPid(paths.pidFile);
  if (other !== null) throw new CliError(`a demo is already running from ${paths.root} (pid ${other}); stop it with Ctrl-C in its terminal or \`kill ${other}\``);
  await mkdir(paths.root, { recursive: true });
  const { layout, created } = await ensureDemoVolume(paths.root);
  const settings = await loadSettings(layout);
  const services = mailServicesFor(settings);
  out(`${created ? 'Created' : 'Reusing'} the demo mail volume ${layout.root}`);
  await checkAddresses(services.flatMap((s) => listenersOf(settings, s.name)));
  const config = await writeDemoClusterConfig(paths, settings);
  await writeFile(paths.pidFile, `${process.pid}\n`);

  const nodes = DEMO_NODES.map((n) => new DemoNode({ name: n.name, configPath: paths.config, stateDir: paths.nodeState(n.name), logFile: `${paths.logs}/${n.name}.log` }));
  let stopping = false;
  let follower: EventFollower | null = null;

  const shutdown = async (why: string): Promise<void> => {
    stopping = true;
    follower?.stop();
    out(`\nstopping the demo (${why})...`);
    // The standby first, then the node running the group: stopping the active node while
    // the standby still runs would only move the group over there.
    let holder: string | null = null;
    for (const n of nodes.filter((x) => x.running)) {
      holder = (await groupStatus(config, n.name).catch(() => null))?.holder ?? null;
      if (holder) break;
    }
    const order = [...nodes.filter((n) => n.name !== holder), ...nodes.filter((n) => n.name === holder)];
    for (const n of order) {
      if (!n.running) continue;
      out(`  stopping ${n.name} (pid ${n.pid})${n.name === holder ? ': it stops the mail services and releases the group' : ''}`);
      const how = await n.stop();
      if (how === 'killed') out(`  ${n.name} did not stop in time and was killed; its guard stopped what it ran`);
    }
    await rm(paths.pidFile, { force: true });
    out('demo stopped.');
  };

  const startNode = async (n: DemoNode): Promise<void> => {
    await n.start();
    // A daemon that dies while the demo runs is started again (a real node's systemd unit
    // has Restart=on-failure); meanwhile the other node takes the group over.
    void n.exited.then(async (e) => {
      if (stopping) return;
      out(`[${clock()}] ${n.name} (pid ${n.pid}) ${e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`}; its guard stops what it ran. Restarting it in ${RESTART_DELAY_MS / 1000} s.`);
      await sleep(RESTART_DELAY_MS);
      if (stopping) return;
      await startNode(n).then(() => out(`[${clock()}] ${n.name} restarted (a standby now):\n${nodeLine(bannerNode(n))}`),
        (err: Error) => out(`[${clock()}] could not restart ${n.name}: ${err.message}`));
    });
  };

  let onSignal: ((sig: NodeJS.Signals) => void) | null = null;
  const signalled = new Promise<NodeJS.Signals>((done) => {
    let count = 0;
    onSignal = (sig) => {
      count += 1;
      if (count === 1) done(sig);
      // A second Ctrl-C: stop waiting for graceful stops; the guards fence what is left.
      else { out('second signal: killing the node daemons'); for (const n of nodes) void n.kill(); }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // The terminal went away: stop as cleanly as for Ctrl-C.
    process.on('SIGHUP', onSignal);
  });

  try {
    out(`Starting nodes ${nodes.map((n) => n.name).join(' and ')} (logs in ${paths.logs}/)...`);
    // sv1 first: a group starts on its highest-priority node that is up.
    const up = nodes.reduce((prev, n) => prev.then(() => startNode(n)), Promise.resolve()).then(() => waitForGroup(config, nodes, GROUP_START_TIMEOUT_MS, () => stopping));
    const first = await Promise.race([up, signalled.then((sig) => sig)]);
    if (typeof first === 'string') {
      up.catch(() => undefined);
      await shutdown(`received ${first}`);
      return;
    }
    out(demoBanner({
      paths, settings, services, holder: first.holder, epoch: first.epoch, vip: DEMO_VIP, cwd: process.cwd(),
      nodes: nodes.map(bannerNode), configFound: runningDemoConfig()?.config === paths.config,
    }));
    follower = new EventFollower(nodes.map((n) => ({ node: n.name, dir: paths.nodeState(n.name) })), out);
    await follower.start();
    const sig = await signalled;
    await shutdown(`received ${sig}`);
  } catch (err) {
    if (!stopping) await shutdown('error');
    throw err;
  } finally {
    if (onSignal) for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, onSignal);
  }
}
