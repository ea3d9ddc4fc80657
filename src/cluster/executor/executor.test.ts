import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateClusterConfig } from '../model/config.ts';
import type { ClusterConfig } from '../model/config-schema.ts';
import type { Action, ActionResult } from '../model/action.ts';
import { OCF, type AgentOutcome, type ResourceAgent } from '../agents/agent.ts';
import { Executor, type ExecutorDeps } from './executor.ts';

const config = ((): ClusterConfig => {
  const r = validateClusterConfig({
    version: 1, cluster: { name: 'c', secret: 'a-long-enough-cluster-secret' },
    nodes: [{ name: 'a', addresses: ['198.18.0.1'] }],
    arbiter: { type: 'disk', path: '/tmp/x' },
    groups: [{ name: 'g', nodes: ['a'], resources: [
      { name: 'r1', type: 'script', params: { start: '/s', stop: '/t' } },
      { name: 'r2', type: 'script', params: { start: '/s', stop: '/t' } },
      { name: 'r3', type: 'script', dependsOn: ['r1'], params: { start: '/s', stop: '/t' } },
    ] }],
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
})();

type Script = Partial<Record<'start' | 'stop' | 'monitor', (signal: AbortSignal) => Promise<AgentOutcome>>>;

function executor(agents: Record<string, Script>, epoch: () => number | null, calls: string[], maxParallel?: number): Executor {
  const deps: ExecutorDeps = {
    clock: { now: () => 0 },
    groups: config.groups,
    agentFor: (res) => {
      const s = agents[res.name] ?? {};
      const op = (name: 'start' | 'stop' | 'monitor') => async (ctx: { signal: AbortSignal }) => {
        calls.push(`${name} ${res.name}`);
        return (s[name] ?? (async () => ({ rc: OCF.SUCCESS, reason: 'ok' })))(ctx.signal);
      };
      const agent: ResourceAgent = { validate: async () => ({ rc: OCF.SUCCESS, reason: 'ok' }), start: op('start'), stop: op('stop'), monitor: op('monitor') };
      return agent;
    },
    contextFor: (_a, _g, _r, signal) => ({ signal }) as never,
    validLeaseEpoch: () => epoch(),
    runOther: async (action) => ({ action, exec: 'done', rc: 0, reason: 'ok', atMs: 0 }),
    ...(maxParallel !== undefined ? { maxParallel } : {}),
  };
  return new Executor(deps);
}

const start = (resource: string, epoch = 5, timeoutMs = 1_000): Action => ({ kind: 'start', group: 'g', resource, node: 'a', epoch, timeoutMs });

test('executor keeps dependency order and begins nothing after the first failure', async () => {
  const calls: string[] = [];
  const ex = executor({ r1: { start: async () => ({ rc: OCF.ERR_GENERIC, reason: 'broken' }) } }, () => 5, calls);
  const results = await ex.run({ actions: [start('r1'), start('r3')], reasons: [] }, new AbortController().signal);
  assert.deepEqual(calls, ['start r1'], 'r3 depends on r1: never started after r1 failed');
  assert.equal(results.length, 1);
  assert.equal(results[0]!.rc, OCF.ERR_GENERIC);
});

test('executor runs unrelated resources side by side, related ones in order, lease actions as barriers', async () => {
  const calls: string[] = [];
  const gates = new Map<string, () => void>();
  const gated = (name: string) => ({ start: () => new Promise<AgentOutcome>((resolve) => { gates.set(name, () => resolve({ rc: OCF.SUCCESS, reason: 'ok' })); }) });
  const ex = executor({ r1: gated('r1'), r2: gated('r2') }, () => 5, calls);
  const lease: Action = { kind: 'release-lease', group: 'g', node: 'a', epoch: 5 };
  const running = ex.run({ actions: [start('r1'), start('r2'), start('r3'), lease], reasons: [] }, new AbortController().signal);
  const until = async (what: () => boolean): Promise<void> => { for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 5)); };
  await until(() => gates.size === 2);
  assert.deepEqual(calls.sort(), ['start r1', 'start r2'], 'r1 and r2 are unrelated: both begin before either ends; r3 waits for r1');
  gates.get('r1')!();
  await until(() => calls.includes('start r3'));
  assert.ok(calls.includes('start r3'), 'r3 begins once r1 is up, while r2 is still starting');
  gates.get('r2')!();
  const results = await running;
  assert.deepEqual(results.map((r) => r.action.kind === 'release-lease' ? 'release' : (r.action as { resource: string }).resource), ['r1', 'r3', 'r2', 'release']);
});

