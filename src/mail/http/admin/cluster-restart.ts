// Restarting a mail service from the admin console or API (S16): never by signalling the
// process from here, which the cluster would see as a crash and could answer with a
// failover, but through the local node daemon's signed API, `tandem svc restart`: the
// daemon suspends the service's monitor, restarts it (it drains) and resumes the monitor.
// The http service learns it runs in a cluster from the environment the daemon gives the
// processes it starts (TANDEM_CLUSTER_CONFIG, TANDEM_NODE, TANDEM_GROUP); standalone,
// restart is not offered and the reason says why.
import { readFile } from 'node:fs/promises';
import { TandemError } from '../../../lib/errors.ts';
import { parseClusterConfig } from '../../../cluster/model/config.ts';
import type { ClusterConfig } from '../../../cluster/model/config-schema.ts';
import { deriveKeys } from '../../../cluster/transport/auth.ts';
import { rpc, targetOf } from '../../../cluster/transport/rpc.ts';
import { serviceNames } from '../../serve/registry.ts';

/** Why restart is not offered on a mail host that runs without the cluster. */
export const RESTART_STANDALONE_REASON = 'restarts go through the cluster manager (monitor suspended, restart, resumed; S16), and this mail host runs without it; restart the service with your service manager';

export interface ClusterLink {
  readonly configPath: string;
  readonly node: string;
  /** The group whose resource started this process, when a `service` resource did. */
  readonly group: string | null;
}

export interface RestartAvailability {
  readonly available: boolean;
  readonly reason: string;
}

/** The cluster this process runs under, from the environment the node daemon gives it; null standalone. */
export function clusterLink(env: NodeJS.ProcessEnv = process.env): ClusterLink | null {
  const configPath = env.TANDEM_CLUSTER_CONFIG;
  const node = env.TANDEM_NODE;
  if (!configPath || !node) return null;
  return { configPath, node, group: env.TANDEM_GROUP || env.CLP_GROUPNAME || null };
}

export function restartAvailability(link: ClusterLink | null): RestartAvailability {
  if (!link) return { available: false, reason: RESTART_STANDALONE_REASON };
  return { available: true, reason: `through the cluster: the node daemon of ${link.node} suspends the service's monitor, restarts it (it drains first) and resumes the monitor; never a failover (S16)` };
}

async function loadConfig(link: ClusterLink): Promise<ClusterConfig> {
  const text = await readFile(link.configPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new TandemError('HTTP_ERR_CLUSTER', 'temp', `cannot read the cluster configuration ${link.configPath}: ${err.code ?? err.message}`);
  });
  const parsed = parseClusterConfig(text);
  if (!parsed.ok) throw new TandemError('HTTP_ERR_CLUSTER', 'temp', `${link.configPath} is not a valid cluster configuration: ${parsed.errors[0] ?? 'unknown error'}`);
  return parsed.config;
}

/**
 * The name `tandem svc restart` knows `service` by: GROUP/RESOURCE for a `service`
 * resource running `tandem mail serve SERVICE` (or named SERVICE) in our group, else the
 * name the start script gave `svc load` (the service's own name, as in the example).
 */
export function restartName(config: ClusterConfig, group: string | null, service: string): string {
  for (const g of config.groups) {
    if (group !== null && g.name !== group) continue;
    for (const r of g.resources) {
      if (r.type !== 'service') continue;
      const cmd = r.params.command;
      const serves = cmd.some((arg, i) => arg === 'serve' && cmd[i + 1] === service);
      if (r.name === service || serves) return `${g.name}/${r.name}`;
    }
  }
  return service;
}

/**
 * Asks the local node daemon to restart `service`; resolves with its one-line answer.
 * Restarting http itself cannot wait for the answer (the request would be drained with
 * the process that serves it): that request is sent and the caller is told at once.
 */
export async function restartThroughCluster(link: ClusterLink | null, service: string): Promise<string> {
  if (!serviceNames().includes(service)) throw new TandemError('HTTP_ERR_INVALID', 'invalid', `unknown service "${service}" (services: ${serviceNames().join(', ')})`);
  if (!link) throw new TandemError('HTTP_ERR_NO_CLUSTER', 'not-possible', RESTART_STANDALONE_REASON);
  const config = await loadConfig(link);
  const target = targetOf(config, link.node);
  if (!target) throw new TandemError('HTTP_ERR_CLUSTER', 'temp', `node ${link.node} is not in ${link.configPath}`);
  const keys = deriveKeys(config.cluster.name, config.cluster.secret);
  const name = restartName(config, link.group, service);
  const call = rpc<{ message: string }>(keys, 'cli', target, 'POST', '/api/svc/restart', { name }, 60_000);
  if (service === 'http') {
    void call;
    return `http is restarting through the cluster (${name} on ${link.node}); reload the page in a few seconds`;
  }
  const r = await call;
  if (r.ok) return r.body.message;
  if (r.status === 0) throw new TandemError('HTTP_ERR_CLUSTER', 'temp', `cannot reach the node daemon of ${link.node} at ${target.host}:${target.port}: ${r.reason}`);
  throw new TandemError('HTTP_ERR_RESTART', r.status === 404 ? 'not-found' : 'temp', `${link.node}: ${r.reason}`);
}
