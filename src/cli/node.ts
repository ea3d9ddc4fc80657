// `tandem node start` (the cluster service on one node) and `tandem node guard` (internal:
// the self-fencing guard the daemon spawns). The daemon prints one TANDEM-READY line once
// its channel and API listen, and stops its resources and releases its leases on SIGTERM.
import type { Command } from 'commander';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { AgentFactory } from '../cluster/agents/agent.ts';
import { alertSinks } from '../cluster/alerts/index.ts';
import { logger } from '../lib/log.ts';
import { createArbiter } from '../cluster/arbiter/factory.ts';
import { NodeDaemon } from '../cluster/node/daemon.ts';
import { runGuard } from '../cluster/node/guard.ts';
import { startApi } from '../cluster/api/server.ts';
import { DEFAULT_PORT } from '../cluster/transport/channel.ts';
import { action, CliError } from './io.ts';
import { loadClusterConfig, pickNode } from './cluster-client.ts';

/** The resource agents: a module given with --agents (tests), else src/cluster/agents/index.ts. */
async function loadAgents(module: string | undefined): Promise<AgentFactory> {
  const url = module ? pathToFileURL(resolve(module)).href : new URL('../cluster/agents/index.ts', import.meta.url).href;
  try {
    const mod = await import(url) as { agentFor?: AgentFactory; default?: AgentFactory };
    const f = mod.agentFor ?? mod.default;
    if (typeof f === 'function') return f;
    throw new Error('it exports no agentFor()');
  } catch (err) {
    if (module) throw new CliError(`cannot load agents from ${module}: ${(err as Error).message}`, 2);
    // No agents in this build: every action reports not-installed (and nothing is started).
    return (r) => { throw new Error(`no resource agents are installed in this build (resource type ${r.type})`); };
  }
}

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('the cluster service on this node');

  node.command('start')
    .description('run the node daemon: heartbeats, leases, policy, resources, API (stays in the foreground)')
    .option('--config <file>', 'cluster configuration (default: $TANDEM_CLUSTER_CONFIG)')
    .option('--node <name>', 'this node\'s name (default: the node owning one of this host\'s addresses)')
    .option('--state <dir>', 'node-local state: event log, agent state (default: /var/lib/tandem/NODE)')
    .option('--allow-reboot', 'let the recovery final action `reboot` really reboot this host')
    .option('--agents <module>', 'load resource agents from this module (for tests)')
    .action(action(async (opts: { config?: string; node?: string; state?: string; allowReboot?: boolean; agents?: string }) => {
      const { config, path } = await loadClusterConfig(opts.config);
      const self = pickNode(config, opts.node);
      // Start scripts run `tandem svc load ...`: they find this daemon through these.
      process.env.TANDEM_CLUSTER_CONFIG = resolve(path);
      process.env.TANDEM_NODE = self;
      const stateDir = resolve(opts.state ?? `/var/lib/tandem/${self}`);
      const arbiter = await createArbiter(config).catch((err: Error) => { throw new CliError(`arbiter: ${err.message}`); });
      const daemon = new NodeDaemon({ config, self, stateDir, arbiter, agentFor: await loadAgents(opts.agents), sinks: alertSinks(config, { logger: logger('alerts', { node: self }) }), allowReboot: Boolean(opts.allowReboot) });
      const me = config.nodes.find((n) => n.name === self)!;
      const port = me.port ?? DEFAULT_PORT;
      try {
        await daemon.start();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new CliError(code === 'EADDRINUSE' ? `port ${port} is already in use on ${me.addresses.join(', ')}: is another node daemon running?`
          : code === 'EADDRNOTAVAIL' ? `address ${me.addresses.join(', ')} is not configured on this host: is this node ${self}?` : `cannot start: ${(err as Error).message}`);
      }
      const servers = await startApi(daemon).catch((err: Error) => { throw new CliError(`API: ${err.message}`); });
      let stopping = false;
      const stop = (sig: string): void => {
        if (stopping) return;
        stopping = true;
        void daemon.stop(`received ${sig}`).finally(async () => {
          await Promise.all(servers.map((s) => s.close()));
          process.exit(0);
        });
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      process.stdout.write(`TANDEM-READY ${JSON.stringify({ event: 'ready', service: 'node', node: self, pid: process.pid, guardPid: daemon.guard?.pid ?? null, listening: me.addresses.map((a) => `${a}:${port}`), stateDir })}\n`);
    }));

  node.command('guard', { hidden: true })
    .description('internal: the self-fencing guard the daemon spawns and feeds through stdin')
    .requiredOption('--state <dir>', 'the daemon\'s state directory (guard.jsonl is written there)')
    .action((opts: { state: string }) => { runGuard(resolve(opts.state)); });
}
