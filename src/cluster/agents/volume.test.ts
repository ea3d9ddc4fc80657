import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { volumeAgent } from './volume.ts';
import { OCF } from './agent.ts';
import { FENCE_FILE, readFence } from './fence.ts';
import { makeContext, parseResource, tempDir } from './_test-context.ts';

async function setup() {
  const t = await tempDir();
  const data = join(t.dir, 'shared');
  await mkdir(data);
  const { group, resource } = parseResource({ name: 'data', type: 'volume', params: { path: data } });
  const ctxFor = (node: string, epoch: number) => makeContext({ group, resource, node, epoch, stateDir: join(t.dir, `state-${node}`) });
  return { ...t, data, agent: volumeAgent(resource), ctxFor };
}

test('volume: start writes the fencing token durably and monitor sees it as ours', async () => {
  const s = await setup();
  try {
    const a = s.ctxFor('a', 5);
    assert.equal((await s.agent.monitor(a)).rc, OCF.NOT_RUNNING);
    const out = await s.agent.start(a);
    assert.deepEqual(out, { rc: OCF.SUCCESS, reason: `${s.data}, fencing token 5` });
    const fence = JSON.parse(await readFile(join(s.data, FENCE_FILE), 'utf8')) as Record<string, unknown>;
    assert.equal(fence.token, 5);
    assert.equal(fence.node, 'a');
    assert.equal(fence.group, 'g');
    assert.match(String(fence.at), /^\d{4}-\d\d-\d\dT/);
    assert.equal((await s.agent.monitor(a)).rc, OCF.SUCCESS);
    // Starting again under the same lease is fine (OCF idempotence).
    assert.equal((await s.agent.start(a)).rc, OCF.SUCCESS);
  } finally {
    await s.cleanup();
  }
});

test('volume: a start with a token older than the one on disk is refused as a stale owner', async () => {
  const s = await setup();
  try {
    assert.equal((await s.agent.start(s.ctxFor('b', 7))).rc, OCF.SUCCESS);
    const stale = await s.agent.start(s.ctxFor('a', 6));
    assert.equal(stale.rc, OCF.ERR_GENERIC);
    assert.equal(stale.reason, `stale owner: ${s.data} was activated by b with token 7, newer than ours (6)`);
    const f = await readFence(s.data);
    assert.equal(f.kind === 'ok' && f.fence.token, 7, 'the newer token is untouched');
  } finally {
    await s.cleanup();
  }
});

test('volume: the previous owner\'s monitor fails once a newer owner took the volume', async () => {
  const s = await setup();
  try {
    const a = s.ctxFor('a', 3);
    assert.equal((await s.agent.start(a)).rc, OCF.SUCCESS);
    assert.equal((await s.agent.start(s.ctxFor('b', 4))).rc, OCF.SUCCESS);
    const m = await s.agent.monitor(a);
    assert.equal(m.rc, OCF.ERR_GENERIC);
    assert.equal(m.reason, `replaced: ${s.data} now carries token 4 of b (ours 3)`);
    // Stopping on the old owner is still clean, and leaves the new token in place.
    assert.equal((await s.agent.stop(a)).rc, OCF.SUCCESS);
    const f = await readFence(s.data);
    assert.equal(f.kind === 'ok' && f.fence.node, 'b');
  } finally {
    await s.cleanup();
  }
});

test('volume: stop is idempotent and monitor then reports not running', async () => {
  const s = await setup();
  try {
    const a = s.ctxFor('a', 1);
    assert.equal((await s.agent.stop(a)).rc, OCF.SUCCESS);
    await s.agent.start(a);
    assert.equal((await s.agent.stop(a)).rc, OCF.SUCCESS);
    assert.equal((await s.agent.stop(a)).rc, OCF.SUCCESS);
    assert.equal((await s.agent.monitor(a)).rc, OCF.NOT_RUNNING);
  } finally {
    await s.cleanup();
  }
});

test('volume: refuses a missing directory, a start without a lease, and a corrupt fence', async () => {
  const s = await setup();
  try {
    const { group, resource } = parseResource({ name: 'data', type: 'volume', params: { path: join(s.dir, 'absent') } });
    const missing = await volumeAgent(resource).start(makeContext({ group, resource, stateDir: s.dir }));
    assert.equal(missing.rc, OCF.ERR_INSTALLED);
    assert.match(missing.reason, /does not exist on this node \(is the shared storage attached\?\)/);

    const noLease = await s.agent.start(s.ctxFor('a', 0));
    assert.equal(noLease.rc, OCF.ERR_ARGS);
    assert.match(noLease.reason, /without a lease/);

    await writeFile(join(s.data, FENCE_FILE), 'garbage');
    const corrupt = await s.agent.start(s.ctxFor('a', 2));
    assert.equal(corrupt.rc, OCF.ERR_GENERIC);
    assert.match(corrupt.reason, /is not JSON/);

    const relative = parseResource({ name: 'data', type: 'volume', params: { path: 'rel/dir' } });
    assert.equal((await volumeAgent(relative.resource).validate(makeContext({ ...relative, stateDir: s.dir }))).rc, OCF.ERR_CONFIGURED);
  } finally {
    await s.cleanup();
  }
});
