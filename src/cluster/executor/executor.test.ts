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
    ] }],
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
})();

type Script = Partial<Record<'start' | 'stop' | 'monitor', (signal: AbortSignal) => Promise<AgentOutcome>>>;

function executor(agents: Record<string, Script>, epoch: () => number | null, calls: string[]): Executor {
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
  };
  return new Executor(deps);
}

const start = (resource: string, epoch = 5, timeoutMs = 1_000): Action => ({ kind: 'start', group: 'g', resource, node: 'a', epoch, timeoutMs });

test('executor runs in order and stops at the first failure', async () => {
  const calls: string[] = [];
  const ex = executor({ r1: { start: async () => ({ rc: OCF.ERR_GENERIC, reason: 'broken' }) } }, () => 5, calls);
  const results = await ex.run({ actions: [start('r1'), start('r2')], reasons: [] }, new AbortController().signal);
  assert.deepEqual(calls, ['start r1']);
  assert.equal(results.length, 1);
  assert.equal(results[0]!.rc, OCF.ERR_GENERIC);
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
