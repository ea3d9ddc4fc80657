// `npm start` (tandem demo): two node daemons run the mail group on 127.0.0.100 with the
// demo ports; every service answers there; `tandem group move mail --to sv2`, run as a user
// would from the demo's directory with no --config and no env, moves it and the services
// answer again; Ctrl-C (SIGINT) stops everything, leaving no process behind; a second start
// finds the mail of the first. Runs the real command as a child process. The demo's
// addresses are fixed, so this is the only test that starts it, and it cleans up by PID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { TANDEM_BIN } from '../helpers/process.ts';
import { eventually, isAlive } from '../helpers/cluster.ts';
import { DEMO } from '../../src/demo/demo-volume.ts';
import { DEMO_NODE_PORT, DEMO_NODES } from '../../src/demo/demo-cluster.ts';
import { SYSTEM_CLUSTER_CONFIG } from '../../src/cli/cluster-client.ts';

function portFree(port: number, host: string = DEMO.address): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer().once('error', () => resolve(false)).listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** The demo's fixed addresses are free (no `npm start` runs on this machine). */
async function demoAddressesFree(): Promise<boolean> {
  for (const n of DEMO_NODES) if (!(await portFree(DEMO_NODE_PORT, n.address))) return false;
  return portFree(DEMO.ports.smtp);
}

interface RunningDemo { proc: ChildProcess; output: () => string; stop: () => Promise<number | null> }

async function startDemo(cwd: string): Promise<RunningDemo> {
  // Under setpriv --pdeathsig TERM: if this test process dies (a runner timeout), the demo
  // gets SIGTERM and stops its nodes instead of holding the demo's addresses forever.
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const argv = [...(setpriv ? [setpriv, '--pdeathsig', 'TERM', '--'] : []), process.execPath, TANDEM_BIN, 'demo'];
  const proc = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  proc.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const stop = () => new Promise<number | null>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
    proc.once('exit', (code) => resolve(code));
    proc.kill('SIGINT');
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo not ready in 240 s:\n${out}`)), 240_000);
    proc.stdout.on('data', () => { if (out.includes('Press Ctrl-C')) { clearTimeout(timer); resolve(); } });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`demo exited ${code}:\n${out}`)); });
  }).catch(async (err: unknown) => { await stop(); throw err; });
  return { proc, output: () => out, stop };
}

/** The CLI as a user runs it from the demo's directory: no --config, no TANDEM_* variables. */
function tandem(cwd: string, args: string[]): { code: number; out: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, TANDEM_LOG_LEVEL: 'silent' };
  delete env.TANDEM_CLUSTER_CONFIG;
  delete env.TANDEM_NODE;
  // A host that has its own cluster configuration would take precedence (by design).
  const extra = existsSync(SYSTEM_CLUSTER_CONFIG) ? ['--config', join(cwd, 'var', 'demo', 'cluster.yaml')] : [];
  const r = spawnSync(process.execPath, [TANDEM_BIN, ...args, ...extra], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** The first line a line-based service says (SMTP 220, POP3 +OK, IMAP * OK, poppassd 200). */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: DEMO.address, port });
    let buf = '';
    s.setTimeout(15_000, () => { s.destroy(); reject(new Error(`no greeting on ${port}`)); });
    s.on('data', (c: Buffer) => { buf += c.toString(); if (buf.includes('\n')) { s.destroy(); resolve(buf.split('\n')[0]!.trim()); } });
    s.once('error', reject);
  });
}

async function assertServicesAnswer(): Promise<void> {
  const p = DEMO.ports;
  await eventually('every demo service answering on 127.0.0.100', async () => {
    assert.match(await greeting(p.smtp), /^220 /);
    assert.match(await greeting(p.pop3), /^\+OK/);
    assert.match(await greeting(p.imap), /^\* OK/);
    assert.match(await greeting(p.password), /^200 /);
    const res = await fetch(`http://${DEMO.address}:${p.http}/`, { redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    assert.ok(res.status < 500, `http answers ${res.status}`);
    await new Promise<void>((resolve, reject) => {
      const s = createConnection({ host: DEMO.address, port: p.ldap }, () => { s.destroy(); resolve(); });
      s.once('error', reject);
    });
    return true;
  }, 60_000, 500);
}

