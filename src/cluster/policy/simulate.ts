// A tiny pure simulator of a whole cluster, for property tests and dry runs: a `World` is
// a view seen from nowhere; each live node decides on its own view and its plan is applied
// as if every action succeeded, with the arbiter's and executor's fencing rules.
import type { Plan } from '../model/action.ts';
import type { ClusterView, GroupStatus, ResourceState } from '../model/status.ts';
import { decide } from './decide.ts';

/** The global state; `lease.validUntilMs` is the holder's own judgment of its lease. */
export type World = Omit<ClusterView, 'self'>;

/** Whether the node's daemon runs (it can decide and act). */
export function isLive(world: World, node: string): boolean {
  const n = world.nodes[node];
  return n !== undefined && n.reachable && !n.stopped;
}

/** What `node` sees: itself reachable, its own lease validity, nobody else's. */
export function viewFor(world: World, node: string): ClusterView {
  const groups: Record<string, GroupStatus> = {};
  for (const [name, g] of Object.entries(world.groups)) {
    groups[name] = { ...g, lease: { ...g.lease, validUntilMs: g.lease.holder === node ? g.lease.validUntilMs : null } };
  }
  return { ...world, self: node, groups };
}

function setState(g: GroupStatus, node: string, resource: string, state: ResourceState): GroupStatus {
  return { ...g, resources: { ...g.resources, [node]: { ...g.resources[node], [resource]: state } } };
}

/** Applies `plan` to the world as if every action succeeded (each action names its node). */
export function applyPlan(world: World, plan: Plan): World {
  let w: World = world;
  const group = (name: string): GroupStatus | undefined => w.groups[name];
  const put = (g: GroupStatus): void => { w = { ...w, groups: { ...w.groups, [g.name]: g } }; };
  for (const a of plan.actions) {
    switch (a.kind) {
      case 'probe': {
        const g = group(a.group);
        // With no hidden truth to reveal, an unknown resource turns out not to be running.
        if (g && (g.resources[a.node]?.[a.resource] ?? 'unknown') === 'unknown') put(setState(g, a.node, a.resource, 'stopped'));
        break;
      }
      case 'start': case 'restart': {
        const g = group(a.group);
        // The executor's fencing check: act only under the current lease, while it is valid.
        const valid = g && g.lease.holder === a.node && g.lease.epoch === a.epoch && (g.lease.validUntilMs ?? -1) > w.nowMs;
        if (g && valid) put(setState(g, a.node, a.resource, 'running'));
        break;
      }
      case 'stop': {
        const g = group(a.group);
        if (g) put(setState(g, a.node, a.resource, 'stopped'));
        break;
      }
      case 'acquire-lease': {
        const g = group(a.group);
        // The arbiter grants only a free lease; a loser of the race simply sees another holder.
        if (g && g.lease.holder === null) {
          put({ ...g, lease: { holder: a.node, epoch: g.lease.epoch + 1, validUntilMs: w.nowMs + w.config.arbiter.leaseTtl } });
        }
        break;
      }
      case 'release-lease': {
        const g = group(a.group);
        if (g && g.lease.holder === a.node && g.lease.epoch === a.epoch) put({ ...g, lease: { ...g.lease, holder: null, validUntilMs: null } });
        break;
      }
      case 'clear-move-request': {
        const g = group(a.group);
        if (g) put({ ...g, moveRequest: null });
        break;
      }
      case 'stop-node': case 'reboot': {
        const n = w.nodes[a.node];
        // A reboot comes back with nothing running and its counters gone; a stopped service stays down.
        if (n) w = { ...w, nodes: { ...w.nodes, [a.node]: a.kind === 'stop-node' ? { ...n, stopped: true } : { ...n, upSinceMs: w.nowMs } } };
        if (a.kind === 'reboot') {
          for (const g of Object.values(w.groups)) put({ ...g, resources: { ...g.resources, [a.node]: {} }, failures: g.failures.filter((f) => f.node !== a.node) });
        }
        break;
      }
    }
  }
  return w;
}

/**
 * Advances time: live holders renew their leases; a lease whose holder is not live expires
 * once its validity has passed (the arbiter's view of a dead or paused holder).
 */
export function tick(world: World, ms: number): World {
  const nowMs = world.nowMs + ms;
  const groups: Record<string, GroupStatus> = {};
  for (const [name, g] of Object.entries(world.groups)) {
    const { holder, validUntilMs } = g.lease;
    let lease = g.lease;
    if (holder !== null && isLive(world, holder)) lease = { ...lease, validUntilMs: nowMs + world.config.arbiter.leaseTtl };
    else if (holder !== null && (validUntilMs ?? -1) <= nowMs) lease = { ...lease, holder: null, validUntilMs: null };
    groups[name] = { ...g, lease };
  }
  return { ...world, nowMs, groups };
}

export interface RunResult {
  readonly world: World;
  /** Rounds in which some node had actions; the run stops at the first quiet round. */
  readonly rounds: number;
  readonly quiet: boolean;
  /** Every plan made, in order, with its node. */
  readonly plans: readonly { node: string; plan: Plan }[];
}

/** Lets every live node decide and act, round after round, until a round plans nothing. */
export function runCluster(world: World, maxRounds = 50, tickMs = 100): RunResult {
  let w = world;
  const plans: { node: string; plan: Plan }[] = [];
  for (let round = 0; round < maxRounds; round++) {
    let busy = false;
    for (const node of w.config.nodes.map((n) => n.name)) {
      if (!isLive(w, node)) continue;
      const plan = decide(viewFor(w, node));
      plans.push({ node, plan });
      if (plan.actions.length > 0) busy = true;
      w = applyPlan(w, plan);
    }
    if (!busy) return { world: w, rounds: round, quiet: true, plans };
    w = tick(w, tickMs);
  }
  return { world: w, rounds: maxRounds, quiet: false, plans };
}
