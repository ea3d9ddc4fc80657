import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { MonitorRunner, type MonitorTransition } from './runner.ts';
import { tcpProbe, type Probe } from './probes.ts';

async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => s.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
const closeServer = (s: Server) => new Promise<void>((r) => s.close(() => r()));

test('MonitorRunner reports healthy, then failed after `fall` refusals, then healthy after `rise` successes', async () => {
  let server = await listenOn(0);
  const port = (server.address() as { port: number }).port;
  const transitions: MonitorTransition[] = [];
  const runner = new MonitorRunner({ onTransition: (t) => transitions.push(t) });
  try {
    runner.add({ id: 'g/r/tcp', intervalMs: 30, timeoutMs: 2000, rise: 2, fall: 3, probe: tcpProbe('127.0.0.1', port) });
    await eventually(() => transitions.length === 1, 'first transition');
    assert.equal(transitions[0]?.from, 'unknown');
    assert.equal(transitions[0]?.to, 'healthy');
    assert.equal(transitions[0]?.reason, `2 consecutive successes, last: connected to 127.0.0.1:${port}`);

    await closeServer(server);
    await eventually(() => transitions.length === 2, 'fall');
    assert.deepEqual({ ...transitions[1], atMs: 0 }, {
      id: 'g/r/tcp', from: 'healthy', to: 'failed', atMs: 0,
      reason: `3 consecutive failures, last: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    assert.equal(runner.snapshot('g/r/tcp')?.health, 'failed');

    server = await listenOn(port);
    await eventually(() => transitions.length === 3, 'rise');
    assert.equal(transitions[2]?.to, 'healthy');
  } finally {
    await runner.close();
    await closeServer(server).catch(() => undefined);
  }
});

test('a slow probe is timed out, counted as a failure, and never overlaps the next one', async () => {
  let running = 0;
  let maxRunning = 0;
  let probes = 0;
  const slow: Probe = async (signal) => {
    running += 1;
    probes += 1;
    maxRunning = Math.max(maxRunning, running);
    // Ignores the abort for a while, as a stuck program might.
    await new Promise((r) => setTimeout(r, 120));
    running -= 1;
    return { ok: !signal.aborted, reason: signal.aborted ? 'aborted' : 'fine' };
  };
  const transitions: MonitorTransition[] = [];
  const runner = new MonitorRunner({ onTransition: (t) => transitions.push(t) });
  try {
    runner.add({ id: 'slow', intervalMs: 10, timeoutMs: 40, rise: 1, fall: 2, probe: slow, initial: 'healthy' });
    await eventually(() => probes >= 6, 'six probes');
    assert.equal(maxRunning, 1);
    assert.equal(transitions[0]?.to, 'failed');
    assert.equal(transitions[0]?.reason, '2 consecutive failures, last: no answer within 40ms');
  } finally {
    await runner.close();
  }
  assert.equal(running, 0, 'close() waits for the probe in flight');
});

test('a suspended monitor neither probes nor reports; resume starts counting again', async () => {
  let healthy = true;
  let probes = 0;
  const probe: Probe = async () => { probes += 1; return { ok: healthy, reason: healthy ? 'ok' : 'down' }; };
  const transitions: MonitorTransition[] = [];
  const runner = new MonitorRunner({ onTransition: (t) => transitions.push(t) });
  try {
    runner.add({ id: 'svc', intervalMs: 20, timeoutMs: 1000, rise: 1, fall: 2, probe, initial: 'healthy' });
    await eventually(() => probes >= 2, 'two probes');
    assert.equal(runner.suspend('svc'), true);
    healthy = false;
    // Let any probe already past its timer finish, then watch for a while.
    await new Promise((r) => setTimeout(r, 100));
    const frozen = probes;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(probes, frozen, 'no probes while suspended');
    assert.equal(transitions.length, 0);
    assert.equal(runner.snapshot('svc')?.suspended, true);

    runner.resume('svc');
    await eventually(() => transitions.length === 1, 'fall after resume');
    assert.equal(transitions[0]?.to, 'failed');
  } finally {
    await runner.close();
  }
});

test('a throwing probe counts as a failure with its message; remove() stops a monitor', async () => {
  const transitions: MonitorTransition[] = [];
  const runner = new MonitorRunner({ onTransition: (t) => transitions.push(t) });
  try {
    runner.add({ id: 'x', intervalMs: 10, timeoutMs: 1000, rise: 1, fall: 1, probe: async () => { throw new Error('boom'); }, initial: 'healthy' });
    await eventually(() => transitions.length === 1, 'failure');
    assert.equal(transitions[0]?.reason, '1 consecutive failure, last: probe error: boom');
    assert.throws(() => runner.add({ id: 'x', intervalMs: 10, timeoutMs: 10, rise: 1, fall: 1, probe: async () => ({ ok: true, reason: '' }) }), /already running/);
    await runner.remove('x');
    assert.equal(runner.snapshot('x'), null);
    assert.deepEqual(runner.list(), []);
  } finally {
    await runner.close();
  }
});

test('specs from the config: a node link monitor on lo stays healthy, a command monitor falls with its reason', async () => {
  const { nodeMonitorSpec, resourceMonitorSpec } = await import('./index.ts');
  const transitions: MonitorTransition[] = [];
  const runner = new MonitorRunner({ onTransition: (t) => transitions.push(t) });
  const recovery = { restarts: 3, window: 60_000, failover: true, finalAction: 'none' as const };
  try {
    runner.add(nodeMonitorSpec('node/lo', { kind: 'link', name: 'lo', interface: 'lo', interval: 20, timeout: 1000, rise: 1, fall: 1 }));
    runner.add(resourceMonitorSpec('g/r/check', { kind: 'command', name: 'check', command: ['sh', '-c', 'echo broken; exit 2'], interval: 20, timeout: 5000, rise: 1, fall: 2, recovery },
      async () => ({ rc: 0, reason: 'unused' })));
    await eventually(() => transitions.length === 1 && (runner.snapshot('node/lo')?.successes ?? 0) >= 2, 'the command monitor to fall');
    assert.deepEqual({ ...transitions[0], atMs: 0 }, { id: 'g/r/check', from: 'healthy', to: 'failed', reason: '2 consecutive failures, last: sh exited 2: broken', atMs: 0 });
    assert.equal(runner.snapshot('node/lo')?.health, 'healthy');
  } finally {
    await runner.close();
  }
});
