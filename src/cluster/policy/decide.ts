// The policy entry point: decide(view) is the plan of the node `view.self` for this cycle.
// PURE and total: no clock, no I/O, never throws. Each node runs its own loop on its own
// view; safety comes from the lease: only a node holding a valid lease plans starts.
import type { GroupConfig } from '../model/config-schema.ts';
import type { Action, Plan } from '../model/action.ts';
import { type ClusterView, type GroupStatus, resourceState } from '../model/status.ts';
import { placeGroup, type Placement } from './placement.ts';
import { bringUpActions, probeActions, stopActions } from './ordering.ts';
import { assessResource, exhaustedOn, formatMs } from './recovery.ts';

const EMPTY_STATUS = (name: string): GroupStatus => ({
  name, lease: { holder: null, epoch: 0, validUntilMs: null }, resources: {}, failures: [],
  suspendedMonitors: [], moveRequest: null, request: 'none', lastResults: [],
});

/**
 * The actions `view.self` should take now, and why. Groups are planned in config order.
 * Lease renewal is not planned here: the loop renews every cycle and reports the result
 * as `lease.validUntilMs`, which this function judges against `view.nowMs`.
 */
export function decide(view: ClusterView): Plan {
  const plans: { group: GroupConfig; plan: GroupPlan }[] = [];
  const reasons: string[] = [];
  for (const group of view.config.groups) {
    try {
      plans.push({ group, plan: decideGroup(view, group, statusOf(view, group)) });
    } catch (err) {
      // Unreachable with a validated config; a bug here must not stop the other groups' plans.
      reasons.push(`group ${group.name}: no plan (policy error: ${(err as Error).message})`);
    }
  }
  const finalAction = plans.map((p) => p.plan.finalAction).find((a) => a !== null) ?? null;
  const actions: Action[] = [];
  for (const { group, plan } of plans) {
    // A final action ends this node's service, so every group here must be down before it
    // runs, not only the one that failed: a stopped node no longer self-fences anything.
    const p = finalAction && plan.finalAction === null ? handOver(view, group, statusOf(view, group), `group ${group.name} stops on ${view.self}: ${finalAction.kind} follows`) : plan;
    actions.push(...p.actions);
    reasons.push(...p.reasons);
  }
  if (finalAction) actions.push(finalAction);
  return { actions, reasons };
}

function statusOf(view: ClusterView, group: GroupConfig): GroupStatus {
  return view.groups[group.name] ?? EMPTY_STATUS(group.name);
}

/** Stops everything of the group on self (unknown included) and releases the lease if self holds it. */
function handOver(view: ClusterView, group: GroupConfig, status: GroupStatus, reason: string): GroupPlan {
  const actions = stopActions(group, status, view.self, ['running', 'failed', 'unknown']);
  if (status.lease.holder === view.self) actions.push({ kind: 'release-lease', group: group.name, node: view.self, epoch: status.lease.epoch });
  return { actions, reasons: actions.length > 0 ? [reason] : [], finalAction: null };
}

interface GroupPlan { actions: Action[]; reasons: string[]; finalAction: Action | null }

