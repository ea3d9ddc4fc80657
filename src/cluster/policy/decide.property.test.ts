// Property-based tests (fast-check) of the invariants DESIGN 2.1 promises, over random
// views and random event sequences run through the pure simulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide } from './decide.ts';
import { isLive, runCluster, tick, viewFor, type World } from './simulate.ts';
import { makeConfig, makeWorld, withGroup, withNode } from './_fixtures.ts';
import type { Failure, ResourceState } from '../model/status.ts';

const NOW = 1_000_000;
const STATES: ResourceState[] = ['running', 'stopped', 'failed', 'unknown'];
const RESOURCES = ['volume', 'vip', 'smtp', 'pop3'];

const optionsArb = fc.record({
  nodeCount: fc.integer({ min: 2, max: 4 }),
  groups: fc.integer({ min: 1, max: 2 }),
  failback: fc.constantFrom('manual' as const, 'auto' as const),
  startup: fc.constantFrom('auto' as const, 'manual' as const),
  restarts: fc.integer({ min: 0, max: 3 }),
  failover: fc.boolean(),
  finalAction: fc.constantFrom('none' as const, 'stop-node' as const, 'reboot' as const),
});
const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `sv${i + 1}`);

/** Any view at all: random node flags, leases (valid or not), states, failures and requests. */
const randomWorldArb = optionsArb.chain((o) => {
  const nodes = names(o.nodeCount);
  const node = fc.constantFrom(...nodes);
  const nodeArb = fc.record({ reachable: fc.boolean(), configHashMatches: fc.boolean(), maintenance: fc.boolean(), stopped: fc.boolean(), upSinceMs: fc.integer({ min: 0, max: NOW }), failingMonitors: fc.subarray(['gateway', 'eth0']) });
  const groupArb = fc.record({
    holder: fc.option(node), epoch: fc.integer({ min: 0, max: 50 }), valid: fc.boolean(),
    states: fc.array(fc.constantFrom(...STATES), { minLength: nodes.length * 4, maxLength: nodes.length * 4 }),
    failures: fc.array(fc.record({ node, resource: fc.constantFrom(...RESOURCES), monitor: fc.constantFrom('listening', 'alive', null), age: fc.integer({ min: 0, max: 120_000 }) }), { maxLength: 8 }),
    suspended: fc.subarray(RESOURCES), move: fc.option(node), request: fc.constantFrom('none' as const, 'start' as const, 'stop' as const),
  });
  return fc.tuple(fc.constant(o), fc.array(nodeArb, { minLength: nodes.length, maxLength: nodes.length }), fc.array(groupArb, { minLength: o.groups, maxLength: o.groups }));
}).map(([o, nodeFlags, groupDraws]) => {
  const nodes = names(o.nodeCount);
  let w = makeWorld(makeConfig({ ...o, nodes }), NOW);
  nodes.forEach((n, i) => { w = withNode(w, n, nodeFlags[i] ?? {}); });
  w.config.groups.forEach((g, gi) => {
    const d = groupDraws[gi];
    if (!d) return;
    w = withGroup(w, g.name, () => ({
      lease: { holder: d.holder, epoch: d.epoch, validUntilMs: d.holder !== null && d.valid ? NOW + 1_000 : NOW - 1 },
      resources: Object.fromEntries(nodes.map((n, ni) => [n, Object.fromEntries(RESOURCES.map((r, ri) => [r, d.states[ni * 4 + ri] ?? 'unknown']))])),
      failures: d.failures.map((f): Failure => ({ node: f.node, resource: f.resource, monitor: f.monitor, atMs: NOW - f.age })),
      suspendedMonitors: d.suspended, moveRequest: d.move === null ? null : { to: d.move, atMs: NOW }, request: d.request,
    }));
  });
  return w;
});

test('decide() on any view is pure, never throws, and only the valid lease holder plans starts, under its own epoch', () => {
  fc.assert(fc.property(randomWorldArb, (w) => {
    for (const g of w.config.groups) {
      const lease = w.groups[g.name]?.lease;
      const starters = new Set<string>();
      for (const n of w.config.nodes) {
        const view = viewFor(w, n.name);
        const before = JSON.stringify(view);
        const plan = decide(view);
        // Pure: the view is untouched and the same view always gives the same plan.
        assert.equal(JSON.stringify(view), before);
        assert.deepEqual(decide(view), plan);
        for (const a of plan.actions) {
          if ((a.kind === 'start' || a.kind === 'restart') && a.group === g.name) {
            starters.add(a.node);
            assert.equal(a.node, n.name);
            assert.equal(a.epoch, lease?.epoch);
          }
          if (a.kind === 'acquire-lease' && a.group === g.name) assert.equal(lease?.holder, null, 'acquires only a free lease');
        }
      }
      assert.ok(starters.size <= 1, `two nodes start ${g.name}: ${[...starters]}`);
      for (const s of starters) assert.ok(lease?.holder === s && (lease.validUntilMs ?? 0) > w.nowMs, `${s} starts without a valid lease`);
    }
  }), { numRuns: 300 });
});

