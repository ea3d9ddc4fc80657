// The vip agent's iproute2 driver on real interfaces: two cluster nodes and a client in
// network namespaces on one bridge (198.18.0.0/24). Needs root and `ip netns`; skipped
// with the reason otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, netnsSkipReason, type Lab } from '../helpers/netns.ts';
import { runInLab } from '../helpers/netns-agent.ts';
import { OCF } from '../../src/cluster/agents/agent.ts';

const skip = netnsSkipReason();
const VIP = '198.18.0.100';
const resource = { name: 'vip', type: 'vip', params: { address: VIP, prefix: 24, driver: 'iproute2' } };

async function neighbourMac(lab: Lab, node: string, ip: string): Promise<string | null> {
  const r = await lab.exec(node, 'ip', ['-j', 'neigh', 'show', ip]);
  const entries = JSON.parse(r.stdout || '[]') as Array<{ lladdr?: string }>;
  return entries[0]?.lladdr ?? null;
}

async function eventually<T>(check: () => Promise<T | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('vip iproute2: one holder at a time, reachable from a peer, gratuitous ARP moves the peer to the new MAC', { skip: skip ?? false, timeout: 180_000 }, async () => {
  const lab = await createLab({ nodes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
  const state = await mkdtemp(join(tmpdir(), 'tandem-vip-'));
  const act = (node: 'a' | 'b', action: 'start' | 'stop' | 'monitor') =>
    runInLab(lab, node, { kind: 'agent', resource, action, node, epoch: 1, stateDir: join(state, node) });
  try {
    const macA = await lab.mac('a');
    const macB = await lab.mac('b');

    assert.equal((await act('a', 'monitor')).rc, OCF.NOT_RUNNING);
    const started = await act('a', 'start');
    assert.equal(started.rc, OCF.SUCCESS, started.reason);
    assert.equal(started.reason, `${VIP}/24 on eth0, 3 gratuitous ARPs sent`);
    const addrs = await lab.exec('a', 'ip', ['-o', 'addr', 'show', 'dev', 'eth0']);
    assert.match(addrs.stdout, new RegExp(`inet ${VIP.replace(/\./g, '\\.')}/24`));
    assert.equal((await act('a', 'monitor')).rc, OCF.SUCCESS);

    // The client reaches the VIP, and so learns a's MAC for it.
    const ping = await lab.exec('c', 'ping', ['-n', '-c', '1', '-W', '5', VIP]);
    assert.equal(ping.code, 0, ping.output.join('\n'));
    assert.equal(await neighbourMac(lab, 'c', VIP), macA);

    // b must not take an address that a still answers for.
    const refused = await act('b', 'start');
    assert.equal(refused.rc, OCF.ERR_GENERIC);
    assert.equal(refused.reason, `${VIP} already answers from ${macA} on eth0: another host holds it`);
    assert.doesNotMatch((await lab.exec('b', 'ip', ['-o', 'addr', 'show'])).stdout, new RegExp(VIP.replace(/\./g, '\\.')));

    // Hand over: a stops (twice: idempotent), b starts and announces itself.
    const stopped = await act('a', 'stop');
    assert.deepEqual([stopped.rc, stopped.reason], [OCF.SUCCESS, `removed ${VIP} from eth0`]);
    assert.deepEqual([(await act('a', 'stop')).rc, (await act('a', 'monitor')).rc], [OCF.SUCCESS, OCF.NOT_RUNNING]);
    assert.doesNotMatch((await lab.exec('a', 'ip', ['-o', 'addr', 'show'])).stdout, new RegExp(VIP.replace(/\./g, '\\.')));
    const taken = await act('b', 'start');
    assert.equal(taken.rc, OCF.SUCCESS, taken.reason);

    // Without sending anything itself, the client's neighbour entry now names b.
    await eventually(async () => (await neighbourMac(lab, 'c', VIP)) === macB, `c's neighbour entry for ${VIP} to become ${macB}`);
    const again = await lab.exec('c', 'ping', ['-n', '-c', '1', '-W', '5', VIP]);
    assert.equal(again.code, 0);

    // The address vanishing under b's feet is a monitor failure, not "stopped".
    await lab.exec('b', 'ip', ['addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
    const lost = await act('b', 'monitor');
    assert.deepEqual([lost.rc, lost.reason], [OCF.ERR_GENERIC, `${VIP} disappeared from eth0`]);
    assert.equal((await act('b', 'stop')).rc, OCF.SUCCESS);
  } finally {
    await lab.destroy();
    await rm(state, { recursive: true, force: true });
  }
});

test('vip iproute2: a link without carrier refuses the start and fails the monitor', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const lab = await createLab({ nodes: [{ name: 'a' }, { name: 'b' }] });
  const state = await mkdtemp(join(tmpdir(), 'tandem-vip-'));
  const act = (action: 'start' | 'stop' | 'monitor') =>
    runInLab(lab, 'a', { kind: 'agent', resource, action, node: 'a', epoch: 1, stateDir: state });
  try {
    assert.equal((await act('start')).rc, OCF.SUCCESS);
    await lab.setLink('a', false);
    const m = await eventually(async () => {
      const r = await act('monitor');
      return r.rc === OCF.ERR_GENERIC ? r : null;
    }, 'monitor to notice the cable');
    assert.equal(m.reason, `${VIP} is on eth0 but eth0 has no carrier`);
    assert.equal((await act('stop')).rc, OCF.SUCCESS);
    const refused = await act('start');
    assert.deepEqual([refused.rc, refused.reason], [OCF.ERR_GENERIC, `cannot bring up ${VIP}: eth0 has no carrier`]);
  } finally {
    await lab.destroy();
    await rm(state, { recursive: true, force: true });
  }
});

test('vip loopback: a non-local address is added to lo and removed on stop', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const lab = await createLab({ nodes: [{ name: 'a' }] });
  const state = await mkdtemp(join(tmpdir(), 'tandem-vip-'));
  const lo = { name: 'vip', type: 'vip', params: { address: '198.18.0.200', driver: 'loopback' } };
  const act = (action: 'start' | 'stop' | 'monitor') =>
    runInLab(lab, 'a', { kind: 'agent', resource: lo, action, node: 'a', epoch: 1, stateDir: state });
  try {
    assert.deepEqual(await act('start'), { rc: OCF.SUCCESS, reason: 'added 198.18.0.200/32 to lo', lines: [] });
    assert.match((await lab.exec('a', 'ip', ['-o', 'addr', 'show', 'dev', 'lo'])).stdout, /inet 198\.18\.0\.200\/32/);
    assert.equal((await act('monitor')).rc, OCF.SUCCESS);
    assert.equal((await act('stop')).reason, 'released 198.18.0.200 (removed from lo)');
    assert.doesNotMatch((await lab.exec('a', 'ip', ['-o', 'addr', 'show', 'dev', 'lo'])).stdout, /198\.18\.0\.200/);
    assert.equal((await act('monitor')).rc, OCF.NOT_RUNNING);
  } finally {
    await lab.destroy();
    await rm(state, { recursive: true, force: true });
  }
});
