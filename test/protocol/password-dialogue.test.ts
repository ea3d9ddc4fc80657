// The poppassd service with a raw socket client and a Python client that talks like
// Roundcube's poppassd driver: the whole dialogue, wrong passwords, the policy,
// out-of-order commands, throttling, cleartext refusal and implicit TLS; and a change
// that survives SIGKILL right after its 200 (durable before the reply).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { makeTestVolume, type TestVolume } from '../helpers/volume.ts';
import { startServiceProcess } from '../helpers/process.ts';
import { RawClient } from './pop3-helpers.ts';
import type { SettingsInput } from '../../src/mail/core/settings.ts';
import { loadSettings, loadTls } from '../../src/mail/core/volume.ts';
import { Directory } from '../../src/mail/directory/directory.ts';
import { startPasswordService, type PasswordService } from '../../src/mail/password/service.ts';

const ONLY_PASSWORD = {
  address: '127.0.0.1', smtp: { port: null }, submission: { port: null }, submissions: { port: null },
  pop3: { port: null }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null },
  http: { port: null }, https: { port: null }, ldap: { port: null }, ldaps: { port: null }, password: { port: 0 },
};

async function withService(settings: Partial<SettingsInput>, fn: (port: number, vol: TestVolume) => Promise<void>): Promise<void> {
  const vol = await makeTestVolume({ listen: ONLY_PASSWORD, ...settings });
  const loaded = await loadSettings(vol.layout);
  const service: PasswordService = await startPasswordService({
    layout: vol.layout, settings: loaded, directory: vol.directory, tls: await loadTls(vol.layout, loaded),
    log: pino({ level: process.env.TANDEM_TEST_LOG ?? 'silent' }),
  });
  try {
    await fn(service.port!, vol);
  } finally {
    await service.close();
    vol.cleanup();
  }
}

test('the whole dialogue changes the password; the old one stops working', async () => {
  await withService({}, async (port, vol) => {
    const c = await RawClient.open(port);
    assert.equal(await c.line(), '200 mail.demo.test poppassd (Tandem) hello, who are you?');
    assert.equal(await c.cmd('user alice@demo.test'), '200 Your password please.');
    assert.equal(await c.cmd('pass wonderland'), '200 Your new password please.');
    assert.equal(await c.cmd('newpass through the looking glass'), '200 Password changed, thank-you.');
    assert.equal(await c.cmd('quit'), '200 Bye.');
    assert.equal(await c.line(), null, 'closed after quit');
    assert.ok(await vol.directory.authenticate('alice@demo.test', 'through the looking glass'));
    assert.equal(await vol.directory.authenticate('alice@demo.test', 'wonderland'), null);
  });
});

test('a wrong old password gets 500 and the connection closes; the password is unchanged', async () => {
  await withService({}, async (port, vol) => {
    const c = await RawClient.open(port);
    await c.line();
    assert.equal(await c.cmd('user bob@demo.test'), '200 Your password please.');
    assert.equal(await c.cmd('pass wrong'), '500 Old password is incorrect.');
    assert.equal(await c.line(), null);
    assert.ok(await vol.directory.authenticate('bob@demo.test', 'builder'));
  });
});

test('the policy refuses weak passwords with a reason; another newpass on the same connection works', async () => {
  await withService({}, async (port, vol) => {
    const c = await RawClient.open(port);
    await c.line();
    await c.cmd('user alice@demo.test');
    await c.cmd('pass wonderland');
    assert.equal(await c.cmd('newpass short'), '500 New password must be at least 10 characters long (it has 5).');
    assert.equal(await c.cmd('newpass wonderland'), '500 New password must differ from the current password.');
    assert.equal(await c.cmd('newpass password123'), '500 New password is one of the most common passwords; choose another.');
    assert.equal(await c.cmd('newpass alice-secret-1'), '500 New password must not contain your user name "alice".');
    assert.equal(await c.cmd('newpass rabbit hole 42'), '200 Password changed, thank-you.');
    assert.ok(await vol.directory.authenticate('alice@demo.test', 'rabbit hole 42'));
  });
});

test('commands out of order get the classic 500 replies, and too many bad ones close', async () => {
  await withService({}, async (port) => {
    const c = await RawClient.open(port);
    await c.line();
    assert.equal(await c.cmd('pass wonderland'), '500 Username expected.');
    assert.equal(await c.cmd('newpass anything-at-all'), '500 Username expected.');
    assert.equal(await c.cmd('user alice@demo.test'), '200 Your password please.');
    assert.equal(await c.cmd('user bob@demo.test'), '500 Password expected.');
    assert.equal(await c.cmd('GET / HTTP/1.1'), '500 Password expected.');
    assert.equal(await c.cmd('HELP'), '500 Password expected.');
    assert.equal(await c.cmd('NOOP'), '500 Too many bad commands; closing.');
    assert.equal(await c.line(), null);
  });
});

