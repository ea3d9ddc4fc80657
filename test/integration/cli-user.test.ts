// `tandem mail user ...` run as a real process: passwords only through stdin, logins
// checked with Directory.authenticate, quota usage read from a real Maildir. The tests
// share one volume and run in order, like the steps of a runbook.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deliverToMaildir } from '../../src/mail/storage/maildir.ts';
import { makeCliVolume, type CliVolume } from './cli-harness.ts';

interface UserJson { address: string; displayName: string; quotaBytes: number; enabled: boolean }
interface ShowJson extends UserJson {
  usage: { bytes: number; count: number }; maildir: string; maildirExists: boolean; sendsAs: string[]; lists: string[];
}

let vol: CliVolume;
before(async () => { vol = await makeCliVolume(); });
after(() => vol.cleanup());

const canLogin = (address: string, password: string) =>
  vol.withDirectory(async (d) => (await d.authenticate(address, password))?.address ?? null);

test('user add reads the password from stdin, and the new user can log in', async () => {
  const [alice, bob, carol] = await Promise.all([
    vol.ok(['user', 'add', 'Alice@Demo.test', '--name', 'Alice Liddell', '--quota', '500M'], 'wonderland\n'),
    vol.ok(['user', 'add', 'bob@demo.test', '--disabled', '--quota', 'unlimited'], 'builder\n'),
    vol.ok(['user', 'add', 'carol@demo.test', '--quota', '1048576'], 'c4rol pass\r\nignored second line\n'),
  ]);
  assert.match(alice, /^added user alice@demo\.test \(quota 500 MiB\)$/m);
  assert.match(bob, /added user bob@demo\.test \(quota unlimited, disabled\)/);
  assert.match(carol, /quota 1 MiB\)/);

  assert.equal(await canLogin('alice@demo.test', 'wonderland'), 'alice@demo.test');
  assert.equal(await canLogin('alice@demo.test', 'wonderland\n'), null);
  assert.equal(await canLogin('carol@demo.test', 'c4rol pass'), 'carol@demo.test', 'only the first line, without CR, is the password');
  assert.equal(await canLogin('bob@demo.test', 'builder'), null, 'a disabled user cannot log in');

  const users = await vol.json<UserJson[]>(['user', 'list']);
  assert.deepEqual(users.map((u) => [u.address, u.displayName, u.quotaBytes, u.enabled]), [
    ['alice@demo.test', 'Alice Liddell', 500 * 1024 * 1024, true],
    ['bob@demo.test', '', 0, false],
    ['carol@demo.test', '', 1048576, true],
  ]);
  const [table, filtered] = await Promise.all([
    vol.ok(['user', 'list']),
    vol.json<UserJson[]>(['user', 'list', '--domain', 'DEMO.test']),
    vol.fails(['user', 'list', '--domain', 'nope.test'], /domain nope\.test is not a local domain/),
  ]);
  assert.match(table, /^alice@demo\.test\s+Alice Liddell\s+500 MiB\s+enabled$/m);
  assert.match(table, /^bob@demo\.test\s+unlimited\s+disabled$/m);
  assert.equal(filtered.length, 3);
});

test('a password is never taken from the command line, and an empty stdin fails clearly', async () => {
  const [help] = await Promise.all([
    vol.ok(['user', 'add', '--help']),
    vol.fails(['user', 'add', 'dan@demo.test', '--password', 'secret'], /unknown option '--password'/),
    vol.fails(['user', 'add', 'dan@demo.test', 'secret'], /too many arguments|unknown command/i),
    vol.fails(['user', 'add', 'dan@demo.test'], /^tandem: no password on standard input/m, ''),
    vol.fails(['user', 'add', 'dan@demo.test'], /no password on standard input/, '\nsecret\n'),
    vol.fails(['user', 'passwd', 'alice@demo.test'], /no password on standard input/, ''),
  ]);
  assert.doesNotMatch(help, /password </);
  assert.match(help, /read from stdin/);
  assert.equal(await vol.withDirectory((d) => d.getUser('dan@demo.test')), null, 'nothing is created without a password');
  assert.equal(await canLogin('alice@demo.test', 'wonderland'), 'alice@demo.test', 'a failed passwd leaves the old password');
});