function decideGroup(view: ClusterView, group: GroupConfig, status: GroupStatus): GroupPlan {
  const self = view.self;
  const g = group.name;
  const { holder, validUntilMs } = status.lease;
  const holdsLease = holder === self && validUntilMs !== null && validUntilMs > view.nowMs;
  const out: GroupPlan = { actions: [], reasons: [], finalAction: null };

  if (holder === self && !holdsLease) {
    // Lease lost or not renewed in time: another node may already own the group. Stop
    // everything at once, unknown included, without probing first (DESIGN 2.2).
    out.actions = stopActions(group, status, self, ['running', 'failed', 'unknown']);
    const when = validUntilMs === null ? 'never renewed' : `expired ${formatMs(view.nowMs - validUntilMs)} ago`;
    out.reasons.push(out.actions.length > 0
      ? `group ${g}: lease lost on ${self} (${when}), self-fencing: stopping its resources`
      : `group ${g}: lease on ${self} not valid (${when}): nothing runs here; no action until it is renewed or expires`);
    return out;
  }

  const place = placeGroup(view, group, status);
  if (place.target === self) return planActive(view, group, status, holdsLease, place);

  if (holdsLease) {
    // Ours but should not be: hand over cleanly, stop everything, then release the lease.
    const p = handOver(view, group, status, place.reason);
    out.actions = p.actions;
    out.reasons.push(place.reason);
    if (place.target === null) out.finalAction = finalActionFor(view, group, status);
  } else {
    // Not ours: nothing of it may run here. Unknown resources are probed, not blindly stopped.
    const stray = stopActions(group, status, self, ['running', 'failed']);
    const probes = probeActions(group, status, self);
    out.actions = [...stray, ...probes];
    if (stray.length > 0) out.reasons.push(`group ${g}: ${self} does not hold its lease (holder ${holder ?? 'none'}): stopping resources running here`);
    if (probes.length > 0) out.reasons.push(`group ${g}: probing ${probes.length} resource(s) of unknown state on ${self}`);
    if (stray.length > 0 && place.target === null) out.finalAction = finalActionFor(view, group, status);
  }
  return out;
}

/** `self` is where the group should run: acquire the lease, then bring the resources up. */
function planActive(view: ClusterView, group: GroupConfig, status: GroupStatus, holdsLease: boolean, place: Placement): GroupPlan {
  const { reason, refusedMove } = place;
  const self = view.self;
  const g = group.name;
  const { holder, epoch } = status.lease;
  const out: GroupPlan = { actions: [], reasons: [], finalAction: null };
  const probes = probeActions(group, status, self);

  if (!holdsLease) {
    // Until the lease is ours, nothing may run here; probing is harmless.
    out.actions = [...stopActions(group, status, self, ['running', 'failed']), ...probes];
    if (holder === null) {
      out.actions.push({ kind: 'acquire-lease', group: g, node: self });
      out.reasons.push(`${reason}; acquiring its lease`);
    } else {
      out.reasons.push(`${reason}; waiting for ${holder} to release the lease (or for it to expire)`);
    }
    return out;
  }
  if (probes.length > 0) {
    out.actions = probes;
    out.reasons.push(`group ${g}: probing ${probes.length} resource(s) of unknown state on ${self} before starting`);
    return out;
  }

  const restart = new Set<string>();
  const leaveAlone = new Set<string>();
  for (const r of group.resources) {
    if (resourceState(status, self, r.name) !== 'failed') continue;
    if (status.suspendedMonitors.includes(r.name)) {
      leaveAlone.add(r.name);
      out.reasons.push(`group ${g}: ${r.name} failed on ${self} but its monitor is suspended: not recovering`);
      continue;
    }
    const a = assessResource(view, status, r, self);
    restart.add(r.name);
    out.reasons.push(`group ${g}: restart ${r.name} on ${self} (failure ${a.count} of ${a.recovery.restarts} allowed within ${formatMs(a.recovery.window)})`);
  }
  out.actions = bringUpActions(group, status, self, epoch, restart, leaveAlone);
  const starts = out.actions.filter((a) => a.kind === 'start');
  if (starts.length > 0) out.reasons.unshift(`${reason}; starting ${starts.length} resource(s) under epoch ${epoch}`);
  if (status.moveRequest && (status.moveRequest.to === self || refusedMove)) {
    out.actions.push({ kind: 'clear-move-request', group: g, node: self });
    out.reasons.push(refusedMove ?? `group ${g}: move to ${self} done`);
  }
  if (out.actions.length === 0 && place.waiting) out.reasons.push(reason);
  return out;
}

/** The final action when `self` ran the group and has no restart left and no node to fail over to. */
function finalActionFor(view: ClusterView, group: GroupConfig, status: GroupStatus): Action | null {
  // An operator's group stop is not a failure, whatever the fail counts say.
  if (status.request === 'stop') return null;
  const a = exhaustedOn(view, group, status, view.self);
  if (!a || a.recovery.finalAction === 'none') return null;
  const reason = `group ${group.name}: ${a.resource} failed ${a.count} times on ${view.self} and no node can take over: ${a.recovery.finalAction}`;
  return { kind: a.recovery.finalAction, node: view.self, reason };
}
