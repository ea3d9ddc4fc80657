// Where a group should run: its highest-priority eligible node, with stickiness to the
// current lease holder (failback manual), delayed failback (auto), and operator moves.
// Every answer carries the one-line reason the plan will log.
import type { GroupConfig } from '../model/config-schema.ts';
import type { ClusterView, GroupStatus } from '../model/status.ts';
import { describeExhaustion, exhaustedOn, formatMs } from './recovery.ts';

export type Eligibility = { ok: true } | { ok: false; why: string; noFailover?: boolean };

/** Whether `node` may run `group` now, and if not, why (for reasons and refused moves). */
export function eligibility(view: ClusterView, group: GroupConfig, status: GroupStatus, node: string): Eligibility {
  if (!group.nodes.includes(node)) return { ok: false, why: `${node} is not in group ${group.name}'s node list` };
  const n = view.nodes[node];
  if (!n) return { ok: false, why: `${node} is not known` };
  if (!n.reachable && node !== view.self) return { ok: false, why: `${node} is unreachable` };
  if (n.stopped) return { ok: false, why: `${node}'s cluster service is stopped` };
  if (n.maintenance) return { ok: false, why: `${node} is in maintenance` };
  if (!n.configHashMatches) return { ok: false, why: `${node}'s configuration differs` };
  if (n.failingMonitors.length > 0) return { ok: false, why: `${node}'s node monitor ${n.failingMonitors.join(', ')} reports a failure` };
  const exhausted = exhaustedOn(view, group, status, node);
  if (exhausted) return { ok: false, why: describeExhaustion(exhausted, node), noFailover: !exhausted.recovery.failover };
  return { ok: true };
}

export interface Placement {
  /** The node that should run the group, or null: the group should be offline. */
  readonly target: string | null;
  readonly reason: string;
  /** A pending move request that cannot be honoured (so the policy can drop it). */
  readonly refusedMove?: string;
  /** The group waits for something time-based (failback stable period): worth logging even when idle. */
  readonly waiting?: boolean;
}

/** Decides where `group` should run, as seen in `view`. Total: every input yields an answer. */
export function placeGroup(view: ClusterView, group: GroupConfig, status: GroupStatus): Placement {
  const g = group.name;
  if (status.request === 'stop') return { target: null, reason: `group ${g} is stopped by the operator` };
  const holder = status.lease.holder;
  if (group.startup === 'manual' && status.request !== 'start' && holder === null) {
    return { target: null, reason: `group ${g} has startup manual: waiting for tandem group start` };
  }
  const verdicts = group.nodes.map((n) => [n, eligibility(view, group, status, n)] as const);
  const eligible = verdicts.filter(([, e]) => e.ok).map(([n]) => n);
  const why = (n: string): string => {
    const e = verdicts.find(([m]) => m === n)?.[1];
    return e && !e.ok ? e.why : `${n} is eligible`;
  };
  // Recovery without failover: after the restarts the group goes down where it was, no takeover.
  const holderVerdict = verdicts.find(([n]) => n === holder)?.[1];
  if (holderVerdict && !holderVerdict.ok && holderVerdict.noFailover) {
    return { target: null, reason: `group ${g} stops: ${holderVerdict.why}; its recovery does not fail over` };
  }
  const best = eligible[0];
  if (best === undefined) {
    return { target: null, reason: `no node left for group ${g}: ${group.nodes.map(why).join('; ')}` };
  }

  let refusedMove: string | undefined;
  const move = status.moveRequest;
  if (move) {
    if (eligible.includes(move.to)) return { target: move.to, reason: `group ${g} moves to ${move.to}: requested by the operator` };
    refusedMove = `move of group ${g} to ${move.to} refused: ${why(move.to)}`;
  }
  const withRefusal = (p: Placement): Placement => (refusedMove ? { ...p, reason: `${refusedMove}; ${p.reason}`, refusedMove } : p);

  if (holder !== null && eligible.includes(holder)) {
    if (holder === best) return withRefusal({ target: holder, reason: `group ${g} stays on ${holder}: its highest-priority eligible node` });
    if (group.failback === 'manual') return withRefusal({ target: holder, reason: `group ${g} stays on ${holder}: failback manual (${best} has higher priority)` });
    const upFor = view.nowMs - (view.nodes[best]?.upSinceMs ?? view.nowMs);
    if (upFor >= group.failbackDelay) {
      return withRefusal({ target: best, reason: `group ${g} fails back to ${best}: up for ${formatMs(upFor)}, failback auto` });
    }
    return withRefusal({ target: holder, waiting: true, reason: `group ${g} stays on ${holder}: failback to ${best} in ${formatMs(group.failbackDelay - upFor)} (stable period)` });
  }
  const skipped = group.nodes.slice(0, group.nodes.indexOf(best)).filter((n) => n !== holder).map(why);
  if (holder === null) {
    const because = skipped.length > 0 ? `${skipped.join('; ')}; ${best} is next by priority` : 'highest-priority eligible node';
    return withRefusal({ target: best, reason: `group ${g} starts on ${best}: ${because}` });
  }
  const via = skipped.length > 0 ? `; ${skipped.join('; ')}` : '';
  return withRefusal({ target: best, reason: `group ${g} fails over to ${best}: ${why(holder)}${via}; ${best} is next by priority` });
}
