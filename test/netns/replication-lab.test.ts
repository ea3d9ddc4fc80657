// Account replication (S7, issue 7) with the master failing over, in the multi-host lab
// (test/netns/mail-lab.ts). The master is the mail cluster: two node daemons in their own
// namespaces, the `replication` service a resource of the mail group, bound like every mail
// service to the VIP 198.18.0.100, its feed on https://VIP:8443. The slave is a separate mail
// system in the client namespace (198.18.0.50): its follower and its POP3 service, started
// once and never restarted. The configuration names one address on each side:
//   - the master's `accounts.accessNet` lists only the slave's address (198.18.0.50/32);
//   - the slave's `accounts.master.url` names only the master's VIP, never a node.
// While a loop adds accounts on the master, the active master node is SIGKILLed (and, with
// TANDEM_LAB_FULL=1, in a second test its cable is pulled instead): the group
// moves to the other node, the feed comes back on the same VIP with the same database (it
// is on the shared volume), and the slave catches up on its own, with every account made
// before, during and after the failover, a password changed after it, and POP3 logins
// on the slave working throughout. Needs root and `ip netns` (skipped with the reason).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createMailLab, mailLabSkipReason, TANDEM_BIN, VIP, CLIENT_IP, DOMAIN, USER, type MailLab } from './mail-lab.ts';
import { runCommand } from '../../src/cluster/agents/run-command.ts';

const FEED_PORT = 8443;
const SLAVE_POP3 = 110;
const skip = mailLabSkipReason('disk');

/** Runs the CLI in the root namespace (the volumes are directories every namespace shares). */
async function tandem(args: string[], input?: string): Promise<{ code: number | null; stdout: string; output: string }> {
  const r = await runCommand({ command: process.execPath, args: [TANDEM_BIN, ...args], timeoutMs: 60_000, input, env: { TANDEM_LOG_LEVEL: 'silent' } });
  return { code: r.code, stdout: r.stdout, output: r.output.join('\n') };
}

async function mustTandem(args: string[], input?: string): Promise<string> {
  const r = await tandem(args, input);
  if (r.code !== 0) throw new Error(`tandem ${args.join(' ')} exited ${r.code}: ${r.output}`);
  return r.stdout;
}

async function eventually<T>(what: string, check: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) { last = ` (last error: ${(err as Error).message})`; }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    await sleep(200);
  }
}

/** Merges `patch` into a volume's cfg/mail.yaml (top-level keys, one level deep). */
function patchSettings(dataDir: string, patch: Record<string, Record<string, unknown>>): void {
  const file = join(dataDir, 'cfg', 'mail.yaml');
  const current = parseYaml(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  for (const [k, v] of Object.entries(patch)) current[k] = { ...(current[k] ?? {}), ...v };
  writeFileSync(file, stringifyYaml(current));
}

/** The mail group of the lab's cluster file, plus the replication service on the VIP. */
function addReplicationResource(lab: MailLab): void {
  const config = JSON.parse(readFileSync(lab.configFile, 'utf8')) as { groups: Array<{ name: string; resources: unknown[] }> };
  const group = config.groups.find((g) => g.name === 'mail');
  assert.ok(group, 'the lab config has the mail group');
  group.resources.push({
    name: 'replication', type: 'service', dependsOn: ['volume', 'vip'],
    timeouts: { start: '60s', stop: '20s', monitor: '10s' },
    params: { command: [process.execPath, TANDEM_BIN, 'mail', 'serve', 'replication', '--data', lab.dataDir], readyPort: FEED_PORT, env: { TANDEM_LOG_LEVEL: 'info' } },
    monitors: [{ name: 'feed', kind: 'tcp', host: VIP, port: FEED_PORT, interval: '2s', timeout: '2s', rise: 1, fall: 3 }],
  });
  writeFileSync(lab.configFile, JSON.stringify(config, null, 2));
}

interface SlaveProcess { proc: ChildProcess; pid: number; log(): string }

/** Starts `tandem mail serve SERVICE` for the slave in the client namespace; resolves once ready. */
async function startSlaveService(lab: MailLab, service: string, dataDir: string): Promise<SlaveProcess> {
  const proc = spawn('ip', ['netns', 'exec', lab.lab.nodes.client!.ns, process.execPath, TANDEM_BIN, 'mail', 'serve', service, '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TANDEM_LOG_LEVEL: 'info' },
  });
  let log = '';
  proc.stderr!.on('data', (c: Buffer) => { log = (log + c.toString()).slice(-100_000); });
  const pid = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`slave ${service} not ready in 60 s: ${log.slice(-2000)}`)), 60_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (!line.startsWith('TANDEM-READY ')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line.slice('TANDEM-READY '.length)) as { pid: number }).pid);
    });
    proc.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`slave ${service} exited before ready (${sig ?? code}): ${log.slice(-2000)}`)); });
  });
  return { proc, pid, log: () => log };
}

