// Builds the ClusterView the policy reads, from what this node knows: its own resource
// states and failures, the peers' last heartbeats (ages turned into our clock), the leases
// as the LeaseKeeper judges them, and the operator's wishes. Pure: inputs in, view out.
import type { ClusterConfig } from '../model/config-schema.ts';
import type { ActionResult } from '../model/action.ts';
import type { ClusterView, Failure, GroupStatus, LeaseStatus, NodeStatus, ResourceState } from '../model/status.ts';
import type { NodeReport, OperatorState } from '../transport/messages.ts';

export interface PeerInput {
  readonly reachable: boolean;
  readonly upSinceMs: number;
  /** Our clock when its report arrived. */
  readonly receivedAtMs: number | null;
  readonly report: NodeReport | null;
}

export interface SelfInput {
  readonly upSinceMs: number;
  readonly stopped: boolean;
  readonly maintenance: boolean;
  readonly failingMonitors: readonly string[];
  readonly resources: ReadonlyMap<string, Readonly<Record<string, ResourceState>>>;
  readonly failures: ReadonlyMap<string, readonly Failure[]>;
  readonly lastResults: ReadonlyMap<string, readonly ActionResult[]>;
}

export interface ViewInput {
  readonly config: ClusterConfig;
  readonly self: string;
  readonly configHash: string;
  readonly nowMs: number;
  readonly nowWall: number;
  readonly me: SelfInput;
  readonly peers: ReadonlyMap<string, PeerInput>;
  readonly lease: (group: string) => LeaseStatus;
  readonly operator: (group: string) => OperatorState;
}

export function buildView(input: ViewInput): ClusterView {
  const { config, self, nowMs } = input;
  const nodes: Record<string, NodeStatus> = {};
  for (const n of config.nodes) {
    if (n.name === self) {
      nodes[n.name] = { name: self, reachable: true, upSinceMs: input.me.upSinceMs, configHashMatches: true,
        maintenance: input.me.maintenance, stopped: input.me.stopped, failingMonitors: [...input.me.failingMonitors] };
      continue;
    }
    const p = input.peers.get(n.name);
    const r = p?.report ?? null;
    nodes[n.name] = {
      name: n.name,
      reachable: p?.reachable ?? false,
      upSinceMs: p?.upSinceMs ?? nowMs,
      // A node we never heard cannot be shown to match; it is unreachable anyway.
      configHashMatches: r !== null && r.configHash === input.configHash,
      maintenance: r?.maintenance ?? false,
      stopped: r?.stopped ?? false,
      failingMonitors: [...(r?.failingMonitors ?? [])],
    };
  }
  const groups: Record<string, GroupStatus> = {};
  for (const g of config.groups) {
    const resources: Record<string, Record<string, ResourceState>> = { [self]: { ...input.me.resources.get(g.name) } };
    const failures: Failure[] = [...(input.me.failures.get(g.name) ?? [])];
    for (const [name, p] of input.peers) {
      const rep = p.report?.groups[g.name];
      if (!rep || !p.reachable || p.receivedAtMs === null) continue;
      resources[name] = { ...rep.resources };
      for (const f of rep.failures) failures.push({ node: name, resource: f.resource, monitor: f.monitor, atMs: p.receivedAtMs - f.ageMs });
    }
    failures.sort((a, b) => a.atMs - b.atMs);
    const op = input.operator(g.name);
    groups[g.name] = {
      name: g.name,
      lease: input.lease(g.name),
      resources,
      failures,
      suspendedMonitors: [...op.suspended],
      moveRequest: op.moveTo ? { to: op.moveTo, atMs: nowMs - Math.max(0, input.nowWall - (op.moveAtWall ?? input.nowWall)) } : null,
      request: op.request,
      lastResults: [...(input.me.lastResults.get(g.name) ?? [])],
    };
  }
  return { config, self, nowMs, nodes, groups };
}
