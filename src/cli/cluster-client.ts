// Shared by the cluster commands: find the cluster config (--config, TANDEM_CLUSTER_CONFIG,
// /etc/tandem/cluster.yaml, a running demo's), pick the node daemon to talk to (--node,
// TANDEM_NODE, or this host's addresses), and call its API with a signed request; clear
// messages on failure.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseClusterConfig, type ClusterConfig } from '../cluster/model/config.ts';
import { deriveKeys } from '../cluster/transport/auth.ts';
import { rpc, targetOf } from '../cluster/transport/rpc.ts';
import { resolveNodeName } from '../cluster/node/identity.ts';
import { isTandemError } from '../lib/errors.ts';
import { runningDemoConfig } from '../demo/demo-paths.ts';
import { CliError } from './io.ts';

/** Where a host's cluster configuration lives when nothing names one (the packaged unit's path). */
export const SYSTEM_CLUSTER_CONFIG = '/etc/tandem/cluster.yaml';

export interface ClusterOpts { config?: string; node?: string }

/** Adds --config and --node to a command. */
export function withTarget(cmd: Command): Command {
  return cmd
    .option('--config <file>', `cluster configuration (default: $TANDEM_CLUSTER_CONFIG, else ${SYSTEM_CLUSTER_CONFIG}, else a running demo's)`)
    .option('--node <name>', 'the node whose daemon to ask (default: $TANDEM_NODE, else this host\'s node)');
}

/**
 * The configuration file to use, in this order: --config, $TANDEM_CLUSTER_CONFIG,
 * /etc/tandem/cluster.yaml, then the configuration of a demo running from here
 * (var/demo/cluster.yaml while the demo's pid file names a live process).
 */
export function findClusterConfig(path: string | undefined): string {
  if (path) return path;
  if (process.env.TANDEM_CLUSTER_CONFIG) return process.env.TANDEM_CLUSTER_CONFIG;
  if (existsSync(SYSTEM_CLUSTER_CONFIG)) return SYSTEM_CLUSTER_CONFIG;
  const demo = runningDemoConfig();
  if (demo) return demo.config;
  throw new CliError(`no cluster configuration: tried --config (not given), $TANDEM_CLUSTER_CONFIG (not set), ${SYSTEM_CLUSTER_CONFIG} (no such file) and a running demo (none: \`npm start\` runs one); pass --config FILE or set TANDEM_CLUSTER_CONFIG`, 2);
}

export async function loadClusterConfig(path: string | undefined): Promise<{ config: ClusterConfig; path: string }> {
  const file = findClusterConfig(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the cluster configuration ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
  const parsed = parseClusterConfig(text);
  if (!parsed.ok) throw new CliError(`${file} is not a valid cluster configuration:\n  ${parsed.errors.join('\n  ')}`, 2);
  return { config: parsed.config, path: file };
}

export function pickNode(config: ClusterConfig, explicit: string | undefined): string {
  try {
    return resolveNodeName(config, explicit ?? process.env.TANDEM_NODE);
  } catch (err) {
    if (isTandemError(err)) throw new CliError(err.message, 2);
    throw err;
  }
}

export interface ApiClient {
  readonly config: ClusterConfig;
  readonly node: string;
  call<T = { message: string }>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs?: number): Promise<T>;
}

/**
 * The daemon to talk to: the named node, else this host's node, else (an admin host outside
 * the cluster) the first node of the configuration whose daemon answers.
 */
export async function apiClient(opts: ClusterOpts): Promise<ApiClient> {
  const { config } = await loadClusterConfig(opts.config);
  const keys = deriveKeys(config.cluster.name, config.cluster.secret);
  let node: string;
  try {
    node = resolveNodeName(config, opts.node ?? process.env.TANDEM_NODE);
  } catch (err) {
    if (!isTandemError(err, 'not-found') || opts.node || process.env.TANDEM_NODE) throw new CliError((err as Error).message, 2);
    const tried: string[] = [];
    let found: string | null = null;
    for (const n of config.nodes) {
      const r = await rpc(keys, 'cli', targetOf(config, n.name)!, 'GET', '/api/status', null, 2_000);
      if (r.ok) { found = n.name; break; }
      tried.push(`${n.name}: ${r.reason}`);
    }
    if (!found) throw new CliError(`this host is not a node of the cluster and no node daemon answers (${tried.join('; ')})`, 3);
    node = found;
  }
  const target = targetOf(config, node)!;
  return {
    config,
    node,
    async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 15_000): Promise<T> {
      const r = await rpc<T>(keys, 'cli', target, method, path, body ?? {}, timeoutMs);
      if (r.ok) return r.body;
      if (r.status === 0) throw new CliError(`cannot reach the node daemon of ${node} at ${target.host}:${target.port}: ${r.reason}`, 3);
      throw new CliError(`${node}: ${r.reason}`, r.status === 401 ? 4 : 1);
    },
  };
}
