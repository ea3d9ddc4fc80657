// The cluster's operator commands: `tandem group start|stop|move|failover`, `tandem cluster
// start|stop`, `tandem monitor suspend|resume`, `tandem broadcast`, and the seed's ARMLOAD /
// ARMKILL as `tandem svc load|kill|restart`. Each is one signed call to a node daemon's API.
import type { Command } from 'commander';
import { parseDuration } from '../cluster/model/config-schema.ts';
import { action, CliError } from './io.ts';
import { apiClient, withTarget, type ClusterOpts } from './cluster-client.ts';

async function say(opts: ClusterOpts, path: string, body: unknown = {}): Promise<void> {
  const api = await apiClient(opts);
  const r = await api.call<{ message: string }>('POST', path, body, 30_000);
  process.stdout.write(`${r.message}\n`);
}

const enc = encodeURIComponent;

export function registerClusterOpsCommands(program: Command): void {
  const group = program.command('group').description('failover groups: start, stop, move, failover');
  withTarget(group.command('start <group>')).description('start the group (it holds until `group stop`)')
    .action(action((g: string, opts: ClusterOpts) => say(opts, `/api/group/${enc(g)}/start`)));
  withTarget(group.command('stop <group>')).description('stop the group on every node (it stays stopped until `group start`)')
    .action(action((g: string, opts: ClusterOpts) => say(opts, `/api/group/${enc(g)}/stop`)));
  withTarget(group.command('move <group>')).description('move the group to NODE (default: the next eligible node by priority)')
    .option('--to <node>', 'target node')
    .action(action((g: string, opts: ClusterOpts & { to?: string }) => say(opts, `/api/group/${enc(g)}/move`, opts.to ? { to: opts.to } : {})));
  withTarget(group.command('failover <group>')).description('fail the group over to the next eligible node by priority (ARMFOVER)')
    .action(action((g: string, opts: ClusterOpts) => say(opts, `/api/group/${enc(g)}/failover`)));

  const cluster = program.command('cluster').description('the cluster service on a node (the daemon keeps running)');
  withTarget(cluster.command('start')).description('the node takes groups again')
    .action(action((opts: ClusterOpts) => say(opts, '/api/cluster/start')));
  withTarget(cluster.command('stop')).description('the node hands its groups over and takes none')
    .action(action((opts: ClusterOpts) => say(opts, '/api/cluster/stop')));

  const monitor = program.command('monitor').description('suspend or resume resource monitors (cluster-wide)');
  withTarget(monitor.command('suspend <name>')).description('suspend the monitors of resource NAME or the monitor named NAME')
    .action(action((name: string, opts: ClusterOpts) => say(opts, '/api/monitor/suspend', { name })));
  withTarget(monitor.command('resume <name>')).description('resume them')
    .action(action((name: string, opts: ClusterOpts) => say(opts, '/api/monitor/resume', { name })));

  withTarget(program.command('broadcast <text...>')).description('write TEXT to every node\'s event log and alert sinks (ARMBCAST)')
    .action(action((text: string[], opts: ClusterOpts) => say(opts, '/api/broadcast', { text: text.join(' ') })));

  const svc = program.command('svc').description('processes supervised under a running group (ARMLOAD / ARMKILL)');
  withTarget(svc.command('load <name> <command...>'))
    .description('start COMMAND (after --) under the group running here, from its start script')
    .option('--group <group>', 'the group (default: $CLP_GROUPNAME)')
    .option('--resource <resource>', 'the resource that loads it (default: $CLP_RESOURCENAME); it is killed when that resource stops')
    .option('--monitor', 'an exit is a failure: restart, then --on-fail')
    .option('--restarts <r>', 'restarts allowed within the window', '3')
    .option('--window <h>', 'the window, e.g. 1h or 60s', '1h')
    .option('--on-fail <what>', 'after the restarts: failover | stop-node | none', 'failover')
    .action(action((name: string, command: string[], opts: ClusterOpts & { group?: string; resource?: string; monitor?: boolean; restarts: string; window: string; onFail: string }) => {
      const groupName = opts.group ?? process.env.CLP_GROUPNAME;
      if (!groupName) throw new CliError('which group? pass --group or run from a start script (CLP_GROUPNAME)', 2);
      const restarts = Number(opts.restarts);
      const windowMs = parseDuration(opts.window);
      if (!Number.isInteger(restarts) || restarts < 0) throw new CliError(`--restarts must be a whole number (got ${opts.restarts})`, 2);
      if (windowMs === null || windowMs <= 0) throw new CliError(`--window must be a duration such as 60s or 1h (got ${opts.window})`, 2);
      if (!['failover', 'stop-node', 'none'].includes(opts.onFail)) throw new CliError(`--on-fail must be failover, stop-node or none (got ${opts.onFail})`, 2);
      return say(opts, '/api/svc/load', {
        name, group: groupName, resource: opts.resource ?? process.env.CLP_RESOURCENAME ?? null, command, cwd: process.cwd(),
        monitor: Boolean(opts.monitor), restarts, windowMs, onFail: opts.onFail,
      });
    }));
  withTarget(svc.command('kill <name>')).description('stop a loaded process (its whole process group)')
    .action(action((name: string, opts: ClusterOpts) => say(opts, '/api/svc/kill', { name })));
  withTarget(svc.command('restart <name>')).description('restart it with its monitor suspended: never a failover (S16)')
    .action(action((name: string, opts: ClusterOpts) => say(opts, '/api/svc/restart', { name })));
}
