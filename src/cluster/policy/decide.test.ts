// Table-driven tests of decide(): one case per rule, named by behaviour, each stating the
// world, the deciding node, the exact actions expected and a phrase its reason must contain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from './decide.ts';
import { viewFor, type World } from './simulate.ts';
import { describeAction } from '../model/action.ts';
import { activeOn, makeConfig, makeWorld, withFailures, withGroup, withNode, withState, type FixtureOptions } from './_fixtures.ts';

const NOW = 100_000;
const world = (o: FixtureOptions = {}): World => makeWorld(makeConfig(o), NOW);
const four = (): World => world({ nodes: ['sv1', 'sv2', 'sv3', 'sv4'] });
const UP_ALL = (node: string, epoch: number): string[] =>
  ['volume', 'vip', 'smtp', 'pop3'].map((r) => `start mail/${r} on ${node} (epoch ${epoch})`);
const DOWN_ALL = (node: string): string[] => ['pop3', 'smtp', 'vip', 'volume'].map((r) => `stop mail/${r} on ${node}`);

interface Case {
  name: string;
  world: () => World;
  self: string;
  actions: string[];
  /** A phrase some reason must contain (omit for "no reason needed"). */
  reason?: RegExp;
}

const cases: Case[] = [
  { name: 'a group with startup auto starts by acquiring its lease on the highest-priority node',
    world: world, self: 'sv1', actions: ['acquire lease mail on sv1'], reason: /group mail starts on sv1: highest-priority eligible node; acquiring its lease/ },
  { name: 'a lower-priority node does nothing while a higher-priority node is eligible',
    world: world, self: 'sv2', actions: [] },
  { name: 'the lease holder starts resources in dependency order under its epoch',
    world: () => withGroup(world(), 'mail', () => ({ lease: { holder: 'sv1', epoch: 3, validUntilMs: NOW + 2_000 } })),
    self: 'sv1', actions: UP_ALL('sv1', 3), reason: /starting 4 resource\(s\) under epoch 3/ },
  { name: 'resources of unknown state are probed before any start',
    world: () => withState(withGroup(world(), 'mail', () => ({ lease: { holder: 'sv1', epoch: 3, validUntilMs: NOW + 2_000 } })), 'mail', 'sv1', 'vip', 'unknown'),
    self: 'sv1', actions: ['probe mail/vip on sv1'], reason: /probing 1 resource/ },
  { name: 'a running group on a healthy holder yields an empty plan',
    world: () => activeOn(world(), 'mail', 'sv1'), self: 'sv1', actions: [] },
  { name: 'startup manual: the group waits for tandem group start',
    world: () => world({ startup: 'manual' }), self: 'sv1', actions: [] },
  { name: 'startup manual: tandem group start acquires the lease',
    world: () => withGroup(world({ startup: 'manual' }), 'mail', () => ({ request: 'start' })), self: 'sv1', actions: ['acquire lease mail on sv1'] },
  { name: 'startup manual: a group already running keeps running without a request',
    world: () => activeOn(world({ startup: 'manual' }), 'mail', 'sv1'), self: 'sv1', actions: [] },
  { name: 'tandem group stop stops in reverse order, then releases the lease',
    world: () => withGroup(activeOn(world(), 'mail', 'sv1'), 'mail', () => ({ request: 'stop' })),
    self: 'sv1', actions: [...DOWN_ALL('sv1'), 'release lease mail on sv1 (epoch 7)'], reason: /stopped by the operator/ },
  { name: 'node loss: the next node waits while the lost holder\'s lease has not expired',
    world: () => withNode(activeOn(world(), 'mail', 'sv1'), 'sv1', { reachable: false }),
    self: 'sv2', actions: [], reason: /fails over to sv2: sv1 is unreachable.*waiting for sv1/ },
  { name: 'node loss: once the lease expired the next node by priority acquires it',
    world: () => withGroup(withNode(world(), 'sv1', { reachable: false }), 'mail', () => ({ lease: { holder: null, epoch: 7, validUntilMs: null } })),
    self: 'sv2', actions: ['acquire lease mail on sv2'] },
  { name: 'S3: with sv1, sv2 and sv3 down, sv4 takes the group',
    world: () => withNode(withNode(withNode(four(), 'sv1', { reachable: false }), 'sv2', { reachable: false }), 'sv3', { reachable: false }),
    self: 'sv4', actions: ['acquire lease mail on sv4'] },
  { name: 'S3: sv3 does not act while sv2 is still eligible',
    world: () => withNode(four(), 'sv1', { reachable: false }), self: 'sv3', actions: [] },
  { name: 'a node in maintenance is skipped for placement',
    world: () => withNode(withNode(four(), 'sv1', { reachable: false }), 'sv2', { maintenance: true }),
    self: 'sv3', actions: ['acquire lease mail on sv3'] },
  { name: 'S12: a node whose configuration differs may not run the group; it hands over',
    world: () => withNode(activeOn(world(), 'mail', 'sv1'), 'sv1', { configHashMatches: false }),
    self: 'sv1', actions: [...DOWN_ALL('sv1'), 'release lease mail on sv1 (epoch 7)'], reason: /sv1's configuration differs/ },
  { name: 'a failing node monitor (ping) makes the holder hand the group over',
    world: () => withNode(activeOn(world(), 'mail', 'sv1'), 'sv1', { failingMonitors: ['gateway'] }),
    self: 'sv1', actions: [...DOWN_ALL('sv1'), 'release lease mail on sv1 (epoch 7)'], reason: /fails over to sv2: sv1's node monitor gateway reports a failure/ },
  { name: 'tandem cluster stop on the holder hands the group over',
    world: () => withNode(activeOn(world(), 'mail', 'sv1'), 'sv1', { stopped: true }),
    self: 'sv1', actions: [...DOWN_ALL('sv1'), 'release lease mail on sv1 (epoch 7)'], reason: /fails over to sv2: sv1's cluster service is stopped/ },
  { name: 'failback manual: the group stays on sv2 when sv1 returns',
    world: () => activeOn(world(), 'mail', 'sv2'), self: 'sv2', actions: [] },
  { name: 'failback manual: the returning sv1 does not try to take the group',
    world: () => activeOn(world(), 'mail', 'sv2'), self: 'sv1', actions: [] },
  { name: 'failback auto: the group stays during the stable period',
    world: () => withNode(activeOn(world({ failback: 'auto' }), 'mail', 'sv2'), 'sv1', { upSinceMs: NOW - 10_000 }),
    self: 'sv2', actions: [], reason: /failback to sv1 in 20 s \(stable period\)/ },
  { name: 'failback auto: after the stable period the holder stops and releases',
    world: () => withNode(activeOn(world({ failback: 'auto' }), 'mail', 'sv2'), 'sv1', { upSinceMs: NOW - 30_000 }),
    self: 'sv2', actions: [...DOWN_ALL('sv2'), 'release lease mail on sv2 (epoch 7)'], reason: /fails back to sv1: up for 30 s/ },
  { name: 'failback auto: the home node waits for the release',
    world: () => withNode(activeOn(world({ failback: 'auto' }), 'mail', 'sv2'), 'sv1', { upSinceMs: 0 }),
    self: 'sv1', actions: [], reason: /waiting for sv2 to release/ },
  { name: 'manual move: the holder stops and releases for the requested node',
    world: () => withGroup(activeOn(world(), 'mail', 'sv1'), 'mail', () => ({ moveRequest: { to: 'sv2', atMs: NOW } })),
    self: 'sv1', actions: [...DOWN_ALL('sv1'), 'release lease mail on sv1 (epoch 7)'], reason: /moves to sv2: requested by the operator/ },
  { name: 'manual move: the target clears the request once the group runs there',
    world: () => withGroup(activeOn(world(), 'mail', 'sv2'), 'mail', () => ({ moveRequest: { to: 'sv2', atMs: NOW } })),
    self: 'sv2', actions: ['clear move request mail on sv2'], reason: /move to sv2 done/ },
  { name: 'manual move to an ineligible node is refused with the reason, and dropped',
    world: () => withGroup(withNode(activeOn(world(), 'mail', 'sv1'), 'sv2', { reachable: false }), 'mail', () => ({ moveRequest: { to: 'sv2', atMs: NOW } })),
    self: 'sv1', actions: ['clear move request mail on sv1'], reason: /move of group mail to sv2 refused: sv2 is unreachable/ },
  { name: 'a failed monitor within the budget restarts the resource in place',
    world: () => withFailures(activeOn(world(), 'mail', 'sv1'), 'mail', 'sv1', 'smtp', 2),
    self: 'sv1', actions: ['restart mail/smtp on sv1 (epoch 7)'], reason: /restart smtp on sv1 \(failure 2 of 2 allowed within 60 s\)/ },
  { name: 'restarting a resource stops its dependents first and starts them after',
    world: () => withFailures(activeOn(world(), 'mail', 'sv1'), 'mail', 'sv1', 'vip', 1, null),
    self: 'sv1', actions: ['stop mail/pop3 on sv1', 'stop mail/smtp on sv1', 'restart mail/vip on sv1 (epoch 7)', 'start mail/smtp on sv1 (epoch 7)', 'start mail/pop3 on sv1 (epoch 7)'] },
  { name: 'failures older than the window do not count',
    world: () => withFailures(activeOn(world(), 'mail', 'sv1'), 'mail', 'sv1', 'smtp', 3, 'listening', 40_000),
    self: 'sv1', actions: ['restart mail/smtp on sv1 (epoch 7)'], reason: /failure 2 of 2/ },
  { name: 'more failures than restarts within the window fail the group over',
    world: () => withFailures(activeOn(world(), 'mail', 'sv1'), 'mail', 'sv1', 'smtp', 3),
    self: 'sv1', actions: [...DOWN_ALL('sv1').map((a) => a), 'release lease mail on sv1 (epoch 7)'].map((a) => a),
    reason: /group mail fails over to sv2: smtp failed 3 times on sv1 within 60 s \(restarts allowed: 2\); sv2 is next by priority/ },
  { name: 'when no node is left, the final action runs after the group is stopped',
    world: () => withFailures(withNode(activeOn(world({ finalAction: 'stop-node' }), 'mail', 'sv1'), 'sv2', { reachable: false }), 'mail', 'sv1', 'smtp', 3),
    self: 'sv1', actions: [...DOWN_ALL('sv1'), 'release lease mail on sv1 (epoch 7)', 'stop-node sv1'], reason: /no node left for group mail/ },
  { name: 'final action reboot is planned as a reboot',
    world: () => withFailures(withNode(activeOn(world({ finalAction: 'reboot' }), 'mail', 'sv1'), 'sv2', { reachable: false }), 'mail', 'sv1', 'smtp', 3),
    self: 'sv1', actions: [...DOWN_ALL('sv1'), 'release lease mail on sv1 (epoch 7)', 'reboot sv1'] },
  { name: 'final action none leaves the group stopped and the node up',
    world: () => withFailures(withNode(activeOn(world(), 'mail', 'sv1'), 'sv2', { reachable: false }), 'mail', 'sv1', 'smtp', 3),
    self: 'sv1', actions: [...DOWN_ALL('sv1'), 'release lease mail on sv1 (epoch 7)'] },
  { name: 'recovery with failover false stops the group where it is and takes the final action',
    world: () => withFailures(activeOn(world({ failover: false, finalAction: 'stop-node' }), 'mail', 'sv1'), 'mail', 'sv1', 'smtp', 3),
    self: 'sv1', actions: [...DOWN_ALL('sv1'), 'release lease mail on sv1 (epoch 7)', 'stop-node sv1'], reason: /its recovery does not fail over/ },
  { name: 'a final action first stops every group on the node, not only the failed one',
    world: () => withFailures(activeOn(activeOn(makeWorld(makeConfig({ groups: 2, failover: false, finalAction: 'stop-node' }), NOW), 'mail', 'sv2'), 'mail2', 'sv2', 4), 'mail2', 'sv2', 'smtp', 3),
    self: 'sv2', actions: [...DOWN_ALL('sv2'), 'release lease mail on sv2 (epoch 7)',
      ...DOWN_ALL('sv2').map((a) => a.replace('mail/', 'mail2/')), 'release lease mail2 on sv2 (epoch 4)', 'stop-node sv2'],
    reason: /group mail stops on sv2: stop-node follows/ },
  { name: 'recovery with failover false: the standby does not take over',
    world: () => withFailures(activeOn(world({ failover: false }), 'mail', 'sv1'), 'mail', 'sv1', 'smtp', 3), self: 'sv2', actions: [] },
  { name: 'a failure under a suspended monitor is not recovered',
    world: () => withGroup(withFailures(activeOn(world(), 'mail', 'sv1'), 'mail', 'sv1', 'smtp', 3), 'mail', () => ({ suspendedMonitors: ['smtp'] })),
    self: 'sv1', actions: [], reason: /smtp failed on sv1 but its monitor is suspended/ },
  { name: 'a lost lease (not renewed in time) self-fences: stop everything, unknown included, no release',
    world: () => withState(withGroup(activeOn(world(), 'mail', 'sv1'), 'mail', (s) => ({ lease: { ...s.lease, validUntilMs: NOW - 500 } })), 'mail', 'sv1', 'vip', 'unknown'),
    self: 'sv1', actions: DOWN_ALL('sv1'), reason: /lease lost on sv1 \(expired 500 ms ago\), self-fencing/ },
  { name: 'an invalid lease with nothing running waits quietly for renewal or expiry',
    world: () => withGroup(world(), 'mail', () => ({ lease: { holder: 'sv1', epoch: 2, validUntilMs: null } })),
    self: 'sv1', actions: [], reason: /lease on sv1 not valid \(never renewed\)/ },
  { name: 'a node without the lease stops resources it finds running',
    world: () => withState(activeOn(world(), 'mail', 'sv1'), 'mail', 'sv2', 'smtp', 'running'),
    self: 'sv2', actions: ['stop mail/smtp on sv2'], reason: /sv2 does not hold its lease \(holder sv1\)/ },
  { name: 'a node without the lease probes resources of unknown state',
    world: () => withState(activeOn(world(), 'mail', 'sv1'), 'mail', 'sv2', 'vip', 'unknown'),
    self: 'sv2', actions: ['probe mail/vip on sv2'] },
  { name: 'the target stops stray resources before acquiring the lease',
    world: () => withState(world(), 'mail', 'sv1', 'smtp', 'running'),
    self: 'sv1', actions: ['stop mail/smtp on sv1', 'acquire lease mail on sv1'] },
  { name: 'groups are planned independently (mutual standby)',
    world: () => makeWorld(makeConfig({ groups: 2 }), NOW), self: 'sv2', actions: ['acquire lease mail2 on sv2'] },
];

for (const c of cases) {
  test(`decide() ${c.name}`, () => {
    const plan = decide(viewFor(c.world(), c.self));
    assert.deepEqual(plan.actions.map(describeAction), c.actions, `reasons: ${plan.reasons.join(' | ')}`);
    if (c.reason) assert.ok(plan.reasons.some((r) => c.reason?.test(r)), `no reason matches ${c.reason}: ${JSON.stringify(plan.reasons)}`);
  });
}

test('decide() never throws, even on a view missing its group status and nodes', () => {
  const w = world();
  const broken = { ...viewFor(w, 'sv1'), nodes: {}, groups: {} };
  const plan = decide(broken);
  assert.ok(Array.isArray(plan.actions));
});

test('decide() reports the failover reason in one line naming the cause and the next node', () => {
  const w = withNode(activeOn(world(), 'mail', 'sv1'), 'sv1', { reachable: false });
  const plan = decide(viewFor(withGroup(w, 'mail', (s) => ({ lease: { ...s.lease, holder: null } })), 'sv2'));
  assert.deepEqual(plan.reasons, ['group mail starts on sv2: sv1 is unreachable; sv2 is next by priority; acquiring its lease']);
});