/** Every pid the demo's nodes ran: daemons and guards (from the status) and the agents' pid files. */
function demoPids(cwd: string, status: Array<{ pid: number; guardPid: number | null }>): number[] {
  const pids = status.flatMap((s) => [s.pid, ...(s.guardPid ? [s.guardPid] : [])]);
  const nodesDir = join(cwd, 'var', 'demo', 'nodes');
  for (const node of existsSync(nodesDir) ? readdirSync(nodesDir) : []) {
    const dir = join(nodesDir, node, 'resources', 'mail');
    for (const r of existsSync(dir) ? readdirSync(dir) : []) {
      const f = join(dir, r, `mail.${r}.pid`);
      if (existsSync(f)) pids.push(Number(readFileSync(f, 'utf8')));
    }
  }
  return pids;
}

function nodeStatus(cwd: string, node: string): { pid: number; guardPid: number | null; groups: Array<{ holder: string | null }> } {
  const r = tandem(cwd, ['status', '--json', '--node', node]);
  assert.equal(r.code, 0, r.out);
  return JSON.parse(r.out) as { pid: number; guardPid: number | null; groups: Array<{ holder: string | null }> };
}

test('the demo: two nodes run the mail group on 127.0.0.100; move to sv2 without --config; Ctrl-C leaves nothing; mail kept across restarts', { timeout: 900_000 }, async (t) => {
  if (!(await demoAddressesFree())) {
    t.skip(`the demo's addresses (${DEMO.address}:${DEMO.ports.smtp}, ${DEMO_NODES.map((n) => `${n.address}:${DEMO_NODE_PORT}`).join(', ')}) are taken: is \`npm start\` running?`);
    return;
  }
  const cwd = mkdtempSync(join(tmpdir(), 'tandem-demo-'));
  const seen = new Set<number>();
  let demo: RunningDemo | null = null;
  try {
    demo = await startDemo(cwd);
    const first = demo.output();
    assert.match(first, /alice@demo\.test\s+password wonderland/);
    for (const service of ['smtp', 'pop3', 'imap', 'http', 'ldap', 'password', 'cron']) {
      assert.match(first, new RegExp(`^  ${service}\\s`, 'm'), `${service} is in the group`);
    }
    assert.match(first, /group mail runs on sv1/);
    await assertServicesAnswer();

    const transport = nodemailer.createTransport({ host: DEMO.address, port: DEMO.ports.smtp, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({ from: 'bob@demo.test', to: 'alice@demo.test', subject: 'kept across restarts', text: 'hello' });
    assert.deepEqual(info.accepted, ['alice@demo.test']);

    // The cluster commands find the running demo on their own.
    const statuses = ['sv1', 'sv2'].map((n) => nodeStatus(cwd, n));
    assert.equal(statuses[0]!.groups[0]!.holder, 'sv1');
    for (const p of demoPids(cwd, statuses)) seen.add(p);
    const move = tandem(cwd, ['group', 'move', 'mail', '--to', 'sv2']);
    assert.equal(move.code, 0, move.out);
    await eventually('the group on sv2', () => demo!.output().includes('group mail is running on sv2'), 180_000, 500);
    await assertServicesAnswer();
    for (const p of demoPids(cwd, ['sv1', 'sv2'].map((n) => nodeStatus(cwd, n)))) seen.add(p);
    assert.ok(seen.size >= 4 + 14, `daemons, guards and two rounds of services: ${[...seen].join(' ')}`);

    assert.equal(await demo.stop(), 0, `Ctrl-C stops the demo cleanly:\n${demo.output()}`);
    assert.match(demo.output(), /demo stopped\./);
    const left = [...seen].filter((p) => isAlive(p));
    assert.deepEqual(left, [], `no process of the demo is left: ${left.map((p) => spawnSync('ps', ['-o', 'pid,cmd', '-p', String(p)], { encoding: 'utf8' }).stdout).join('')}`);
    assert.equal(existsSync(join(cwd, 'var', 'demo', 'demo.pid')), false, 'the pid file is gone');

    demo = await startDemo(cwd);
    assert.match(demo.output(), /Reusing the demo mail volume/);
    const pop = await eventually('the mail of the first run over POP3', () => {
      const r = spawnSync('curl', ['-s', '--max-time', '20', `pop3://${DEMO.address}:${DEMO.ports.pop3}/1`, '--user', 'alice@demo.test:wonderland'], { encoding: 'utf8', timeout: 30_000 });
      return /^Subject: kept across restarts/m.test(r.stdout ?? '') ? r.stdout : null;
    }, 60_000, 1_000);
    assert.match(pop, /hello/);
    assert.equal(await demo.stop(), 0);
    demo = null;
  } finally {
    // A failed assertion must not leave a demo (or anything it started) running.
    if (demo) await demo.stop();
    for (const p of seen) if (isAlive(p)) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    rmSync(cwd, { recursive: true, force: true });
  }
});
