// The one-line cycle summary the node loop logs (Patroni style): what this node does now
// and why, or, when idle, who holds each group. Pure.
import type { Plan } from '../model/action.ts';
import type { ClusterView } from '../model/status.ts';
import { placeGroup } from './placement.ts';

/** e.g. "no action: sv1 holds mail (epoch 42); mail2 is offline" or "3 actions: group mail ...". */
export function summarizeCycle(view: ClusterView, plan: Plan): string {
  if (plan.actions.length > 0) {
    const n = plan.actions.length;
    return `${n} action${n === 1 ? '' : 's'}: ${plan.reasons.join('; ') || 'no reason given'}`;
  }
  const groups = view.config.groups.map((g) => {
    const lease = view.groups[g.name]?.lease;
    if (lease?.holder) return `${lease.holder} holds ${g.name} (epoch ${lease.epoch})`;
    // An offline group nobody may take says why (stopped, manual startup, no node left).
    const status = view.groups[g.name];
    const place = status ? placeGroup(view, g, status) : null;
    return place && place.target === null ? `${g.name} is offline: ${place.reason}` : `${g.name} is offline`;
  });
  const waiting = plan.reasons.length > 0 ? ` (${plan.reasons.join('; ')})` : '';
  return `no action: ${groups.join('; ') || 'no groups'}${waiting}`;
}
