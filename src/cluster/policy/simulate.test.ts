// The simulator models the arbiter and executor rules the property tests rely on, and
// runbook-style scenarios (S3, escalation) read as the cluster would log them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlan, runCluster, tick, type World } from './simulate.ts';
import { activeOn, makeConfig, makeWorld, withFailures, withNode } from './_fixtures.ts';

const NOW = 100_000;
const holderOf = (w: World): string | null => w.groups.mail?.lease.holder ?? null;
const reasonsOf = (run: ReturnType<typeof runCluster>): string[] => run.plans.flatMap((p) => p.plan.reasons);

test('applyPlan() grants a free lease with the next epoch and refuses a taken one', () => {
  const w = makeWorld(makeConfig(), NOW);
  const w1 = applyPlan(w, { actions: [{ kind: 'acquire-lease', group: 'mail', node: 'sv1' }], reasons: [] });
  assert.deepEqual(w1.groups.mail?.lease, { holder: 'sv1', epoch: 1, validUntilMs: NOW + 3_000 });
  const w2 = applyPlan(w1, { actions: [{ kind: 'acquire-lease', group: 'mail', node: 'sv2' }], reasons: [] });
  assert.equal(holderOf(w2), 'sv1');
});

test('applyPlan() refuses a start under a stale epoch (the executor fencing check)', () => {
  const w = activeOn(makeWorld(makeConfig(), NOW), 'mail', 'sv1', 5);
  const stale = applyPlan(w, { actions: [{ kind: 'start', group: 'mail', resource: 'vip', node: 'sv2', epoch: 5, timeoutMs: 1 }], reasons: [] });
  assert.equal(stale.groups.mail?.resources.sv2?.vip, 'stopped');
});

test('tick() renews live holders and expires the lease of a dead one after its validity', () => {
  const w = withNode(activeOn(makeWorld(makeConfig(), NOW), 'mail', 'sv1'), 'sv1', { reachable: false });
  assert.equal(holderOf(tick(w, 1_000)), 'sv1');
  assert.equal(holderOf(tick(w, 2_000)), null);
  const live = tick(activeOn(makeWorld(makeConfig(), NOW), 'mail', 'sv1'), 10_000);
  assert.deepEqual(live.groups.mail?.lease.validUntilMs, NOW + 10_000 + 3_000);
});

test('S3 runbook: sv1, sv2 and sv3 fail one after another and the group ends on sv4', () => {
  let w = runCluster(makeWorld(makeConfig({ nodes: ['sv1', 'sv2', 'sv3', 'sv4'] }), NOW)).world;
  assert.equal(holderOf(w), 'sv1');
  for (const [dead, next] of [['sv1', 'sv2'], ['sv2', 'sv3'], ['sv3', 'sv4']] as const) {
    w = tick(withNode(w, dead, { reachable: false }), 3_100);
    const run = runCluster(w);
    w = run.world;
    assert.equal(holderOf(w), next);
    assert.ok(reasonsOf(run).some((r) => r.startsWith(`group mail starts on ${next}: `) && r.includes(`${dead} is unreachable`)), JSON.stringify(reasonsOf(run)));
    assert.deepEqual(Object.values(w.groups.mail?.resources[next] ?? {}), ['running', 'running', 'running', 'running']);
  }
});

test('escalation runbook: restarts within the budget, then failover, then the final action on the last node', () => {
  let w = runCluster(makeWorld(makeConfig({ restarts: 1, finalAction: 'stop-node' }), NOW)).world;
  w = runCluster(withFailures(w, 'mail', 'sv1', 'smtp', 1)).world;
  assert.equal(holderOf(w), 'sv1', 'first failure: restarted in place');
  let run = runCluster(withFailures(w, 'mail', 'sv1', 'smtp', 1));
  w = run.world;
  assert.equal(holderOf(w), 'sv2', 'second failure within the window: failover');
  assert.ok(reasonsOf(run).some((r) => r.includes('smtp failed 2 times on sv1 within 60 s')));
  run = runCluster(withFailures(w, 'mail', 'sv2', 'smtp', 2));
  w = run.world;
  assert.equal(holderOf(w), null);
  assert.equal(w.nodes.sv2?.stopped, true, 'final action stop-node ran on sv2');
  assert.ok(reasonsOf(run).some((r) => r.startsWith('no node left for group mail')));
});