test('user passwd and user set change the password, name, quota and login permission', async () => {
  assert.match(await vol.ok(['user', 'passwd', 'alice@demo.test'], 'looking-glass\n'), /password changed for alice@demo\.test/);
  assert.equal(await canLogin('alice@demo.test', 'looking-glass'), 'alice@demo.test');
  assert.equal(await canLogin('alice@demo.test', 'wonderland'), null);

  await vol.ok(['user', 'set', 'alice@demo.test', '--quota', '2G', '--name', 'A. Liddell']);
  const shown = await vol.json<ShowJson>(['user', 'show', 'alice@demo.test']);
  assert.equal(shown.quotaBytes, 2 * 1024 ** 3);
  assert.equal(shown.displayName, 'A. Liddell');

  assert.match(await vol.ok(['user', 'set', 'alice@demo.test', '--disable']), /disabled$/m);
  assert.equal(await canLogin('alice@demo.test', 'looking-glass'), null);
  await vol.ok(['user', 'set', 'alice@demo.test', '--enable']);
  assert.equal(await canLogin('alice@demo.test', 'looking-glass'), 'alice@demo.test');

  await Promise.all([
    vol.fails(['user', 'set', 'alice@demo.test', '--enable', '--disable'], /'--enable' cannot be used with option '--disable'/),
    vol.fails(['user', 'set', 'alice@demo.test'], /nothing to change/),
    vol.fails(['user', 'set', 'alice@demo.test', '--quota', '12X'], /size "12X" is not understood/),
    vol.fails(['user', 'set', 'alice@demo.test', '--quota', '-5'], /size "-5" is not understood/),
    vol.fails(['user', 'set', 'alice@demo.test', '--name', 'two\nlines'], /must not contain control characters/),
  ]);
});

test('user commands fail with one clear line for bad, foreign, duplicate and unknown addresses', async () => {
  await vol.ok(['alias', 'add', 'sales@demo.test', 'alice@demo.test']);
  await Promise.all([
    vol.fails(['user', 'add', 'not-an-address'], /^tandem: address "not-an-address" is not a valid mail address \(expected local@domain\)$/m, 'x\n'),
    vol.fails(['user', 'add', 'x@elsewhere.test'], /domain elsewhere\.test is not a local domain; add it first with "tandem mail domain add elsewhere\.test"/, 'x\n'),
    vol.fails(['user', 'add', 'ALICE@demo.test'], /^tandem: alice@demo\.test already exists as a user$/m, 'x\n'),
    vol.fails(['user', 'add', 'sales@demo.test'], /sales@demo\.test already exists as an alias/, 'x\n'),
    vol.fails(['user', 'add', 'big@demo.test', '--quota', '1.5'], /a byte count must be a whole number/, 'x\n'),
    vol.fails(['user', 'show', 'nobody@demo.test'], /^tandem: user nobody@demo\.test does not exist$/m),
    vol.fails(['user', 'del', 'nobody@demo.test'], /user nobody@demo\.test does not exist/),
    vol.fails(['user', 'passwd', 'nobody@demo.test'], /user nobody@demo\.test does not exist/, 'x\n'),
    vol.fails(['user', 'set', 'nobody@demo.test', '--disable'], /user nobody@demo\.test does not exist/),
    vol.fails(['user', 'show', 'bad@@address'], /"bad@@address" is not a valid mail address/),
  ]);
});

