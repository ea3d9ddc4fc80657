// Node monitors on real links: the link probe sees a pulled cable, the ping probe fails
// only when none of its targets answers. Runs the probes inside lab namespaces; needs
// root and `ip netns`, skipped with the reason otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, netnsSkipReason } from '../helpers/netns.ts';
import { runInLab } from '../helpers/netns-agent.ts';
import { runCommand } from '../../src/cluster/agents/run-command.ts';
import type { NodeMonitorConfig } from '../../src/cluster/model/config-schema.ts';

const skip = netnsSkipReason();
const common = { interval: 5000, timeout: 2000, rise: 1, fall: 2 };

test('link and ping probes follow the cable of a lab node', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const lab = await createLab({ nodes: [{ name: 'a' }, { name: 'b' }] });
  try {
    const link: NodeMonitorConfig = { kind: 'link', name: 'nic', interface: 'eth0', ...common };
    const ping: NodeMonitorConfig = { kind: 'ping', name: 'gw', targets: ['198.18.0.99', lab.nodes.b?.ip ?? ''], ...common };
    const nobody: NodeMonitorConfig = { kind: 'ping', name: 'gw', targets: ['198.18.0.99'], ...common };

    assert.deepEqual(await runInLab(lab, 'a', { kind: 'probe', monitor: link }), { ok: true, reason: 'eth0 link up', lines: [] });
    assert.deepEqual(await runInLab(lab, 'a', { kind: 'probe', monitor: ping }), { ok: true, reason: '198.18.0.2 answers', lines: [] });
    const none = await runInLab(lab, 'a', { kind: 'probe', monitor: nobody });
    assert.equal(none.ok, false);
    assert.match(none.reason, /^none of 198\.18\.0\.99 \(exit 1\) answers$/);

    await lab.setLink('a', false);
    const down = await runInLab(lab, 'a', { kind: 'probe', monitor: link });
    assert.equal(down.ok, false);
    assert.match(down.reason, /^eth0 has no carrier \(operstate (down|lowerlayerdown)\)$/);
    const cut = await runInLab(lab, 'a', { kind: 'probe', monitor: ping });
    assert.equal(cut.ok, false);

    await lab.setLink('a', true);
    assert.equal((await runInLab(lab, 'a', { kind: 'probe', monitor: link })).ok, true);
  } finally {
    await lab.destroy();
  }
  const left = await runCommand({ command: 'ip', args: ['netns', 'list'] });
  assert.doesNotMatch(left.stdout, new RegExp(lab.id), 'destroy() removes every namespace of the lab');
});