/** The node a group should run on from a clean start: first eligible by priority. */
function expectedHome(w: World, group: string): string | null {
  const g = w.config.groups.find((x) => x.name === group);
  return g?.nodes.find((n) => { const s = w.nodes[n]; return s && s.reachable && !s.stopped && !s.maintenance && s.configHashMatches && s.failingMonitors.length === 0; }) ?? null;
}

/** Nodes where any resource of `group` runs. */
function runningOn(w: World, group: string): string[] {
  const s = w.groups[group];
  return Object.entries(s?.resources ?? {}).filter(([, rs]) => Object.values(rs).some((x) => x === 'running')).map(([n]) => n);
}

const cleanWorldArb = fc.tuple(optionsArb, fc.array(fc.record({ reachable: fc.boolean(), maintenance: fc.boolean() }), { minLength: 4, maxLength: 4 }))
  .map(([o, flags]) => {
    const nodes = names(o.nodeCount);
    let w = makeWorld(makeConfig({ ...o, startup: 'auto', nodes }), NOW);
    nodes.forEach((n, i) => { w = withNode(w, n, flags[i] ?? {}); });
    return w;
  });

test('from a clean start every group runs wholly on its highest-priority eligible node, and then the plan is empty', () => {
  fc.assert(fc.property(cleanWorldArb, (w0) => {
    const { world, quiet } = runCluster(w0);
    assert.ok(quiet, 'the cluster settles');
    for (const g of world.config.groups) {
      const home = expectedHome(world, g.name);
      assert.deepEqual(runningOn(world, g.name), home ? [home] : []);
      if (home) assert.equal(world.groups[g.name]?.lease.holder, home);
    }
    // Idempotence: once its plan is applied, a stable view yields no action on any node.
    for (const n of world.config.nodes) if (isLive(world, n.name)) assert.deepEqual(decide(viewFor(world, n.name)).actions, []);
  }), { numRuns: 200 });
});

type Event =
  | { kind: 'crash' | 'recover' | 'pause' | 'resume' | 'maintenance-on' | 'maintenance-off'; node: number }
  | { kind: 'monitor-fail'; resource: number }
  | { kind: 'wait'; ms: number };

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constantFrom('crash' as const, 'recover' as const, 'pause' as const, 'resume' as const, 'maintenance-on' as const, 'maintenance-off' as const), node: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('monitor-fail' as const), resource: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 70_000 }) }),
);

/** Applies one outside event to the world. A paused node keeps its processes running, a crashed one loses them. */
function applyEvent(w: World, e: Event, paused: Set<string>): World {
  if (e.kind === 'wait') return tick(w, e.ms);
  const nodes = w.config.nodes.map((n) => n.name);
  if (e.kind === 'monitor-fail') {
    let out = w;
    for (const g of w.config.groups) {
      const holder = w.groups[g.name]?.lease.holder;
      const r = RESOURCES[e.resource] as string;
      if (!holder || w.groups[g.name]?.resources[holder]?.[r] !== 'running') continue;
      out = withGroup(out, g.name, (s) => ({
        resources: { ...s.resources, [holder]: { ...s.resources[holder], [r]: 'failed' } },
        failures: [...s.failures, { node: holder, resource: r, monitor: r === 'smtp' ? 'listening' : r === 'pop3' ? 'alive' : null, atMs: w.nowMs }],
      }));
    }
    return out;
  }
  const node = nodes[e.node % nodes.length] as string;
  switch (e.kind) {
    case 'crash': {
      paused.delete(node);
      let out = withNode(w, node, { reachable: false });
      for (const g of w.config.groups) out = withGroup(out, g.name, (s) => ({ resources: { ...s.resources, [node]: Object.fromEntries(RESOURCES.map((r) => [r, 'stopped' as ResourceState])) } }));
      return out;
    }
    case 'pause': paused.add(node); return withNode(w, node, { reachable: false });
    case 'recover': case 'resume':
      if (w.nodes[node]?.reachable) return w;
      paused.delete(node);
      return withNode(w, node, { reachable: true, stopped: false, upSinceMs: w.nowMs });
    case 'maintenance-on': return withNode(w, node, { maintenance: true });
    case 'maintenance-off': return withNode(w, node, { maintenance: false });
  }
}

