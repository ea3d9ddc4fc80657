// The resource agent contract (after OCF): start, stop, monitor and validate one resource
// on this node, with OCF-style return codes. The node daemon's executor calls agents with a
// deadline (AbortSignal) and never trusts an agent to finish on its own: when the signal
// fires, an agent kills what it spawned (SIGTERM, then SIGKILL after a grace period).
import type { ResourceConfig, GroupConfig } from '../model/config-schema.ts';

/** OCF return codes (OCF resource agent API, "Return codes"). */
export const OCF = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
} as const;
export type OcfRc = (typeof OCF)[keyof typeof OCF];

export interface AgentOutcome {
  readonly rc: OcfRc;
  /** One line for the event log and `tandem status`, e.g. "address 198.18.0.100/24 answers from 02:..". */
  readonly reason: string;
}

/** Why a group is being started here, as the seed's start script sees it (CLP_EVENT). */
export type StartEvent = 'START' | 'FAILOVER' | 'RECOVER';

/** Everything an agent may know about the call. */
export interface AgentContext {
  readonly cluster: string;
  readonly node: string;
  readonly group: GroupConfig;
  readonly resource: ResourceConfig;
  /** Fencing token of the lease this action runs under (0 for stop/monitor without a lease). */
  readonly epoch: number;
  /** START (first start of the group since the cluster came up), FAILOVER (taken over from another node), RECOVER (restart after a failure here). */
  readonly event: StartEvent;
  /** HOME when this node is the group's first (highest-priority) node, else OTHER (CLP_SERVER). */
  readonly server: 'HOME' | 'OTHER';
  /** 1-based position of this node in the group's node list (CLP_PRIORITY). */
  readonly priority: number;
  /** SUCCESS unless a volume resource of the group failed to come up (CLP_DISK). */
  readonly disk: 'SUCCESS' | 'FAILURE';
  /** Node-local directory the agent may keep state in (pid files, last token). */
  readonly stateDir: string;
  /** Lines for the event log (script output, service output). */
  readonly log: (line: string) => void;
  /** Fires at the action's timeout or when the daemon shuts down. */
  readonly signal: AbortSignal;
  /** The other nodes of the group, for the `sync` agent; supplied by the node daemon. */
  readonly peers: PeerFiles;
}

/** A file as the `sync` agent pushes it to the other nodes. */
export interface SyncedFile {
  /** Absolute path; the receiver writes it only when it is listed in one of its own sync resources. */
  readonly path: string;
  readonly data: Buffer;
  readonly mode: number;
  readonly mtimeMs: number;
}

/** The daemon's side of `sync`: sends files over the authenticated node channel. */
export interface PeerFiles {
  /** Pushes to every reachable node of the group except this one; one result per node tried. */
  push(group: string, resource: string, files: readonly SyncedFile[], signal: AbortSignal): Promise<ReadonlyArray<{ readonly node: string; readonly ok: boolean; readonly reason: string }>>;
}

export interface ResourceAgent {
  /** Checks parameters and prerequisites (binaries present, paths absolute) without side effects. */
  validate(ctx: AgentContext): Promise<AgentOutcome>;
  /** Brings the resource up; SUCCESS only once it is usable (a service: its health check passes, S15). */
  start(ctx: AgentContext): Promise<AgentOutcome>;
  /** Takes it down; stopping a stopped resource is SUCCESS (OCF idempotence). */
  stop(ctx: AgentContext): Promise<AgentOutcome>;
  /** SUCCESS running, NOT_RUNNING cleanly stopped, anything else failed. Also used as the probe. */
  monitor(ctx: AgentContext): Promise<AgentOutcome>;
}

export type AgentFactory = (resource: ResourceConfig) => ResourceAgent;