test('failed attempts are throttled per user: the right password is refused until the window passes', async () => {
  await withService({ auth: { allowPlaintextOnLoopback: true, maxFailuresPerUser: 2, maxFailuresPerIp: 50, failureWindowSeconds: 300 } }, async (port) => {
    for (let i = 0; i < 2; i++) {
      const c = await RawClient.open(port);
      await c.line();
      await c.cmd('user bob@demo.test');
      assert.equal(await c.cmd(`pass guess${i}`), '500 Old password is incorrect.');
    }
    const c = await RawClient.open(port);
    await c.line();
    await c.cmd('user bob@demo.test');
    assert.match(await c.cmd('pass builder'), /^500 Too many failed attempts for this user; try again in \d+ seconds\.$/);
    assert.equal(await c.line(), null);
  });
});

test('a cleartext client outside password.plaintextNetworks is refused before it can send a password', async () => {
  await withService({ password: { plaintextNetworks: ['192.0.2.0/24'] } }, async (port) => {
    const c = await RawClient.open(port);
    assert.equal(await c.line(), '500 Cleartext password changes are not accepted from 127.0.0.1; use the webmail or a TLS connection.');
    assert.equal(await c.line(), null);
  });
});

test('with password.implicitTls the same dialogue runs inside TLS', async () => {
  await withService({ password: { implicitTls: true, plaintextNetworks: [] } }, async (port, vol) => {
    const c = await RawClient.open(port, { tls: true });
    assert.match((await c.line())!, /^200 /);
    await c.cmd('user bob@demo.test');
    await c.cmd('pass builder');
    assert.equal(await c.cmd('newpass can-we-fix-it-yes'), '200 Password changed, thank-you.');
    assert.ok(await vol.directory.authenticate('bob@demo.test', 'can-we-fix-it-yes'));
  });
});

const PYTHON_CLIENT = `
import socket, sys
# Talks like Roundcube's poppassd driver: 2xx greeting, user and pass accept 2xx/3xx,
# newpass needs 2xx, the text after the code is the message for the user.
def change(port, user, old, new):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    f = s.makefile("rwb")
    def line():
        return f.readline().decode().rstrip("\\r\\n")
    def send(t):
        f.write((t + "\\r\\n").encode()); f.flush()
    try:
        r = line()
        if not r[:1] == "2": return "ERROR " + r[4:]
        for cmd, ok in (("user " + user, "23"), ("pass " + old, "23"), ("newpass " + new, "2")):
            send(cmd); r = line()
            if r[:1] not in ok: return "ERROR " + r[4:]
        return "SUCCESS"
    finally:
        s.close()
port = int(sys.argv[1])
print(change(port, "alice@demo.test", "wonderland", "down the rabbit hole"))
print(change(port, "alice@demo.test", "wonderland", "anything goes here"))
print(change(port, "alice@demo.test", "down the rabbit hole", "abc"))
`;

test('a Python client speaking like Roundcube changes the password and shows the server texts', async () => {
  await withService({}, async (port) => {
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn('python3', ['-c', PYTHON_CLIENT, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let o = '';
      let e = '';
      p.stdout.on('data', (d: Buffer) => { o += d.toString(); });
      p.stderr.on('data', (d: Buffer) => { e += d.toString(); });
      const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error('python client hung')); }, 60_000);
      p.on('close', (code) => { clearTimeout(t); if (code === 0) resolve(o); else reject(new Error(`python exited ${code}: ${e}`)); });
    });
    assert.deepEqual(out.trim().split('\n'), [
      'SUCCESS',
      'ERROR Old password is incorrect.',
      'ERROR New password must be at least 10 characters long (it has 3).',
    ]);
  });
});

test('a change acknowledged with 200 survives SIGKILL of the service right after', async () => {
  const vol = await makeTestVolume({ listen: ONLY_PASSWORD });
  vol.directory.close();
  const svc = await startServiceProcess('password', vol.root);
  try {
    const c = await RawClient.open(svc.port());
    await c.line();
    await c.cmd('user bob@demo.test');
    await c.cmd('pass builder');
    assert.equal(await c.cmd('newpass a-durable-password'), '200 Password changed, thank-you.');
    await svc.kill('SIGKILL');
    const dir = Directory.open(vol.layout.accountsDb);
    try {
      assert.ok(await dir.authenticate('bob@demo.test', 'a-durable-password'));
    } finally {
      dir.close();
    }
  } finally {
    await svc.kill('SIGKILL');
    vol.cleanup();
  }
});
