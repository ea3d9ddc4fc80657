// What a policy plan asks one node's executor to do, and what the executor reports back.
// Actions are data: each names its group, resource and node, and carries its timeout.
import type { ResourceState } from './status.ts';

interface ResourceAction {
  readonly group: string;
  readonly resource: string;
  readonly node: string;
  readonly timeoutMs: number;
}

/** Starts carry the lease epoch: the executor refuses if the lease moved on, the volume agent records it. */
export type Action =
  | ({ readonly kind: 'probe' } & ResourceAction)
  | ({ readonly kind: 'start'; readonly epoch: number } & ResourceAction)
  | ({ readonly kind: 'stop' } & ResourceAction)
  /** Stop then start in place, after a failure within the restart budget. */
  | ({ readonly kind: 'restart'; readonly epoch: number } & ResourceAction)
  | { readonly kind: 'acquire-lease'; readonly group: string; readonly node: string }
  /** Only after every resource of the group is stopped on `node`. */
  | { readonly kind: 'release-lease'; readonly group: string; readonly node: string; readonly epoch: number }
  /** The move request is satisfied (the group runs on its target); the daemon forgets it. */
  | { readonly kind: 'clear-move-request'; readonly group: string; readonly node: string }
  /** Final actions of the recovery policy, after the node's resources are stopped. */
  | { readonly kind: 'stop-node'; readonly node: string; readonly reason: string }
  | { readonly kind: 'reboot'; readonly node: string; readonly reason: string };

export type ActionKind = Action['kind'];

export interface Plan {
  /** In execution order; the executor stops at the first failure and the next cycle re-plans. */
  readonly actions: readonly Action[];
  /** One line per decision, for the event log and `tandem log`. */
  readonly reasons: readonly string[];
}

/** Executor outcome, after Pacemaker: failure means exec !== 'done' or rc is not the expected one. */
export interface ActionResult {
  readonly action: Action;
  readonly exec: 'done' | 'timeout' | 'error' | 'not-installed' | 'cancelled';
  /** OCF-style: 0 success, 1 generic error, 7 not running. */
  readonly rc: number;
  /** For probe and monitor: what the resource turned out to be. */
  readonly observed?: ResourceState;
  readonly reason: string;
  readonly atMs: number;
}

/** A short human form of an action, for plan dumps and golden files. */
export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'probe': case 'stop': return `${a.kind} ${a.group}/${a.resource} on ${a.node}`;
    case 'start': case 'restart': return `${a.kind} ${a.group}/${a.resource} on ${a.node} (epoch ${a.epoch})`;
    case 'acquire-lease': return `acquire lease ${a.group} on ${a.node}`;
    case 'release-lease': return `release lease ${a.group} on ${a.node} (epoch ${a.epoch})`;
    case 'clear-move-request': return `clear move request ${a.group} on ${a.node}`;
    case 'stop-node': case 'reboot': return `${a.kind} ${a.node}`;
  }
}
