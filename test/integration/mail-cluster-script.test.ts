// The mail group in the scripted style: one `script` resource running the example's
// start.sh/stop.sh (the seed's START.BAT/STOP.BAT in sh), which load every mail service
// with `tandem svc load --monitor`. Checks the CLP_EVENT branches through the scripts'
// output in the event log (START on the home node, then FAILOVER on sv2), the
// CLP_DISK=FAILURE branch (a broadcast, and `tandem group failover` on the HOME node
// only), and that mail sent before the move is still readable by POP3 after it. (SIGKILL
// of a daemon and its guard are the declarative test's part: mail-cluster-services.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { eventually, isAlive } from '../helpers/cluster.ts';
import { EXAMPLE_DIR, LAB_USERS, MailCluster } from '../helpers/mail-cluster.ts';

const MAIL_SERVICES = ['smtp', 'password', 'pop3', 'imap', 'http', 'cron', 'ldap'];

function pop3Top(lab: MailCluster): string {
  const r = spawnSync('curl', ['-s', '--max-time', '20', `pop3://${lab.vip}:${lab.ports.pop3}/1`, '--user', `${LAB_USERS[0].address}:${LAB_USERS[0].password}`], { encoding: 'utf8', timeout: 30_000 });
  return r.stdout ?? '';
}

function outputs(lab: MailCluster, node: string): string[] {
  return lab.events(node).filter((e) => e.kind === 'script.output').map((e) => e.message);
}

function broadcasts(lab: MailCluster, node: string): string[] {
  return lab.events(node).filter((e) => e.kind === 'broadcast').map((e) => e.message);
}

/** Runs start.sh as the daemon would on `node`, with the variables given. */
function runStartScript(lab: MailCluster, node: string, vars: Record<string, string>): { code: number; out: string } {
  const r = spawnSync(join(EXAMPLE_DIR, 'start.sh'), ['start'], {
    encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, TANDEM_LOG_LEVEL: 'silent', TANDEM_CLUSTER_CONFIG: lab.h.configPath(node), TANDEM_NODE: node, CLP_NODE: node, CLP_GROUPNAME: 'mail', MAIL_DATA: lab.volume, ...vars },
  });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

test('scripted mail group: START, then CLP_DISK=FAILURE broadcasts and fails over from HOME only, FAILOVER on sv2, mail kept', { timeout: 900_000 }, async () => {
  const lab = await MailCluster.create({ style: 'script' });
  try {
    // START on the home node: the script's own lines and its broadcast are in the event log.
    assert.ok(outputs(lab, 'sv1').includes('mail: normal start on sv1 (HOME)'), outputs(lab, 'sv1').join('\n'));
    await eventually('the START broadcast', () => broadcasts(lab, 'sv1').includes('mail: started on the highest-priority node sv1'), 20_000);
    const loaded = (await lab.status('sv1')).services;
    assert.deepEqual(loaded.map((s) => s.name).sort(), [...MAIL_SERVICES].sort(), 'every mail service is loaded, replication only on master/slave');
    assert.ok(loaded.every((s) => s.state === 'running' && s.pid && isAlive(s.pid)));

    const transport = nodemailer.createTransport({ host: lab.vip, port: lab.ports.smtp, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: LAB_USERS[1].address, to: LAB_USERS[0].address, subject: 'via the script group', text: 'hello' });
    await eventually('the mail over POP3 on sv1', () => pop3Top(lab).includes('Subject: via the script group'), 20_000);

    // CLP_DISK=FAILURE on a node that is not the home node: a broadcast, no failover.
    const other = runStartScript(lab, 'sv1', { CLP_EVENT: 'START', CLP_DISK: 'FAILURE', CLP_SERVER: 'OTHER' });
    assert.equal(other.code, 1, other.out);
    await eventually('the disk broadcast', () => broadcasts(lab, 'sv1').includes('mail: connecting the data volume failed on sv1'), 20_000);
    const after = (await lab.status('sv1')).groups[0]!;
    assert.equal(after.holder, 'sv1', 'OTHER does not fail the group over');
    assert.equal(after.moveTo, null, 'no move was requested');

    // ... and on the HOME node: the broadcast, then `tandem group failover mail` moves it to sv2.
    const home = runStartScript(lab, 'sv1', { CLP_EVENT: 'FAILOVER', CLP_DISK: 'FAILURE', CLP_SERVER: 'HOME' });
    assert.equal(home.code, 1, home.out);
    assert.match(home.out, /mail.*sv2/i, 'the failover names its target');
    await lab.waitRunning('sv2');
    assert.ok(outputs(lab, 'sv2').includes('mail: failover start on sv2 (OTHER)'), outputs(lab, 'sv2').join('\n'));
    assert.ok(outputs(lab, 'sv1').some((l) => l.startsWith('mail: stopping the mail services on sv1')), 'stop.sh ran on sv1');
    assert.ok(pop3Top(lab).includes('Subject: via the script group'), 'the mail is readable on sv2');
  } finally {
    await lab.cleanup();
  }
});
