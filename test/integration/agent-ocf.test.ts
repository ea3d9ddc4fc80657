// The ocf agent against real OCF resource agents: our fixture (test/fixtures/ocf), and
// resource-agents' Dummy when Debian's resource-agents package is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ocfAgent, ocfRootOf } from '../../src/cluster/agents/ocf.ts';
import { agentFor } from '../../src/cluster/agents/index.ts';
import { OCF } from '../../src/cluster/agents/agent.ts';
import { makeContext, parseResource, tempDir } from '../../src/cluster/agents/_test-context.ts';

const ROOT = fileURLToPath(new URL('../fixtures/ocf', import.meta.url));
const MARKER = join(ROOT, 'resource.d/tandem/Marker');
const DUMMY = '/usr/lib/ocf/resource.d/heartbeat/Dummy';

function setup(params: Record<string, string>, dir: string, timeouts: Record<string, string> = {}) {
  const { group, resource } = parseResource({ name: 'marker', type: 'ocf', params: { agent: MARKER, params }, timeouts });
  return { agent: ocfAgent(resource), ctx: makeContext({ group, resource, stateDir: dir }) };
}

test('ocf: OCF_ROOT comes from the agent path', () => {
  assert.equal(ocfRootOf(MARKER), ROOT);
  assert.equal(ocfRootOf(DUMMY), '/usr/lib/ocf');
  assert.equal(ocfRootOf('/opt/agents/thing'), '/usr/lib/ocf');
});

test('ocf: a full life cycle with OCF_RESKEY params, rc passed through 1:1', async () => {
  const t = await tempDir();
  try {
    const state = join(t.dir, 'marker.state');
    const { agent, ctx } = setup({ state, message: 'hi there' }, t.dir);
    assert.deepEqual(await agent.validate(ctx), { rc: OCF.SUCCESS, reason: 'Marker validate-all rc 0' });
    assert.deepEqual(await agent.monitor(ctx), { rc: OCF.NOT_RUNNING, reason: 'Marker monitor rc 7' });
    assert.deepEqual(await agent.start(ctx), { rc: OCF.SUCCESS, reason: 'Marker start rc 0: started g-marker' });
    assert.equal(await readFile(state, 'utf8'), 'hi there g-marker\n');
    assert.ok(ctx.lines.includes('started g-marker'));
    assert.equal((await agent.monitor(ctx)).rc, OCF.SUCCESS);
    assert.equal((await agent.stop(ctx)).rc, OCF.SUCCESS);
    assert.equal((await agent.stop(ctx)).rc, OCF.SUCCESS);
    assert.equal((await agent.monitor(ctx)).rc, OCF.NOT_RUNNING);
  } finally {
    await t.cleanup();
  }
});

test('ocf: validate-all reports ERR_CONFIGURED for a missing required parameter; agentFor picks the ocf agent', async () => {
  const t = await tempDir();
  try {
    const { group, resource } = parseResource({ name: 'marker', type: 'ocf', params: { agent: MARKER } });
    const out = await agentFor(resource).validate(makeContext({ group, resource, stateDir: t.dir }));
    assert.deepEqual(out, { rc: OCF.ERR_CONFIGURED, reason: 'Marker validate-all rc 6: state is not set' });
  } finally {
    await t.cleanup();
  }
});

test('ocf: a program that is not an OCF agent fails validate; a hung action is killed at its timeout', async () => {
  const t = await tempDir();
  try {
    const { group, resource } = parseResource({ name: 'x', type: 'ocf', params: { agent: '/bin/true' } });
    const notOcf = await ocfAgent(resource).validate(makeContext({ group, resource, stateDir: t.dir }));
    assert.equal(notOcf.rc, OCF.ERR_INSTALLED);
    assert.match(notOcf.reason, /meta-data did not describe an OCF agent/);

    const { agent, ctx } = setup({ state: join(t.dir, 's'), hang: 'start' }, t.dir, { start: '1s' });
    const hung = await agent.start(ctx);
    assert.equal(hung.rc, OCF.ERR_GENERIC);
    assert.match(hung.reason, /^Marker start timed out after 1000ms and was killed/);
  } finally {
    await t.cleanup();
  }
});

test('ocf: resource-agents\' Dummy runs start, monitor and stop', { skip: existsSync(DUMMY) ? false : `${DUMMY} is not installed (Debian package resource-agents)` }, async () => {
  const t = await tempDir();
  try {
    const { group, resource } = parseResource({ name: 'dummy', type: 'ocf', params: { agent: DUMMY, params: { state: join(t.dir, 'dummy.state') } } });
    const agent = ocfAgent(resource);
    const ctx = makeContext({ group, resource, stateDir: t.dir });
    assert.equal((await agent.validate(ctx)).rc, OCF.SUCCESS);
    assert.equal((await agent.monitor(ctx)).rc, OCF.NOT_RUNNING);
    assert.equal((await agent.start(ctx)).rc, OCF.SUCCESS);
    assert.equal((await agent.monitor(ctx)).rc, OCF.SUCCESS);
    assert.equal((await agent.stop(ctx)).rc, OCF.SUCCESS);
    assert.equal((await agent.monitor(ctx)).rc, OCF.NOT_RUNNING);
  } finally {
    await t.cleanup();
  }
});
