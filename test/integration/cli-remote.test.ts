// Mail admin from anywhere (S13): `tandem mail ...` on a "client" with no volume (HOME
// holds ~/.config/tandem/admin.yaml with the URL, a token file and the CA) goes through
// the admin API of `tandem mail serve http` listening with TLS on a loopback address (the
// VIP here). Each change is checked where it lands: the local CLI on the volume sees it,
// and a new user logs in over POP3 (curl) served from the same volume. Then the failures
// an operator meets: a bad token, the wrong CA, nothing listening, a server that never
// answers, and no target at all; each is one clear line with its own exit code.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { makeTestVolume, type TestVolume } from '../helpers/volume.ts';
import { startServiceProcess, TANDEM_BIN, type ServiceProcess } from '../helpers/process.ts';
import { enqueueMessage, readEntry } from '../../src/mail/queue/spool.ts';

interface Run { code: number; stdout: string; stderr: string }

let vol: TestVolume;
let http: ServiceProcess;
let pop3: ServiceProcess;
let tmp: string;
let clientHome: string;
let url: string;
let token: string;
let caFile: string;

/**
 * Runs the CLI as a separate process with a clean environment: nothing of the test
 * runner's TANDEM_* variables, HOME set to the given directory.
 */
function tandem(args: string[], opts: { input?: string; home?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TANDEM_') && k !== 'XDG_CONFIG_HOME'));
  Object.assign(env, { HOME: opts.home ?? clientHome, TANDEM_LOG_LEVEL: 'silent' }, opts.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TANDEM_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }); });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** The client: no --data, only the config in its HOME. */
const remote = (args: string[], input?: string) => tandem(['mail', ...args], { input });
/** The node where the volume is mounted. */
const local = (args: string[], input?: string) => tandem(['mail', ...args, '--data', vol.root], { input });

async function ok(r: Promise<Run>, what: string): Promise<string> {
  const out = await r;
  assert.equal(out.code, 0, `${what}: exit ${out.code}; stderr: ${out.stderr}`);
  return out.stdout;
}

/** One clear line on stderr, the expected exit code, nothing on stdout, no stack trace. */
function assertFails(r: Run, code: number, message: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: exit code ${code} expected, got ${r.code}; stderr: ${r.stderr}`);
  assert.match(r.stderr, message, `${what}: stderr`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${what}: no stack trace`);
  assert.equal(r.stdout, '', `${what}: nothing on stdout`);
}

/** POP3 login with curl: exit 0 when the password is accepted, 67 when refused. */
function pop3Login(address: string, password: string): Promise<number> {
  return new Promise((resolve) => {
    execFile('curl', ['-s', '--max-time', '20', `pop3://127.0.0.1:${pop3.port(0)}/`, '--user', `${address}:${password}`], (err) => {
      resolve(err ? Number((err as { code?: number }).code ?? 1) : 0);
    });
  });
}

async function selfSigned(name: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keySize: 2048, days: 2, algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: name }, { type: 7, ip: '127.0.0.1' }] }],
  } as never);
  return { cert: pems.cert, key: pems.private };
}

before(async () => {
  vol = await makeTestVolume({
    listen: {
      address: '127.0.0.1', smtp: { port: null }, submission: { port: null }, submissions: { port: null },
      pop3: { port: 0 }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null },
      http: { port: null }, https: { port: 0 }, ldap: { port: null }, ldaps: { port: null }, password: { port: null },
    },
  });
  // The http service's certificate, made here: the client trusts exactly this one.
  const served = await selfSigned('mail.demo.test');
  writeFileSync(vol.layout.cfgPath('tls/cert.pem'), served.cert);
  writeFileSync(vol.layout.cfgPath('tls/key.pem'), served.key);
  [http, pop3] = await Promise.all([startServiceProcess('http', vol.root, { timeoutMs: 60_000 }), startServiceProcess('pop3', vol.root, { timeoutMs: 60_000 })]);
  url = `https://127.0.0.1:${http.port(0)}`;
  // An admin token, made the documented way: the local CLI on the node with the volume.
  token = (await ok(local(['admin', 'token', 'create', 'remote admin test']), 'token create')).trim();
  assert.match(token, /^tdm_[0-9a-f]{16}_/);

  tmp = mkdtempSync(join(tmpdir(), 'tandem-remote-'));
  clientHome = join(tmp, 'home');
  const cfgDir = join(clientHome, '.config', 'tandem');
  mkdirSync(cfgDir, { recursive: true });
  caFile = join(cfgDir, 'mail-ca.pem');
  writeFileSync(caFile, served.cert);
  writeFileSync(join(cfgDir, 'admin.token'), `${token}\n`, { mode: 0o600 });
  writeFileSync(join(cfgDir, 'admin.yaml'), `url: ${url}\ntokenFile: admin.token\nca: mail-ca.pem\ntimeoutSeconds: 30\n`);
  chmodSync(join(cfgDir, 'admin.yaml'), 0o600);
});