test('executor: at most maxParallel agent actions at once', async () => {
  let now = 0;
  let peak = 0;
  const slow = { start: async () => { now++; peak = Math.max(peak, now); await new Promise((r) => setTimeout(r, 20)); now--; return { rc: OCF.SUCCESS, reason: 'ok' }; } };
  const calls: string[] = [];
  await executor({ r1: slow, r2: slow }, () => 5, calls, 1).run({ actions: [start('r1'), start('r2')], reasons: [] }, new AbortController().signal);
  assert.equal(peak, 1);
});

test('executor refuses a start when the lease moved on or is not valid, without calling the agent', async () => {
  for (const [epoch, why] of [[6, /moved on to epoch 6/], [null, /no valid lease/]] as const) {
    const calls: string[] = [];
    const [r] = await executor({}, () => epoch, calls).run({ actions: [start('r1', 5)], reasons: [] }, new AbortController().signal);
    assert.equal(r!.exec, 'cancelled');
    assert.match(r!.reason, why);
    assert.deepEqual(calls, []);
  }
});

test('executor: an agent past its timeout gets the abort signal and the result is a timeout', async () => {
  let sawAbort = false;
  const slow = (signal: AbortSignal): Promise<AgentOutcome> => new Promise((resolve) => {
    signal.addEventListener('abort', () => { sawAbort = true; resolve({ rc: OCF.ERR_GENERIC, reason: 'killed TERM then KILL' }); });
  });
  const [r] = await executor({ r1: { start: slow } }, () => 5, []).run({ actions: [start('r1', 5, 50)], reasons: [] }, new AbortController().signal);
  assert.ok(sawAbort);
  assert.equal(r!.exec, 'timeout');
  assert.match(r!.reason, /timed out after 50 ms .*killed TERM then KILL/);
});

test('executor: probes report what they observed and never count as failures', async () => {
  const results: ActionResult[] = await executor({ r1: { monitor: async () => ({ rc: OCF.NOT_RUNNING, reason: 'down' }) }, r2: { monitor: async () => ({ rc: OCF.ERR_GENERIC, reason: 'bad' }) } }, () => null, [])
    .run({ actions: [{ kind: 'probe', group: 'g', resource: 'r1', node: 'a', timeoutMs: 100 }, { kind: 'probe', group: 'g', resource: 'r2', node: 'a', timeoutMs: 100 }], reasons: [] }, new AbortController().signal);
  assert.deepEqual(results.map((r) => r.observed), ['stopped', 'failed']);
});

test('executor: a restart stops, re-checks the lease, then starts', async () => {
  const calls: string[] = [];
  const [r] = await executor({}, () => 5, calls).run({ actions: [{ kind: 'restart', group: 'g', resource: 'r1', node: 'a', epoch: 5, timeoutMs: 100 }], reasons: [] }, new AbortController().signal);
  assert.deepEqual(calls, ['stop r1', 'start r1']);
  assert.equal(r!.rc, 0);
});

test('executor: an unknown resource and a missing agent are errors with reasons', async () => {
  const ex = new Executor({
    clock: { now: () => 0 }, groups: config.groups,
    agentFor: () => { throw new Error('no agent'); },
    contextFor: () => ({}) as never, validLeaseEpoch: () => 5,
    runOther: async (action) => ({ action, exec: 'done', rc: 0, reason: 'ok', atMs: 0 }),
  });
  const [a] = await ex.run({ actions: [start('nosuch')], reasons: [] }, new AbortController().signal);
  assert.match(a!.reason, /no resource g\/nosuch/);
  const [b] = await ex.run({ actions: [start('r1')], reasons: [] }, new AbortController().signal);
  assert.equal(b!.exec, 'not-installed');
});
