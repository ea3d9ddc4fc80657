// What a node tells the others in every heartbeat: its config hash and its own view. The
// receiver turns ages into its own clock (no clock sync between nodes is assumed).
import type { ResourceState } from '../model/status.ts';

/** An operator's wish for a group, shared by every node; the newest version wins. */
export interface OperatorState {
  readonly request: 'none' | 'start' | 'stop';
  readonly moveTo: string | null;
  /** Wall-clock time of the move request (for its age on each node). */
  readonly moveAtWall: number | null;
  /** Resources whose monitors are suspended (tandem monitor suspend, svc restart). */
  readonly suspended: readonly string[];
  /** Last-writer-wins order: wall time of the change, then the node that made it. */
  readonly version: { readonly wall: number; readonly node: string };
}

export const NO_OPERATOR_STATE: OperatorState = { request: 'none', moveTo: null, moveAtWall: null, suspended: [], version: { wall: 0, node: '' } };

export function isNewer(a: OperatorState, b: OperatorState): boolean {
  return a.version.wall !== b.version.wall ? a.version.wall > b.version.wall : a.version.node > b.version.node;
}

export interface ReportedFailure {
  readonly resource: string;
  readonly monitor: string | null;
  /** How long ago, on the sender's clock, at sending time. */
  readonly ageMs: number;
}

export interface GroupReport {
  /** The sender's own resource states for this group. */
  readonly resources: Readonly<Record<string, ResourceState>>;
  /** The sender's own failures of this group's resources (recent ones, bounded). */
  readonly failures: readonly ReportedFailure[];
}

export interface NodeReport {
  readonly configHash: string;
  readonly stopped: boolean;
  readonly maintenance: boolean;
  readonly failingMonitors: readonly string[];
  /** Peers the sender currently hears. */
  readonly hears: readonly string[];
  readonly groups: Readonly<Record<string, GroupReport>>;
  readonly operator: Readonly<Record<string, OperatorState>>;
}
