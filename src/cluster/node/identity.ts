// Which node of the config this host is: `--node`, else the config node one of whose
// addresses is configured on a local interface. Ambiguity or no match is an error that says so.
import { networkInterfaces } from 'node:os';
import type { ClusterConfig } from '../model/config-schema.ts';
import { TandemError } from '../../lib/errors.ts';

export function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}

export function resolveNodeName(config: ClusterConfig, explicit: string | undefined, local: Set<string> = localAddresses()): string {
  const names = config.nodes.map((n) => n.name);
  if (explicit) {
    if (!names.includes(explicit)) throw new TandemError('CLU_ERR_UNKNOWN_NODE', 'not-found', `node ${JSON.stringify(explicit)} is not in the configuration (nodes: ${names.join(', ')})`);
    return explicit;
  }
  const mine = config.nodes.filter((n) => n.addresses.some((a) => local.has(a)));
  if (mine.length === 1) return mine[0]!.name;
  if (mine.length === 0) throw new TandemError('CLU_ERR_UNKNOWN_NODE', 'not-found', `none of this host's addresses belongs to a node of the configuration (nodes: ${names.join(', ')}); name the node with --node`);
  throw new TandemError('CLU_ERR_UNKNOWN_NODE', 'invalid', `this host has addresses of several nodes (${mine.map((n) => n.name).join(', ')}); name the node with --node`);
}
