// S16, cluster-aware restart of a monitored service that the mail group's start script
// loaded with `svc load` (scripted style): `tandem svc restart smtp` gives a new process
// that serves on the VIP, no restart is counted, the same node holds the group under the
// same lease epoch, and the supervision is active again afterwards (a SIGKILL of the new
// process is restarted). svc-restart-resource.test.ts: the service resource case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/cluster.ts';
import { MailCluster, mailGroupStatus as mailGroup, smtpGreeting } from '../helpers/mail-cluster.ts';
import { runTandem } from '../helpers/process.ts';

test('svc restart of a monitored service loaded by the start script: new pid, serving, no restart counted, monitor back', async () => {
  const lab = await MailCluster.create({ style: 'script' });
  try {
    const svc = async () => {
      const s = (await lab.status('sv1')).services.find((x) => x.name === 'smtp');
      assert.ok(s, 'smtp is loaded on sv1');
      return s;
    };
    const before = await svc();
    const epoch = (await mailGroup(lab, 'sv1')).epoch;

    const r = lab.h.cli(['svc', 'restart', 'smtp']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^service smtp restarted on sv1 \(pid \d+\); its monitor was suspended meanwhile; no failover$/m);

    const after = await svc();
    assert.notEqual(after.pid, before.pid, 'a new process');
    assert.equal(after.state, 'running');
    assert.equal(after.restarts, 0, 'not counted as a failure restart');
    await eventually('smtp answers on the VIP again', async () => (await smtpGreeting(lab))?.startsWith('220') ?? false, 60_000, 250);
    const g = await mailGroup(lab, 'sv1');
    assert.equal(g.holder, 'sv1');
    assert.equal(g.epoch, epoch);
    assert.ok(!lab.events('sv2').some((e) => e.kind === 'lease.acquired'), 'sv2 took nothing');

    // The admin API of the http service (itself svc-loaded: the daemon's environment told
    // it about the cluster) restarts imap by the name the start script loaded it under.
    const made = runTandem(['mail', 'admin', 'token', 'create', 'svc restart test', '--data', lab.volume]);
    assert.equal(made.code, 0, made.stderr);
    const imapBefore = (await lab.status('sv1')).services.find((x) => x.name === 'imap')?.pid;
    const res = await fetch(`http://${lab.vip}:${lab.ports.http}/api/v1/services/imap/restart`, { method: 'POST', headers: { authorization: `Bearer ${made.stdout.trim()}` } });
    const body = await res.json() as { message?: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.match(String(body.message), /^service imap restarted on sv1 \(pid \d+\)/);
    assert.notEqual((await lab.status('sv1')).services.find((x) => x.name === 'imap')?.pid, imapBefore);

    // --monitor is active again: an exit now is a failure, restarted within the budget.
    process.kill(after.pid!, 'SIGKILL');
    await eventually('the supervisor restarts it', async () => ((await svc()).restarts === 1 ? true : null), 60_000, 250);
    assert.equal(await lab.holder('sv1'), 'sv1');
  } finally {
    await lab.cleanup();
  }
});
