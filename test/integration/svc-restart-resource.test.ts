// S16, cluster-aware restart of a `service` resource of the real mail group (declarative
// style): `tandem svc restart mail/smtp` (asked on the standby, forwarded) and the admin
// API's restart of pop3 through the local daemon. A new process serves again on the VIP,
// the same node holds the group under the same lease epoch, no failure is counted, no
// other node takes anything, and the monitor is active again afterwards (a SIGKILL of the
// new process is noticed and recovered). svc-restart-loaded.test.ts: the svc load case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { eventually, isAlive } from '../helpers/cluster.ts';
import { MailCluster, mailGroupStatus as mailGroup, smtpGreeting } from '../helpers/mail-cluster.ts';
import { runTandem } from '../helpers/process.ts';

test('svc restart of a service resource: new pid, serving, same holder and epoch, no failure, monitors back', async () => {
  const lab = await MailCluster.create({ style: 'services' });
  try {
    const before = await mailGroup(lab, 'sv1');
    assert.equal(before.holder, 'sv1');
    const oldPid = Number(readFileSync(lab.servicePidFile('sv1', 'smtp'), 'utf8').trim());
    assert.ok(isAlive(oldPid));

    // Asked on the standby, which forwards to the node that runs the group.
    const r = lab.h.cli(['svc', 'restart', 'mail/smtp'], 'sv2');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^mail\/smtp restarted in place on sv1 \(.*\); monitors resumed; no failover$/m);

    const newPid = Number(readFileSync(lab.servicePidFile('sv1', 'smtp'), 'utf8').trim());
    assert.notEqual(newPid, oldPid, 'a new process');
    assert.ok(!isAlive(oldPid), 'the old one is gone');
    assert.match((await smtpGreeting(lab)) ?? '(nothing answers)', /^220 /, 'serving on the VIP again');

    const after = await mailGroup(lab, 'sv1');
    assert.equal(after.holder, 'sv1', 'the same node holds the group');
    assert.equal(after.epoch, before.epoch, 'under the same lease');
    // (Monitors of other resources may time out on a loaded machine: only ours matter here.)
    assert.deepEqual(after.failures.filter((f) => (f as { resource: string }).resource === 'smtp'), [], 'no failure counted');
    assert.deepEqual(after.suspended, [], 'monitors resumed');
    assert.equal(after.resources.sv1?.smtp, 'running');
    const sv1 = lab.events('sv1').map((e) => e.kind);
    assert.ok(sv1.includes('resource.restart-requested') && sv1.includes('resource.restart-done'), 'the event log says so');
    assert.ok(!sv1.includes('group.failover-requested') && !sv1.includes('monitor.fell'), 'nothing failed');
    assert.ok(!lab.events('sv2').some((e) => e.kind === 'lease.acquired'), 'sv2 took nothing');

    // The admin API of the http service (itself a resource of the group) restarts through
    // the same daemon: it found the cluster in the environment the service resource gave it.
    const made = runTandem(['mail', 'admin', 'token', 'create', 'svc restart test', '--data', lab.volume]);
    assert.equal(made.code, 0, made.stderr);
    const token = made.stdout.trim();
    const api = async (method: string, path: string) => {
      const res = await fetch(`http://${lab.vip}:${lab.ports.http}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: await res.json() as Record<string, unknown> };
    };
    const listed = await api('GET', '/api/v1/services');
    assert.deepEqual((listed.body.restart as { available: boolean }).available, true, JSON.stringify(listed.body.restart));
    const pop3Pid = Number(readFileSync(lab.servicePidFile('sv1', 'pop3'), 'utf8').trim());
    const restarted = await api('POST', '/api/v1/services/pop3/restart');
    assert.equal(restarted.status, 200, JSON.stringify(restarted.body));
    assert.match(String(restarted.body.message), /^mail\/pop3 restarted in place on sv1 .*no failover$/);
    assert.notEqual(Number(readFileSync(lab.servicePidFile('sv1', 'pop3'), 'utf8').trim()), pop3Pid, 'pop3 is a new process');
    assert.equal((await api('POST', '/api/v1/services/nosuch/restart')).status, 400);
    const vip = lab.h.cli(['svc', 'restart', 'mail/vip']);
    assert.equal(vip.code, 1);
    assert.match(vip.stderr, /mail\/vip is a vip resource: only service resources restart in place/);
    assert.deepEqual((await mailGroup(lab, 'sv1')).failures.filter((f) => ['smtp', 'pop3'].includes((f as { resource: string }).resource)), [], 'still no failure counted');

    // The port monitor watches again: a crash of the new process is noticed and recovered here.
    process.kill(newPid, 'SIGKILL');
    await eventually('the monitor notices the crash', () => lab.events('sv1').some((e) => e.kind === 'monitor.fell' && e.resource === 'smtp'), 60_000, 250);
    await eventually('smtp recovered on sv1', async () => (await smtpGreeting(lab))?.startsWith('220') ?? false, 90_000, 500);
    assert.equal(await lab.holder('sv1'), 'sv1');
  } finally {
    await lab.cleanup();
  }
});
