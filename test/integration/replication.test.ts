// Account replication (S7) with real processes: a master's `replication` service serves
// the feed, a slave's follows it; accounts made with the CLI on the master reach the
// slave within seconds, the slave keeps logging users in while the master is down, and
// catches up when it is back. Plus the feed's access rules over real HTTPS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTestVolume, type TestVolume } from '../helpers/volume.ts';
import { startServiceProcess, runTandem, type ServiceProcess } from '../helpers/process.ts';
import { startFeedServer } from '../../src/mail/replication/feed-server.ts';
import { createToken } from '../../src/mail/replication/tokens.ts';
import { parseCidr } from '../../src/lib/cidr.ts';
import { loadTls } from '../../src/mail/core/volume.ts';
import { logger } from '../../src/lib/log.ts';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until<T>(what: string, fn: () => T | null | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('a slave follows the master live, survives its outage, and refuses local account changes', { timeout: 120_000 }, async () => {
  const feedPort = await freePort();
  const master = await makeTestVolume({ accounts: { role: 'master', system: 'tokyo', feedPort, accessNet: ['127.0.0.0/8'] } });
  let slave: TestVolume | null = null;
  const procs: ServiceProcess[] = [];
  try {
    const made = runTandem(['mail', 'replication', 'token', 'create', 'osaka', '--data', master.root]);
    assert.equal(made.code, 0, made.stderr);
    const token = made.stdout.trim();
    const fingerprint = /fingerprint[^:]*: ([0-9A-F:]+)/.exec(made.stderr)?.[1];
    assert.ok(fingerprint, `fingerprint printed: ${made.stderr}`);

    let masterProc = await startServiceProcess('replication', master.root);
    procs.push(masterProc);
    slave = await makeTestVolume({ accounts: { role: 'slave', system: 'osaka', master: { url: `https://127.0.0.1:${feedPort}`, tokenFile: 'replication.token', fingerprint, waitSeconds: 5 } } });
    writeFileSync(join(slave.layout.cfgDir, 'replication.token'), `${token}\n`);
    procs.push(await startServiceProcess('replication', slave.root));
    const s = slave;

    const add = runTandem(['mail', 'user', 'add', 'carol@demo.test', '--data', master.root], { input: 'carol-secret-1\n' });
    assert.equal(add.code, 0, add.stderr);
    await until('carol on the slave', () => s.directory.getUser('carol@demo.test'));
    assert.ok(await s.directory.authenticate('carol@demo.test', 'carol-secret-1'), 'the slave logs carol in with her master password');
    assert.equal(s.directory.getUser('carol@demo.test')?.home, 'tokyo');

    const refused = runTandem(['mail', 'user', 'add', 'dave@demo.test', '--data', s.root], { input: 'dave-secret-12\n' });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /replication slave: accounts are managed on the master \(https:\/\/127\.0\.0\.1:\d+\)/);

    // Master down: the slave keeps serving logins and reports the failure.
    await masterProc.kill('SIGKILL');
    const statusFile = join(s.layout.runDir, 'replication-status.json');
    await until('the follower to report the outage', () => {
      try { return (JSON.parse(readFileSync(statusFile, 'utf8')) as { lastError: string | null }).lastError; } catch { return null; }
    });
    assert.ok(await s.directory.authenticate('carol@demo.test', 'carol-secret-1'), 'logins work while the master is down');
    const del = runTandem(['mail', 'user', 'del', 'bob@demo.test', '--data', master.root]);
    assert.equal(del.code, 0, del.stderr);
    const erin = runTandem(['mail', 'user', 'add', 'erin@demo.test', '--data', master.root], { input: 'erin-secret-12\n' });
    assert.equal(erin.code, 0, erin.stderr);

    masterProc = await startServiceProcess('replication', master.root);
    procs.push(masterProc);
    await until('erin on the slave after the master is back', () => s.directory.getUser('erin@demo.test'), 40_000);
    await until('bob deleted on the slave', () => s.directory.getUser('bob@demo.test') === null);
    const status = runTandem(['mail', 'replication', 'status', '--data', s.root, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const st = JSON.parse(status.stdout) as { role: string; appliedVersion: number; follower: { lastError: string | null } };
    assert.equal(st.role, 'slave');
    assert.ok(st.appliedVersion > 0);
  } finally {
    for (const p of procs) await p.kill('SIGKILL');
    master.cleanup();
    slave?.cleanup();
  }
});

function get(port: number, path: string, token: string | null): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the feed needs an address inside accessNet AND a valid token', async () => {
  const vol = await makeTestVolume({ accounts: { role: 'master', feedPort: 0 } });
  const tls = await loadTls(vol.layout, (await import('../../src/mail/core/volume.ts').then((m) => m.openVolume(vol.root))).settings);
  const token = createToken(vol.directory.database, 'osaka');
  const log = logger('test').child({}, { level: 'silent' });
  const open = await startFeedServer({ db: vol.directory.database, system: 'tokyo', accessNet: [parseCidr('127.0.0.1/32')], tls, host: '127.0.0.1', port: 0, log });
  const closed = await startFeedServer({ db: vol.directory.database, system: 'tokyo', accessNet: [parseCidr('198.18.0.10/32')], tls, host: '127.0.0.1', port: 0, log });
  const portOf = (a: string): number => Number(a.slice(a.lastIndexOf(':') + 1));
  try {
    const ok = await get(portOf(open.address), '/replication/v1/changes?since=0', token);
    assert.equal(ok.status, 200, ok.body);
    const b = JSON.parse(ok.body) as { full: boolean; changes: Array<{ entity: string; key: string }> };
    assert.equal(b.full, true, 'a slave without a database id gets a full snapshot');
    assert.ok(b.changes.some((c) => c.entity === 'user' && c.key === 'alice@demo.test'));

    assert.equal((await get(portOf(open.address), '/replication/v1/changes?since=0', null)).status, 401);
    assert.equal((await get(portOf(open.address), '/replication/v1/changes?since=0', 'osaka.wrong')).status, 401);
    assert.equal((await get(portOf(open.address), '/replication/v1/changes?since=-1', token)).status, 400);
    assert.equal((await get(portOf(open.address), '/other', token)).status, 404);
    const outside = await get(portOf(closed.address), '/replication/v1/changes?since=0', token);
    assert.equal(outside.status, 403, 'a valid token from outside accessNet is refused');
    assert.match(outside.body, /accessNet/);
    // Guessing tokens gets throttled.
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await get(portOf(open.address), '/replication/v1/changes', `osaka.guess${i}`)).status;
    assert.equal(last, 429);
  } finally {
    await open.close();
    await closed.close();
    vol.cleanup();
  }
});

test('on a standalone system the replication service idles until told to stop', async () => {
  const vol = await makeTestVolume();
  const proc = await startServiceProcess('replication', vol.root);
  try {
    assert.match(proc.stderr(), /accounts role is standalone: nothing to replicate/);
    // It has no listener and no timer of its own: it must still be there a while later.
    await sleep(1500);
    assert.equal(proc.proc.exitCode, null, `still running; stderr:\n${proc.stderr()}`);
    const exited = new Promise<number | null>((resolve) => proc.proc.once('exit', (code) => resolve(code)));
    proc.proc.kill('SIGTERM');
    assert.equal(await exited, 0, 'a clean stop on SIGTERM');
  } finally {
    await proc.kill('SIGKILL');
    vol.cleanup();
  }
});
