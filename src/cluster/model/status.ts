// The immutable snapshot one node's policy reads each cycle (`ClusterView`): the config,
// what this node observes of every node and group, and `now` from an injected clock.
// Built by the daemon's observe step; never mutated (the simulator copies).
import type { ClusterConfig } from './config-schema.ts';
import type { ActionResult } from './action.ts';

/** What a resource is doing on one node, as the last probe, monitor or action showed. */
export type ResourceState = 'running' | 'stopped' | 'failed' | 'unknown';

export interface NodeStatus {
  readonly name: string;
  /** Heartbeats arrive within heartbeat.timeout (always true for the observing node itself). */
  readonly reachable: boolean;
  /** Since when (ms, observer's clock) the node has been reachable; drives the failback stable period. */
  readonly upSinceMs: number;
  /** Its config hash equals ours (S12); a node that differs may not run groups. */
  readonly configHashMatches: boolean;
  /** Operator standby: the node keeps its cluster service but takes no groups and hands its groups over. */
  readonly maintenance: boolean;
  /** Its cluster service is stopped (`tandem cluster stop`, or the final action stop-node). */
  readonly stopped: boolean;
  /** Names of its node monitors (config nodeMonitors: ping, link) that currently report a failure. */
  readonly failingMonitors: readonly string[];
}

export interface LeaseStatus {
  /** The holder as the arbiter last reported it; null when free or expired. */
  readonly holder: string | null;
  /** Fencing token of the current (or last) grant; increases with every acquisition. */
  readonly epoch: number;
  /**
   * When the holder is this node: until when (ms, our monotonic clock) the lease is safe to
   * act on, i.e. last successful renewal + ttl - margin. Null when not ours or never renewed.
   * The node judges its own lease from this, never from the arbiter library's say-so.
   */
  readonly validUntilMs: number | null;
}

/** One recorded failure of a resource on a node: a monitor that fell, or a failed start. */
export interface Failure {
  readonly node: string;
  readonly resource: string;
  /** The monitor that reported it; null for a failed start or stop action. */
  readonly monitor: string | null;
  readonly atMs: number;
}

/** What an operator asked of a group (tandem group start|stop); it holds until the operator changes it. */
export type GroupRequest = 'none' | 'start' | 'stop';

export interface GroupStatus {
  readonly name: string;
  readonly lease: LeaseStatus;
  /** node -> resource -> state. A node or resource missing here counts as `unknown`. */
  readonly resources: Readonly<Record<string, Readonly<Record<string, ResourceState>>>>;
  /** Failures of this group's resources, any age; the policy counts those inside each window. */
  readonly failures: readonly Failure[];
  /** Resources whose monitors are suspended (tandem monitor suspend, cluster-aware restarts, S16). */
  readonly suspendedMonitors: readonly string[];
  /** Pending `tandem group move --to`, until the group runs there. */
  readonly moveRequest: { readonly to: string; readonly atMs: number } | null;
  readonly request: GroupRequest;
  /** Results of this node's last actions for the group, newest last (for reasons and status). */
  readonly lastResults: readonly ActionResult[];
}

export interface ClusterView {
  readonly config: ClusterConfig;
  /** The node whose loop built this view and will execute the plan. */
  readonly self: string;
  readonly nowMs: number;
  readonly nodes: Readonly<Record<string, NodeStatus>>;
  readonly groups: Readonly<Record<string, GroupStatus>>;
}

/** A resource's state on a node, `unknown` when never observed. */
export function resourceState(group: GroupStatus | undefined, node: string, resource: string): ResourceState {
  return group?.resources[node]?.[resource] ?? 'unknown';
}
