import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { tcpProbe, commandProbe, pingProbe, linkProbe, agentProbe, probeFor } from './probes.ts';
import { OCF } from '../agents/agent.ts';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.destroy());
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : 0 });
    });
  });
}

const never = () => new AbortController().signal;

test('tcp probe: a listening port answers, a closed one is refused with the reason', async () => {
  const { server, port } = await listen();
  const probe = tcpProbe('127.0.0.1', port);
  assert.deepEqual(await probe(never()), { ok: true, reason: `connected to 127.0.0.1:${port}` });
  await new Promise<void>((r) => server.close(() => r()));
  const r = await probe(never());
  assert.equal(r.ok, false);
  assert.equal(r.reason, `connect ECONNREFUSED 127.0.0.1:${port}`);
});

test('tcp probe: an aborted signal gives up without a connection', async () => {
  const ac = new AbortController();
  ac.abort();
  const r = await tcpProbe('127.0.0.1', 9)(ac.signal);
  assert.equal(r.ok, false);
  assert.match(r.reason, /within the timeout/);
});

test('command probe: exit 0 is healthy, anything else fails with the exit and last line', async () => {
  assert.equal((await commandProbe(['true'])(never())).ok, true);
  const r = await commandProbe(['sh', '-c', 'echo disk full; exit 4'])(never());
  assert.deepEqual(r, { ok: false, reason: 'sh exited 4: disk full' });
});

test('command probe: a hung command is killed when the signal fires', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 200);
  const r = await commandProbe(['sleep', '60'])(ac.signal);
  assert.deepEqual(r, { ok: false, reason: 'sleep did not finish within the timeout' });
});

test('ping probe: loopback answers', async () => {
  const r = await pingProbe(['127.0.0.1'], 3000)(never());
  assert.deepEqual(r, { ok: true, reason: '127.0.0.1 answers' });
});

test('link probe: lo is up, a missing interface fails', async () => {
  assert.deepEqual(await linkProbe('lo')(never()), { ok: true, reason: 'lo link up' });
  assert.deepEqual(await linkProbe('tandemnone0')(never()), { ok: false, reason: 'no interface tandemnone0' });
  assert.equal((await linkProbe('../../etc')(never())).ok, false);
});

test('agent probe: SUCCESS is healthy, NOT_RUNNING and errors fail with the agent reason', async () => {
  assert.deepEqual(await agentProbe(async () => ({ rc: OCF.SUCCESS, reason: 'pid 12 up' }))(never()), { ok: true, reason: 'pid 12 up' });
  assert.deepEqual(await agentProbe(async () => ({ rc: OCF.NOT_RUNNING, reason: 'no pid file' }))(never()), { ok: false, reason: 'not running: no pid file' });
  assert.deepEqual(await agentProbe(async () => ({ rc: OCF.ERR_GENERIC, reason: 'bad' }))(never()), { ok: false, reason: 'rc 1: bad' });
});

test('probeFor builds the probe of each config kind and insists on an agent monitor for kind agent', async () => {
  const common = { name: 'm', interval: 5000, timeout: 3000, rise: 1, fall: 2 };
  const recovery = { restarts: 3, window: 60_000, failover: true, finalAction: 'none' as const };
  assert.equal((await probeFor({ ...common, kind: 'command', command: ['true'], recovery })(never())).ok, true);
  assert.equal((await probeFor({ ...common, kind: 'link', interface: 'lo' })(never())).ok, true);
  assert.throws(() => probeFor({ ...common, kind: 'agent', recovery }), /needs deps.agentMonitor/);
});