function stopProcess(p: SlaveProcess | null): Promise<void> {
  if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { p.proc.kill('SIGKILL'); }, 10_000);
    p.proc.once('exit', () => { clearTimeout(timer); resolve(); });
    p.proc.kill('SIGTERM');
  });
}

/** Addresses of the users in a volume's accounts database (read-only, as any reader would). */
function usersOf(dataDir: string): Set<string> {
  const db = new BetterSqlite3(join(dataDir, 'db', 'accounts.sqlite'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return new Set((db.prepare('SELECT address FROM users').all() as Array<{ address: string }>).map((r) => r.address));
  } finally {
    db.close();
  }
}

/** A POP3 login on the slave from the client namespace (STLS, then USER/PASS): true when accepted. */
async function slaveLogin(lab: MailLab, address: string, password: string): Promise<boolean> {
  const r = await lab.clientExec('curl', ['-s', '--max-time', '10', '--ssl-reqd', '-k', `pop3://${CLIENT_IP}:${SLAVE_POP3}/`, '--user', `${address}:${password}`], { timeoutMs: 20_000 });
  return r.code === 0;
}

/**
 * The scenario, with the active master node failing by `fault`: `kill` (SIGKILL of its
 * daemon and services: the slave's connection is reset at once) or `cut` (its cable pulled:
 * the connection dies silently and the follower notices only at its socket timeout,
 * `waitSeconds` + 30 s).
 */
async function followThroughFailover(fault: 'kill' | 'cut'): Promise<void> {
  const lab = await createMailLab({ nodes: 2, arbiter: 'disk' });
  const slaveDir = join(mkdtempSync(join(tmpdir(), 'tandem-repl-slave-')), 'mail');
  let follower: SlaveProcess | null = null;
  let pop3: SlaveProcess | null = null;
  try {
    // The master: the lab's volume becomes the domain master; its feed joins the mail group.
    patchSettings(lab.dataDir, { accounts: { role: 'master', system: 'tokyo', feedPort: FEED_PORT, accessNet: [`${CLIENT_IP}/32`] } });
    const made = await tandem(['mail', 'replication', 'token', 'create', 'osaka', '--data', lab.dataDir]);
    assert.equal(made.code, 0, made.output);
    const token = made.stdout.trim();
    const fingerprint = /fingerprint[^:]*: ([0-9A-F:]+)/.exec(made.output)?.[1];
    assert.ok(token && fingerprint, `token and fingerprint printed: ${made.output}`);
    addReplicationResource(lab);

    // The slave: its own volume, bound to its own address, following the master's VIP only.
    await mustTandem(['mail', 'init', '--data', slaveDir, '--hostname', 'mail.osaka.lab.test', '--domain', DOMAIN, '--listen', CLIENT_IP]);
    const off = { port: null };
    patchSettings(slaveDir, {
      listen: { smtp: off, submission: off, submissions: off, pop3: { port: SLAVE_POP3 }, pop3s: off, imap: off, imaps: off, http: off, https: off, ldap: off, ldaps: off, password: off },
      accounts: { role: 'slave', system: 'osaka', master: { url: `https://${VIP}:${FEED_PORT}`, tokenFile: 'replication.token', fingerprint, waitSeconds: 5 } },
    });
    writeFileSync(join(slaveDir, 'cfg', 'replication.token'), `${token}\n`, { mode: 0o600 });

    await lab.startAll();
    const first = await lab.waitServing();
    await eventually(`the feed on ${VIP}:${FEED_PORT}`, async () => (await lab.clientExec('bash', ['-c', `exec 3<>/dev/tcp/${VIP}/${FEED_PORT}`], { timeoutMs: 5_000 })).code === 0, 60_000);

    follower = await startSlaveService(lab, 'replication', slaveDir);
    pop3 = await startSlaveService(lab, 'pop3', slaveDir);
    const f = follower;
    await eventually('alice on the slave', () => usersOf(slaveDir).has(USER.address), 60_000);
    assert.ok(await slaveLogin(lab, USER.address, USER.password), 'the slave logs alice in with the password made on the master');
    assert.ok(!(await slaveLogin(lab, USER.address, 'not-her-password')), 'and refuses a wrong one');

    // Accounts change on the master while its active node is killed.
    const added: string[] = [];
    let adding = true;
    const adder = (async () => {
      for (let i = 1; adding && i <= 200; i++) {
        const address = `user${i}@${DOMAIN}`;
        const r = await tandem(['mail', 'user', 'add', address, '--data', lab.dataDir], `password-of-user-${i}\n`);
        if (r.code === 0) added.push(address);
        await sleep(150);
      }
    })();
    await eventually('two accounts made before the fault', () => added.length >= 2, 60_000);
    if (fault === 'kill') await lab.killNode(first);
    else await lab.cutLink(first, 'carrier');
    const second = await lab.waitServing({ not: first, timeoutMs: 120_000 });
    assert.notEqual(second, first);
    await eventually(`the feed back on ${VIP}:${FEED_PORT} (on ${second})`, async () => (await lab.clientExec('bash', ['-c', `exec 3<>/dev/tcp/${VIP}/${FEED_PORT}`], { timeoutMs: 5_000 })).code === 0, 60_000);
    const atFailover = added.length;
    await eventually('two more accounts made after the failover', () => added.length >= atFailover + 2, 60_000);
    adding = false;
    await adder;
    await mustTandem(['mail', 'user', 'passwd', USER.address, '--data', lab.dataDir], 'new-password-after-failover\n');

    // The slave catches up by itself: same follower process, every account, the new password.
    await eventually(`all ${added.length} accounts on the slave`, () => {
      const have = usersOf(slaveDir);
      return added.every((a) => have.has(a));
    }, fault === 'cut' ? 150_000 : 90_000);
    await eventually('alice\'s new password on the slave', () => slaveLogin(lab, USER.address, 'new-password-after-failover'), 60_000);
    assert.ok(!(await slaveLogin(lab, USER.address, USER.password)), 'the old password no longer works on the slave');
    const last = added[added.length - 1]!;
    assert.ok(await slaveLogin(lab, last, `password-of-user-${added.length}`), `${last}, made after the failover, logs in on the slave`);
    assert.equal(f.proc.exitCode, null, 'the follower was never restarted');
    assert.equal(pop3.proc.exitCode, null, 'nor the slave\'s POP3 service');

    const status = JSON.parse(await mustTandem(['mail', 'replication', 'status', '--data', slaveDir, '--json'])) as { role: string; follower: { pid: number; lastError: string | null; master: string } | null };
    assert.equal(status.role, 'slave');
    assert.equal(status.follower?.pid, f.pid, 'the status comes from the same follower process');
    assert.equal(status.follower?.master, `https://${VIP}:${FEED_PORT}`);
    assert.equal(status.follower?.lastError, null, 'no error left once caught up');
    // Only the very first batch was a full snapshot: after the failover the slave went on
    // from its version, because the database (id and versions) moved with the volume.
    const applied = f.log().split('\n').filter((l) => l.includes('"replication.applied"')).map((l) => JSON.parse(l) as { full: boolean });
    assert.ok(applied.length >= 2, `the follower applied batches: ${applied.length}`);
    assert.deepEqual(applied.map((a) => a.full), [true, ...applied.slice(1).map(() => false)], 'one full snapshot at the start, incremental batches after');
  } finally {
    await stopProcess(follower);
    await stopProcess(pop3);
    await lab.destroy();
    rmSync(join(slaveDir, '..'), { recursive: true, force: true });
  }
}

test('replication lab: the slave follows the master through a failover of the master (SIGKILL), naming only its VIP, with no restart', { skip: skip ?? false, timeout: 420_000 }, () => followThroughFailover('kill'));

// The silent variant takes a minute longer (the follower's socket timeout): run it with
// TANDEM_LAB_FULL=1.
const full = process.env.TANDEM_LAB_FULL === '1';
test('replication lab: the same when the active master node\'s cable is pulled (no reset reaches the slave)', { skip: skip ?? (full ? false : 'set TANDEM_LAB_FULL=1 to run it (about 3 minutes)'), timeout: 600_000 }, () => followThroughFailover('cut'));