const scenarioArb = fc.tuple(optionsArb, fc.array(eventArb, { minLength: 1, maxLength: 12 }));

test('under random crashes, pauses, failures and waits: one owner per group, one node per epoch, priority kept, settles, never flaps', () => {
  fc.assert(fc.property(scenarioArb, ([o, events]) => {
    let w = runCluster(makeWorld(makeConfig({ ...o, startup: 'auto', nodes: names(o.nodeCount) }), NOW)).world;
    const paused = new Set<string>();
    const epochOwner = new Map<string, string>();
    for (const e of events) {
      // Past the lease TTL, so the arbiter has expired the leases of dead and paused holders.
      w = tick(applyEvent(w, e, paused), 3_100);
      const run = runCluster(w, 200);
      assert.ok(run.quiet, `settles after ${JSON.stringify(e)}`);
      for (const { node, plan } of run.plans) {
        for (const a of plan.actions) {
          if (a.kind !== 'start' && a.kind !== 'restart') continue;
          const key = `${a.group}@${a.epoch}`;
          assert.equal(epochOwner.get(key) ?? node, node, `epoch ${key} used by two nodes`);
          epochOwner.set(key, node);
        }
      }
      const before = w;
      w = run.world;
      for (const g of w.config.groups) {
        // Priority: a group that changed hands went to the first node by priority that could take it.
        const holder = w.groups[g.name]?.lease.holder ?? null;
        if (holder !== null && holder !== before.groups[g.name]?.lease.holder) {
          for (const n of g.nodes.slice(0, g.nodes.indexOf(holder))) {
            const s = w.nodes[n];
            const clean = !w.groups[g.name]?.failures.some((f) => f.node === n && w.nowMs - f.atMs < 60_000);
            assert.ok(!(s && isLive(w, n) && !s.maintenance && clean), `${g.name} went to ${holder} though ${n} could take it`);
          }
        }
        // Paused nodes' frozen processes are the fencing token's and watchdog's business, not the policy's.
        const owners = runningOn(w, g.name).filter((n) => !paused.has(n));
        assert.ok(owners.length <= 1, `${g.name} runs on ${owners}`);
        for (const n of owners) assert.equal(n, holder, `${g.name} runs on ${n} without its lease`);
      }
      for (const n of w.config.nodes) if (isLive(w, n.name)) assert.deepEqual(decide(viewFor(w, n.name)).actions, [], `${n.name} still acts after settling`);
    }
  }), { numRuns: 150, examples: [
    // Found by this test: a final action stopped the node while another group still ran there.
    [[{ nodeCount: 2, groups: 2, failback: 'manual', startup: 'auto', restarts: 1, failover: false, finalAction: 'stop-node' },
      [{ kind: 'monitor-fail', resource: 2 }, { kind: 'crash', node: 0 }, { kind: 'monitor-fail', resource: 2 }, { kind: 'wait', ms: 0 }]]],
  ] });
});

const harmlessEventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constantFrom('crash' as const, 'recover' as const, 'maintenance-on' as const, 'maintenance-off' as const), node: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 120_000 }) }),
);

test('with failback manual a healthy group is never moved by other nodes coming and going', () => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 4 }), fc.array(harmlessEventArb, { maxLength: 12 }), (count, events) => {
    // Start on sv2 (sv1 down), then let sv1 return with the rest of the events: the group must stay.
    let w = withNode(makeWorld(makeConfig({ nodes: names(count), failback: 'manual' }), NOW), 'sv1', { reachable: false });
    w = runCluster(w).world;
    const home = w.groups.mail?.lease.holder;
    assert.equal(home, 'sv2');
    w = withNode(w, 'sv1', { reachable: true, upSinceMs: w.nowMs });
    const paused = new Set<string>();
    for (const e of events) {
      if ('node' in e && names(count)[e.node % count] === home) continue;
      w = runCluster(tick(applyEvent(w, e, paused), 3_100)).world;
      assert.equal(w.groups.mail?.lease.holder, home);
      assert.deepEqual(runningOn(w, 'mail'), [home]);
    }
  }), { numRuns: 150 });
});

test('with failback auto the group returns home only after the stable period', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 60_000 }), (waitMs) => {
    let w = withNode(makeWorld(makeConfig({ failback: 'auto', failbackDelayMs: 30_000 }), NOW), 'sv1', { reachable: false });
    w = runCluster(w).world;
    w = withNode(w, 'sv1', { reachable: true, upSinceMs: w.nowMs });
    w = runCluster(tick(w, waitMs), 5).world;
    assert.equal(w.groups.mail?.lease.holder, waitMs >= 30_000 ? 'sv1' : 'sv2');
  }), { numRuns: 100 });
});
