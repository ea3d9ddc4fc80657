// Turns "these resources should be up/down on this node" into ordered actions: starts in
// dependency order, stops in reverse, restarts wrapped by stopping and restarting dependents.
import type { GroupConfig } from '../model/config-schema.ts';
import type { Action } from '../model/action.ts';
import { type GroupStatus, type ResourceState, resourceState } from '../model/status.ts';
import { dependentsOf, startOrder, stopOrder } from '../model/order.ts';

const byName = (group: GroupConfig, name: string): GroupConfig['resources'][number] | undefined =>
  group.resources.find((r) => r.name === name);

/** Probes for every resource whose state on `node` is unknown (probing comes before any start). */
export function probeActions(group: GroupConfig, status: GroupStatus, node: string): Action[] {
  return startOrder(group)
    .filter((r) => resourceState(status, node, r) === 'unknown')
    .map((r) => ({ kind: 'probe', group: group.name, resource: r, node, timeoutMs: byName(group, r)?.timeouts.monitor ?? 0 }));
}

/** Stops, dependents first, of every resource on `node` in one of `states`. */
export function stopActions(group: GroupConfig, status: GroupStatus, node: string, states: readonly ResourceState[]): Action[] {
  return stopOrder(group)
    .filter((r) => states.includes(resourceState(status, node, r)))
    .map((r) => ({ kind: 'stop', group: group.name, resource: r, node, timeoutMs: byName(group, r)?.timeouts.stop ?? 0 }));
}

/**
 * Brings the group up on `node` under lease `epoch`: restarts the `restart` set (after
 * stopping whatever runs on top of them) and starts everything not running, in order.
 * Resources in `leaveAlone` (failed under a suspended monitor) are neither started nor restarted,
 * and nothing that depends on them is started.
 */
export function bringUpActions(group: GroupConfig, status: GroupStatus, node: string, epoch: number,
  restart: ReadonlySet<string>, leaveAlone: ReadonlySet<string>): Action[] {
  const actions: Action[] = [];
  const state = (r: string): ResourceState => resourceState(status, node, r);
  const blocked = new Set<string>(leaveAlone);
  for (const r of leaveAlone) for (const d of dependentsOf(group, r)) blocked.add(d);
  // Dependents of a restarted resource lose what they stand on: stop them first, start them after.
  const bounce = new Set<string>();
  for (const r of restart) for (const d of dependentsOf(group, r)) if (!restart.has(d) && state(d) === 'running') bounce.add(d);
  for (const r of stopOrder(group)) {
    if (bounce.has(r)) actions.push({ kind: 'stop', group: group.name, resource: r, node, timeoutMs: byName(group, r)?.timeouts.stop ?? 0 });
  }
  for (const r of startOrder(group)) {
    const timeoutMs = byName(group, r)?.timeouts.start ?? 0;
    if (restart.has(r)) {
      // A restart is a stop plus a start, so it takes up to both timeouts.
      actions.push({ kind: 'restart', group: group.name, resource: r, node, epoch, timeoutMs: timeoutMs + (byName(group, r)?.timeouts.stop ?? 0) });
    } else if (!blocked.has(r) && (state(r) === 'stopped' || bounce.has(r))) {
      actions.push({ kind: 'start', group: group.name, resource: r, node, epoch, timeoutMs });
    }
  }
  return actions;
}
