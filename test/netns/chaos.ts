// The chaos scenarios (issue 5), run by chaos-disk.test.ts and chaos-etcd.test.ts: a
// client in its own namespace sends mail to the VIP without a break and reads it back
// (IMAP and POP3) while faults hit the active node of a real multi-host lab: SIGKILL of
// its daemon and services, SIGSTOP then SIGCONT, a link cut then healed.
// Checked after every scenario:
//   - every message that got a 250 is in the mailbox at the end (zero acknowledged loss),
//     seen over IMAP and over POP3 from the client namespace;
//   - at no sampled instant (every 50-200 ms, whatever the load allows) and at no VIP add
//     or delete (ip monitor) do two nodes hold the VIP or run mail services on the volume;
//   - after every fault the VIP serves again from another node, SMTP answers 250 there,
//     and the client's ARP entry moved to that node's MAC.
// Scenarios:
//   chain   the seed's chain with 4 nodes: sv1 killed, sv2's link cut, sv3 paused; sv4
//           serves. Then sv3 resumes, sv2's link heals, sv1 restarts: they come back as
//           standbys and sv4 keeps serving. Every fault once, in one lab (the default run).
//   rounds  2 nodes, each fault in turn on whichever node is active, each undone before
//           the next; one `service` resource per mail service; the cut disables the switch
//           port and keeps the carrier, so only the ping node monitor sees it
//           (TANDEM_CHAOS_FULL=1).
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createMailLab, type ArbiterKind, type MailLab, type Sampler, type Sender } from './mail-lab.ts';

type Fault = 'kill' | 'pause' | 'cut';

interface Round { fault: Fault; from: string; to: string; outageMs: number }

/** Hits the active node with one fault, waits for another node to serve, undoes the fault. */
async function faultRound(t: TestContext, lab: MailLab, sender: Sender, fault: Fault, opts: { restore: boolean; cut?: 'carrier' | 'port' }): Promise<Round> {
  const from = await lab.waitServing();
  const acksBefore = sender.ackedCount();
  const t0 = Date.now();
  if (fault === 'kill') await lab.killNode(from);
  else if (fault === 'pause') await lab.pauseNode(from);
  else await lab.cutLink(from, opts.cut ?? 'carrier');
  const to = await lab.waitServing({ not: from, timeoutMs: 120_000 });
  // Served again means SMTP through the VIP answers 250 from the new node.
  await sender.waitAcks(3, 90_000);
  const outageMs = Date.now() - t0;
  assert.ok(sender.ackedCount() > acksBefore);
  assert.equal(await lab.clientArpOwner(), to, `after ${fault} of ${from}, the client's ARP entry for the VIP names ${to}`);
  if (opts.restore) {
    if (fault === 'kill') await lab.startNode(from);
    else if (fault === 'pause') await lab.resumeNode(from);
    else await lab.healLink(from);
    // The old node comes back as a standby: it must not take the VIP or the volume back.
    await sender.waitAcks(3, 90_000);
    assert.deepEqual(await lab.vipHolders(), [to], `after ${from} came back, only ${to} holds the VIP`);
  }
  t.diagnostic(`${lab.arbiter}: ${fault} of ${from} -> ${to} serving and 3 messages acknowledged after ${outageMs} ms`);
  return { fault, from, to, outageMs };
}

/**
 * Runs the faults, then always the end checks; a fault's error is reported first (the end
 * checks would otherwise hide it), with the end checks' verdict beside it.
 */
async function run(t: TestContext, lab: MailLab, sampler: Sampler, sender: Sender, faults: () => Promise<void>): Promise<void> {
  let failure: unknown = null;
  try { await faults(); } catch (err) { failure = err; }
  try {
    await checkRun(t, lab, sampler, sender);
  } catch (err) {
    if (failure === null) throw err;
    t.diagnostic(`end checks after the failure: ${(err as Error).message}`);
  }
  if (failure !== null) {
    for (const n of lab.nodeNames) t.diagnostic(`--- ${n} log (tail)\n${lab.nodeLog(n).slice(-4000)}`);
    throw failure;
  }
}