after(async () => {
  await Promise.all([http?.kill(), pop3?.kill()]);
  vol?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// The four tests touch different accounts, so they run side by side: each CLI run is a
// process, and on a loaded machine one after the other they would take minutes.
describe('tandem mail ... through the VIP', { concurrency: 4 }, () => {
  test('from a client with only admin.yaml: domains, users, aliases, lists and the queue are managed through the VIP, and every change is real', async () => {
    // domains
    assert.match(await ok(remote(['domain', 'add', 'Remote.test']), 'domain add'), /^added domain remote\.test$/m);
    assert.match(await ok(remote(['domain', 'list']), 'domain list'), /^remote\.test\s+-\s+0\s+0\s+0$/m);
    const domains = JSON.parse(await ok(local(['domain', 'list', '--json']), 'local domain list')) as Array<{ name: string }>;
    assert.ok(domains.some((d) => d.name === 'remote.test'), 'the local CLI on the volume sees the new domain');

    // users: add (password on stdin), list, passwd, login over POP3, del
    const added = await ok(remote(['user', 'add', 'erin@remote.test', '--name', 'Erin', '--quota', '2G'], 'first-long-secret\n'), 'user add');
    assert.match(added, /^added user erin@remote\.test \(quota 2 GiB\)$/m);
    assert.match(await ok(remote(['user', 'list', '--domain', 'remote.test']), 'user list'), /^erin@remote\.test\s+Erin\s+2 GiB\s+enabled$/m);
    assert.equal(vol.directory.getUser('erin@remote.test')?.quotaBytes, 2 * 1024 ** 3, 'the volume has the user');
    assert.equal(await pop3Login('erin@remote.test', 'first-long-secret'), 0, 'the new user logs in over POP3');
    assert.match(await ok(remote(['user', 'passwd', 'erin@remote.test'], 'second-long-secret\n'), 'user passwd'), /^password changed for erin@remote\.test$/m);
    assert.equal(await pop3Login('erin@remote.test', 'second-long-secret'), 0, 'the new password works');
    assert.equal(await pop3Login('erin@remote.test', 'first-long-secret'), 67, 'the old password is refused');
    assert.match(await ok(remote(['user', 'set', 'erin@remote.test', '--disable']), 'user set'), /disabled$/m);
    assert.equal(await pop3Login('erin@remote.test', 'second-long-secret'), 67, 'a disabled user cannot log in');

    // aliases, with the same warning as on the volume
    const alias = await remote(['alias', 'add', 'sales@remote.test', 'erin@remote.test', 'ghost@remote.test']);
    assert.equal(alias.code, 0, alias.stderr);
    assert.match(alias.stdout, /^added alias sales@remote\.test -> erin@remote\.test, ghost@remote\.test$/m);
    assert.match(alias.stderr, /^tandem: warning: target ghost@remote\.test is in a local domain but no user, alias or list has that address; mail to it will bounce$/m);
    assert.deepEqual(vol.directory.getAlias('sales@remote.test')?.targets, ['erin@remote.test', 'ghost@remote.test']);

    // lists
    assert.match(await ok(remote(['list', 'add', 'team@remote.test', '--description', 'the team', '--posting', 'anyone']), 'list add'), /^added list team@remote\.test \(posting: anyone, reply-to: sender\)$/m);
    assert.match(await ok(remote(['list', 'member', 'add', 'team@remote.test', 'erin@remote.test', '--moderator']), 'member add'), /^added erin@remote\.test to team@remote\.test as moderator$/m);
    assert.deepEqual(vol.directory.getList('team@remote.test')?.members, [{ address: 'erin@remote.test', role: 'moderator' }]);

    // deleting a user that is still named: the same warning as locally, and the Maildir is named
    const del = await remote(['user', 'del', 'erin@remote.test']);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /^deleted user erin@remote\.test \(it had no mailbox on disk\)$/m);
    assert.match(del.stderr, /warning: erin@remote\.test is still named by alias sales@remote\.test, list team@remote\.test/);
    assert.equal(vol.directory.getUser('erin@remote.test'), null);

    // the queue
    const entry = await enqueueMessage(vol.layout.queueDir, {
      sender: 'alice@demo.test', recipients: ['someone@elsewhere.example'],
      data: Buffer.from('From: alice@demo.test\r\nTo: someone@elsewhere.example\r\nSubject: waiting\r\n\r\nbody\r\n'),
    });
    assert.match(await ok(remote(['queue', 'list']), 'queue list'), new RegExp(`^${entry.id}\\s+\\S+\\s+alice@demo\\.test\\s+1\\s+0\\s+`, 'm'));
    assert.match(await ok(remote(['queue', 'delete', entry.id]), 'queue delete'), new RegExp(`^deleted ${entry.id}$`, 'm'));
    assert.equal(await readEntry(vol.layout.queueDir, entry.id), null, 'the entry is gone from the volume');
  });

  test('the output and the errors are the same through the VIP as on the volume', async () => {
    vol.directory.addAlias('info@demo.test', ['alice@demo.test', 'bob@demo.test', 'gone@demo.test']);
    vol.directory.addList({ address: 'crew@demo.test', posting: 'moderators' });
    const entry = await enqueueMessage(vol.layout.queueDir, {
      sender: 'bob@demo.test', recipients: ['x@elsewhere.example', 'y@elsewhere.example'],
      data: Buffer.from('From: bob@demo.test\r\nSubject: same\r\n\r\nbody\r\n'),
    });
    const commands = [
      ['domain', 'show', 'demo.test', '--json'], ['user', 'show', 'alice@demo.test'], ['alias', 'show', 'info@demo.test'], ['queue', 'show', entry.id, '--json'],
      // failures: not found (domain), refused in the current state (primary domain)
      ['user', 'add', 'x@nowhere.test'], ['domain', 'del', 'demo.test'],
    ];
    // Read-only or refused commands: safe to run side by side, a few at a time (each CLI run is a process).
    const compare = async (cmd: string[]) => {
      const [here, there] = await Promise.all([local(cmd, 'x\n'), remote(cmd, 'x\n')]);
      assert.deepEqual({ code: there.code, stdout: there.stdout, stderr: there.stderr }, { code: here.code, stdout: here.stdout, stderr: here.stderr }, `tandem mail ${cmd.join(' ')}`);
      assert.doesNotMatch(there.stderr, /internal error|\n\s+at /, `${cmd.join(' ')}: no stack trace`);
    };
    const queue = [...commands];
    await Promise.all([1, 2].map(async () => { for (let cmd = queue.shift(); cmd; cmd = queue.shift()) await compare(cmd); }));
    // A change with a warning (the moderated list has no moderator), once each way.
    const [setHere, setThere] = [await local(['list', 'set', 'crew@demo.test', '--description', 'the crew']), await remote(['list', 'set', 'crew@demo.test', '--description', 'the crew'])];
    assert.deepEqual(setThere, setHere);
    assert.match(setThere.stderr, /warning: list crew@demo\.test has posting "moderators" but no moderator yet/);
    const weak = await remote(['user', 'add', 'weak@demo.test'], 'short\n');
    assertFails(weak, 1, /^tandem: the password must be at least \d+ characters long/m, 'a weak password through the API');
  });

  test('a bad token, the wrong CA, nothing listening and a server that never answers are each one clear line', async () => {
    const badToken = await tandem(['mail', 'domain', 'list'], { env: { TANDEM_ADMIN_TOKEN: `tdm_0123456789abcdef_${'A'.repeat(43)}` } });
    assertFails(badToken, 4, /^tandem: https:\/\/127\.0\.0\.1:\d+ refused the admin token: invalid or revoked token$/m, 'bad token');

    const other = await selfSigned('mail.demo.test');
    const wrongCa = join(tmp, 'other-ca.pem');
    writeFileSync(wrongCa, other.cert);
    const tls = await tandem(['mail', 'user', 'list', '--ca', wrongCa]);
    assertFails(tls, 3, /^tandem: TLS: the certificate of 127\.0\.0\.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\); give the http service's certificate with --ca FILE/m, 'wrong CA');

    // Nothing listens on a port the OS just gave and took back.
    const closed = await new Promise<number>((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
    const refused = await tandem(['mail', 'domain', 'list', '--remote', `https://127.0.0.1:${closed}`]);
    assertFails(refused, 3, /^tandem: cannot reach the admin API at https:\/\/127\.0\.0\.1:\d+: connection refused/m, 'connection refused');

    // A server that accepts and then says nothing (a VIP in the middle of a takeover): bounded by the timeout.
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => { sockets.push(s); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const hung = await tandem(['mail', 'user', 'list', '--remote', `https://127.0.0.1:${port}`], { env: { TANDEM_ADMIN_TIMEOUT: '2' } });
      assertFails(hung, 3, /^tandem: no answer from the admin API at https:\/\/127\.0\.0\.1:\d+ within 2 s/m, 'silent server');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  test('choosing the target: a standby\'s empty $TANDEM_DATA goes remote, no target names both ways, a token in argv is warned about, init stays local', async () => {
    // A standby node: $TANDEM_DATA set by the unit file, the volume not mounted here.
    const standby = await tandem(['mail', 'domain', 'list', '--json'], { env: { TANDEM_DATA: join(tmp, 'not-mounted') } });
    assert.equal(standby.code, 0, standby.stderr);
    assert.ok((JSON.parse(standby.stdout) as Array<{ name: string }>).some((d) => d.name === 'demo.test'));

    // The other choices and setup mistakes are unit-tested in src/cli/remote/target.test.ts.
    const nothing = await tandem(['mail', 'user', 'list'], { home: tmp });
    assertFails(nothing, 1, /--data DIR on the node where the volume is mounted, or go through the VIP with --remote https:\/\/HOST/, 'no target');
    const inArgv = await tandem(['mail', 'domain', 'list', '--remote', url, '--token', token, '--ca', caFile], { home: tmp });
    assert.equal(inArgv.code, 0, inArgv.stderr);
    assert.match(inArgv.stderr, /warning: a token on the command line is visible to every user of this host \(ps\)/);
    const init = await tandem(['mail', 'init', '--remote', url, '--data', join(tmp, 'v'), '--hostname', 'h.test', '--domain', 'h.test']);
    assertFails(init, 2, /"tandem mail init" creates a volume on this host; it has no remote mode/, 'init is local');
  });
});