test('user show reports quota usage and the addresses the user may send as', async () => {
  const maildir = vol.layout.maildir('demo.test', 'carol');
  const sizes = await Promise.all([deliverToMaildir(maildir, Buffer.from('Subject: one\r\n\r\nhello\r\n')),
    deliverToMaildir(maildir, Buffer.alloc(300 * 1024, 'x'))]).then((ms) => ms.map((m) => m.size));
  await Promise.all([
    vol.ok(['alias', 'add', 'postmaster@demo.test', 'carol@demo.test', 'ops@example.org']),
    vol.ok(['list', 'add', 'team@demo.test']).then(() => vol.ok(['list', 'member', 'add', 'team@demo.test', 'carol@demo.test'])),
  ]);
  const [shown, text] = await Promise.all([vol.json<ShowJson>(['user', 'show', 'carol@demo.test']), vol.ok(['user', 'show', 'carol@demo.test'])]);
  assert.deepEqual(shown.usage, { bytes: sizes[0]! + sizes[1]!, count: 2 });
  assert.equal(shown.maildir, maildir);
  assert.equal(shown.maildirExists, true);
  assert.deepEqual(shown.sendsAs, ['carol@demo.test', 'postmaster@demo.test']);
  assert.deepEqual(shown.lists, ['team@demo.test']);
  assert.match(text, /^usage:\s+300 KiB in 2 messages \(29% of 1 MiB\)$/m);
  assert.match(text, /^sends as:\s+carol@demo\.test, postmaster@demo\.test$/m);
  const bob = await vol.ok(['user', 'show', 'bob@demo.test']);
  assert.match(bob, /^usage:\s+no mailbox yet/m);
  assert.match(bob, /^status:\s+disabled/m);
});

test('user del keeps the Maildir and says where; --purge removes it, but never through a symlink', async () => {
  const maildir = vol.layout.maildir('demo.test', 'carol');
  const kept = await vol.run(['user', 'del', 'carol@demo.test']);
  assert.equal(kept.code, 0, kept.stderr);
  assert.match(kept.stdout, new RegExp(`its mailbox is kept at ${maildir.replace(/[.]/g, '\\.')}`));
  assert.match(kept.stderr, /warning: carol@demo\.test is still named by alias postmaster@demo\.test, list team@demo\.test/);
  assert.equal(existsSync(join(maildir, 'new')), true);
  assert.equal(await canLogin('carol@demo.test', 'c4rol pass'), null);

  // Re-creating the address warns that the old mail comes back with it.
  const again = await vol.run(['user', 'add', 'carol@demo.test'], 'new carol\n');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /warning: .*carol already exists \(left by an earlier account/);
  assert.match(await vol.ok(['user', 'del', 'carol@demo.test', '--purge']), /deleted user carol@demo\.test and removed its mailbox/);
  assert.equal(existsSync(maildir), false);

  // A Maildir replaced by a symlink is refused before anything changes.
  const outside = join(vol.data, '..', 'precious');
  mkdirSync(join(outside, 'new'), { recursive: true });
  await vol.ok(['user', 'add', 'eve@demo.test'], 'eve\n');
  mkdirSync(join(vol.layout.mailDir, 'demo.test'), { recursive: true });
  symlinkSync(outside, vol.layout.maildir('demo.test', 'eve'));
  await vol.fails(['user', 'del', 'eve@demo.test', '--purge'], /refusing to remove .*eve: it is not a directory \(a symlink\?\); nothing was changed/);
  assert.equal(existsSync(join(outside, 'new')), true);
  assert.notEqual(await vol.withDirectory((d) => d.getUser('eve@demo.test')), null, 'the user stays when the purge is refused');
  assert.match(await vol.ok(['user', 'del', 'bob@demo.test', '--purge']), /deleted user bob@demo\.test \(it had no mailbox on disk\)/);
});

test('user add without --quota takes delivery.defaultQuotaBytes, and a broken cfg/mail.yaml is named', async () => {
  const settingsFile = vol.layout.settingsFile;
  const original = readFileSync(settingsFile, 'utf8');
  try {
    appendFileSync(settingsFile, 'delivery:\n  defaultQuotaBytes: 1048576\n');
    assert.match(await vol.ok(['user', 'add', 'frank@demo.test'], 'frank\n'), /added user frank@demo\.test \(quota 1 MiB\)/);
    writeFileSync(settingsFile, `${original}queue:\n  concurrency: lots\n`);
    await vol.fails(['user', 'list'], /cfg\/mail\.yaml: invalid settings:\n {2}queue\.concurrency: /);
  } finally {
    writeFileSync(settingsFile, original);
  }
  assert.equal((await vol.json<ShowJson>(['user', 'show', 'frank@demo.test'])).quotaBytes, 1048576);
});