/** The end of every run: the sampler saw one owner at a time, the mailbox holds every 250. */
async function checkRun(t: TestContext, lab: MailLab, sampler: Sampler, sender: Sender): Promise<void> {
  const report = await sender.stop();
  await sampler.stop();
  const violations = sampler.violations();
  assert.deepEqual(violations.slice(0, 5), [], `${violations.length} samples show two owners at once`);
  assert.ok(sampler.samples.length > 100, `the sampler ran (${sampler.samples.length} samples)`);
  assert.ok(sampler.events.length >= 2, `ip monitor saw the VIP move (${sampler.events.length} adds and deletes)`);
  // The volume's fencing token only grows; services running on a node the fence no longer
  // names (a replaced owner not yet dead) are counted: their writes are refused by the
  // services' own fence guard, so they are reported, not failed.
  const tokens = sampler.samples.flatMap((x) => (x.fence ? [x.fence.token] : []));
  const drops = tokens.filter((tok, i) => i > 0 && tok < tokens[i - 1]!);
  assert.deepEqual(drops, [], 'the fencing token on the volume never decreases');
  const stale = sampler.samples.filter((x) => x.fence && x.volume.some((n) => n !== x.fence!.node));
  if (stale.length > 0) t.diagnostic(`${stale.length} samples show services on a node the fence no longer names (first: ${JSON.stringify(stale[0])})`);
  assert.ok(report.acked.length > 0);
  await lab.waitServing();
  const boxes = await lab.readBoth();
  for (const how of ['imap', 'pop3'] as const) {
    const ids = new Set(boxes[how]);
    const lost = report.acked.filter((a) => !ids.has(a.id));
    assert.deepEqual(lost, [], `${lost.length} of ${report.acked.length} acknowledged messages are missing over ${how}`);
  }
  t.diagnostic(`${lab.arbiter}: ${report.acked.length} acknowledged of ${report.attempted} attempted (${report.failed.length} refused or cut), all in the mailbox; ${sampler.samples.length} samples and ${sampler.events.length} VIP add/delete events, never two owners`);
}

/** The default run: the seed's 4-node chain, one fault of each kind, then everything undone. */
export async function chainScenario(t: TestContext, arbiter: ArbiterKind): Promise<void> {
  const lab = await createMailLab({ nodes: 4, arbiter });
  try {
    await lab.startAll();
    // Watching and sending start before the group is up: its start is checked too.
    const sampler = lab.startSampler(50);
    const sender = lab.startSender({ runId: `chain-${arbiter}` });
    const order: string[] = ['sv1'];
    await run(t, lab, sampler, sender, async () => {
      if ((await lab.waitServing()) !== 'sv1') {
        const r = await lab.move('sv1');
        assert.equal(r.code, 0, r.output.join('\n'));
        await waitFor(async () => (await lab.vipHolders()).join() === 'sv1', 'the group to settle on sv1', 90_000);
        await lab.waitServing();
      }
      await sender.waitAcks(5);
      // A different failure for each link of the chain; nothing is undone until sv4 serves.
      for (const fault of ['kill', 'cut', 'pause'] as const) {
        const round = await faultRound(t, lab, sender, fault, { restore: false });
        order.push(round.to);
      }
      assert.deepEqual(order, ['sv1', 'sv2', 'sv3', 'sv4'], 'the group walks down the priority list');
      // The paused node wakes up after its lease ended, the cut node is reachable again, the
      // killed one restarts: none of them may take the VIP or the volume back (failback
      // manual). Meanwhile an IMAP read shows that what was acknowledged so far is there.
      const sofar = sender.ackedCount();
      const [during] = await Promise.all([
        lab.readMailbox('imap'),
        lab.resumeNode('sv3'), lab.healLink('sv2'), lab.startNode('sv1'),
      ]);
      assert.ok(new Set(during).size >= sofar, `IMAP during the run lists ${during.length} messages, ${sofar} were acknowledged`);
      await sender.waitAcks(5, 90_000);
      assert.deepEqual(await lab.vipHolders(), ['sv4'], 'sv4 keeps the VIP after the others came back');
      assert.deepEqual(await lab.volumeUsers(), ['sv4'], 'sv4 alone runs services on the volume');
    });
  } finally {
    await lab.destroy();
  }
}

/** TANDEM_CHAOS_FULL=1: two nodes, each fault on the active node, undone before the next. */
export async function roundsScenario(t: TestContext, arbiter: ArbiterKind): Promise<void> {
  // One resource per mail service here (the chain runs them under one supervisor).
  const lab = await createMailLab({ nodes: 2, arbiter, services: 'separate' });
  try {
    await lab.startAll();
    await lab.waitServing();
    const sampler = lab.startSampler(50);
    const sender = lab.startSender({ runId: `rounds-${arbiter}` });
    await run(t, lab, sampler, sender, async () => {
      await sender.waitAcks(5);
      // The cut keeps the carrier here (a disabled switch port): only the ping monitor sees it.
      for (const fault of ['kill', 'pause', 'cut'] as const) await faultRound(t, lab, sender, fault, { restore: true, cut: 'port' });
    });
  } finally {
    await lab.destroy();
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The skip reason of a scenario that runs only on request, or false. */
export function fullOnly(): string | false {
  return process.env.TANDEM_CHAOS_FULL === '1' ? false : 'the 2-node fault rounds run with TANDEM_CHAOS_FULL=1 (the default run covers every fault once in the 4-node chain)';
}
