import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vipAgent } from './vip.ts';
import { OCF } from './agent.ts';
import { makeContext, parseResource, tempDir } from './_test-context.ts';

test('vip loopback: an address the kernel already answers (127.0.0.0/8) is only recorded as owned', async () => {
  const t = await tempDir();
  try {
    const { group, resource } = parseResource({ name: 'vip', type: 'vip', params: { address: '127.0.0.100', driver: 'loopback' } });
    const agent = vipAgent(resource);
    const ctx = makeContext({ group, resource, stateDir: t.dir });
    assert.equal((await agent.monitor(ctx)).rc, OCF.NOT_RUNNING);
    assert.deepEqual(await agent.start(ctx), { rc: OCF.SUCCESS, reason: '127.0.0.100 is already local here; ownership recorded' });
    assert.deepEqual(await agent.monitor(ctx), { rc: OCF.SUCCESS, reason: '127.0.0.100 owned on lo' });
    assert.deepEqual(await agent.start(ctx), { rc: OCF.SUCCESS, reason: '127.0.0.100 already owned by this node on lo' });
    assert.deepEqual(await agent.stop(ctx), { rc: OCF.SUCCESS, reason: 'released 127.0.0.100' });
    assert.equal((await agent.monitor(ctx)).rc, OCF.NOT_RUNNING);
    assert.deepEqual(await agent.stop(ctx), { rc: OCF.SUCCESS, reason: '127.0.0.100 was not owned by this node' });
  } finally {
    await t.cleanup();
  }
});

test('vip iproute2: IPv6 is refused by validate with the reason', async () => {
  const t = await tempDir();
  try {
    const { group, resource } = parseResource({ name: 'vip', type: 'vip', params: { address: '2001:db8::10', prefix: 64 } });
    const out = await vipAgent(resource).validate(makeContext({ group, resource, stateDir: t.dir }));
    assert.deepEqual(out, { rc: OCF.ERR_CONFIGURED, reason: 'the iproute2 driver handles IPv4 addresses only (got 2001:db8::10)' });
  } finally {
    await t.cleanup();
  }
});
