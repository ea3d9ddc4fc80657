// Test fixtures for the policy: a small mail cluster config and worlds built from it, so
// table and property tests state only what differs from "everything healthy and stopped".
import { validateClusterConfig, type ClusterConfig } from '../model/config.ts';
import type { Failure, GroupStatus, NodeStatus, ResourceState } from '../model/status.ts';
import type { World } from './simulate.ts';

export interface FixtureOptions {
  nodes?: string[];
  failback?: 'manual' | 'auto';
  startup?: 'auto' | 'manual';
  failbackDelayMs?: number;
  restarts?: number;
  windowMs?: number;
  failover?: boolean;
  finalAction?: 'none' | 'stop-node' | 'reboot';
  groups?: number;
}

/** Group `mail` (and mail2.. when groups > 1): volume, vip, then smtp and pop3 on top of both. */
export function makeConfig(o: FixtureOptions = {}): ClusterConfig {
  const nodes = o.nodes ?? ['sv1', 'sv2'];
  const recovery = { restarts: o.restarts ?? 2, window: o.windowMs ?? 60_000, failover: o.failover ?? true, finalAction: o.finalAction ?? 'none' };
  const groups = Array.from({ length: o.groups ?? 1 }, (_, i) => ({
    name: i === 0 ? 'mail' : `mail${i + 1}`,
    nodes: i === 0 ? nodes : [...nodes].reverse(),
    startup: o.startup ?? 'auto',
    failback: o.failback ?? 'manual',
    failbackDelay: o.failbackDelayMs ?? 30_000,
    resources: [
      { name: 'volume', type: 'volume', params: { path: `/srv/tandem/${i}` } },
      { name: 'vip', type: 'vip', params: { address: `198.18.0.${100 + i}`, driver: 'loopback' } },
      { name: 'smtp', type: 'service', params: { command: ['tandem', 'mail', 'serve', 'smtp'] }, dependsOn: ['volume', 'vip'],
        monitors: [{ name: 'listening', kind: 'tcp', host: `198.18.0.${100 + i}`, port: 25, interval: '5s', timeout: '3s', recovery }] },
      { name: 'pop3', type: 'service', params: { command: ['tandem', 'mail', 'serve', 'pop3'] }, dependsOn: ['volume', 'vip'],
        monitors: [{ name: 'alive', kind: 'agent', recovery }] },
    ],
  }));
  const result = validateClusterConfig({
    version: 1,
    cluster: { name: 'test', secret: 'a-test-secret-of-some-length' },
    nodes: nodes.map((name, i) => ({ name, addresses: [`198.18.0.${i + 1}`] })),
    heartbeat: { interval: '500ms', timeout: '3s' },
    arbiter: { type: 'disk', path: '/srv/arbiter', leaseTtl: '3s' },
    groups,
  });
  if (!result.ok) throw new Error(`fixture config invalid: ${result.errors.join('; ')}`);
  return result.config;
}

/** Every node up (since t=0) with the same config; every resource stopped everywhere; no leases. */
export function makeWorld(config: ClusterConfig, nowMs = 100_000): World {
  const nodes: Record<string, NodeStatus> = {};
  for (const n of config.nodes) nodes[n.name] = { name: n.name, reachable: true, upSinceMs: 0, configHashMatches: true, maintenance: false, stopped: false, failingMonitors: [] };
  const groups: Record<string, GroupStatus> = {};
  for (const g of config.groups) {
    const resources: Record<string, Record<string, ResourceState>> = {};
    for (const n of config.nodes) resources[n.name] = Object.fromEntries(g.resources.map((r) => [r.name, 'stopped' as ResourceState]));
    groups[g.name] = { name: g.name, lease: { holder: null, epoch: 0, validUntilMs: null }, resources, failures: [], suspendedMonitors: [], moveRequest: null, request: 'none', lastResults: [] };
  }
  return { config, nowMs, nodes, groups };
}

/** Returns a copy of `w` with group `g` changed by `f`. */
export function withGroup(w: World, g: string, f: (s: GroupStatus) => Partial<GroupStatus>): World {
  const s = w.groups[g];
  if (!s) throw new Error(`no group ${g}`);
  return { ...w, groups: { ...w.groups, [g]: { ...s, ...f(s) } } };
}

/** Returns a copy of `w` with node `n` changed. */
export function withNode(w: World, n: string, patch: Partial<NodeStatus>): World {
  const s = w.nodes[n];
  if (!s) throw new Error(`no node ${n}`);
  return { ...w, nodes: { ...w.nodes, [n]: { ...s, ...patch } } };
}

/** Group `g` fully running on `node`, which holds a valid lease at `epoch`. */
export function activeOn(w: World, g: string, node: string, epoch = 7): World {
  return withGroup(w, g, (s) => ({
    lease: { holder: node, epoch, validUntilMs: w.nowMs + 2_000 },
    resources: { ...s.resources, [node]: Object.fromEntries(Object.keys(s.resources[node] ?? {}).map((r) => [r, 'running' as ResourceState])) },
  }));
}

/** Sets one resource's state on a node. */
export function withState(w: World, g: string, node: string, resource: string, state: ResourceState): World {
  return withGroup(w, g, (s) => ({ resources: { ...s.resources, [node]: { ...s.resources[node], [resource]: state } } }));
}

/** Records `count` monitor failures of `resource` on `node`, the last one now, and marks it failed. */
export function withFailures(w: World, g: string, node: string, resource: string, count: number, monitor: string | null = 'listening', spacingMs = 5_000): World {
  const failures: Failure[] = Array.from({ length: count }, (_, i) => ({ node, resource, monitor, atMs: w.nowMs - (count - 1 - i) * spacingMs }));
  return withState(withGroup(w, g, (s) => ({ failures: [...s.failures, ...failures] })), g, node, resource, 'failed');
}
