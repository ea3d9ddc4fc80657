// `tandem mail domain ...` run as a real process against a volume from `mail init`;
// also the --data / $TANDEM_DATA contract shared by every account command.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeCliVolume, runTandem, assertCleanFailure, type CliVolume } from './cli-harness.ts';

interface DomainRow { name: string; catchall: string | null; users: number; aliases: number; lists: number }

let vol: CliVolume;
before(async () => { vol = await makeCliVolume(); });
after(() => vol.cleanup());

test('domain add, list, show and del manage domains and refuse to drop one still in use', async () => {
  assert.match(await vol.ok(['domain', 'add', 'Other.TEST.']), /^added domain other\.test$/m);
  await Promise.all([
    vol.fails(['domain', 'add', 'other.test'], /^tandem: domain other\.test already exists$/m),
    vol.fails(['domain', 'add', 'bad_domain'], /"bad_domain" is not a valid domain name/),
    vol.fails(['domain', 'show', 'nope.test'], /^tandem: domain nope\.test does not exist$/m),
    vol.fails(['domain', 'del', 'nope.test'], /domain nope\.test does not exist/),
    vol.ok(['alias', 'add', 'info@other.test', 'ops@example.org']),
  ]);

  const rows = await vol.json<DomainRow[]>(['domain', 'list']);
  assert.deepEqual(rows, [
    { name: 'demo.test', catchall: null, users: 0, aliases: 0, lists: 0 },
    { name: 'other.test', catchall: null, users: 0, aliases: 1, lists: 0 },
  ]);
  const [shown, text] = await Promise.all([vol.json<DomainRow & { primary: boolean }>(['domain', 'show', 'other.test']), vol.ok(['domain', 'list'])]);
  assert.equal(shown.primary, false);
  assert.equal(shown.aliases, 1);
  assert.match(text, /^NAME\s+CATCHALL\s+USERS\s+ALIASES\s+LISTS$/m);
  assert.match(text, /^other\.test\s+-\s+0\s+1\s+0$/m);

  await Promise.all([
    vol.fails(['domain', 'del', 'other.test'], /domain other\.test still has 0 users, 1 aliases and 0 lists; delete them first/),
    vol.fails(['domain', 'del', 'demo.test'], /demo\.test is the primary domain in cfg\/mail\.yaml/),
  ]);
  await vol.ok(['alias', 'del', 'info@other.test']);
  assert.match(await vol.ok(['domain', 'del', 'other.test']), /deleted domain other\.test/);
  assert.deepEqual((await vol.json<DomainRow[]>(['domain', 'list'])).map((d) => d.name), ['demo.test']);
  assert.match(await vol.ok(['domain', 'show', 'demo.test']), /^primary:\s+true$/m);
});

test('domain catchall routes unknown local parts to an existing address until --clear', async () => {
  await Promise.all([
    vol.fails(['domain', 'catchall', 'demo.test'], /give the catch-all ADDRESS, or --clear/),
    vol.fails(['domain', 'catchall', 'demo.test', 'x@example.org', '--clear'], /either an ADDRESS or --clear, not both/),
    vol.fails(['domain', 'catchall', 'demo.test', 'nobody@demo.test'], /catch-all target nobody@demo\.test does not exist/),
    vol.fails(['domain', 'catchall', 'demo.test', 'not-an-address'], /catch-all "not-an-address" is not a valid mail address/),
    vol.fails(['domain', 'catchall', 'nope.test', 'x@example.org'], /domain nope\.test does not exist/),
    vol.ok(['alias', 'add', 'catch@demo.test', 'ops@example.org']),
  ]);
  assert.match(await vol.ok(['domain', 'catchall', 'demo.test', 'Catch@Demo.test']), /mail to unknown addresses goes to catch@demo\.test/);
  assert.equal((await vol.json<DomainRow>(['domain', 'show', 'demo.test'])).catchall, 'catch@demo.test');
  await vol.withDirectory((d) => {
    assert.deepEqual(d.resolve('whoever@demo.test'), { kind: 'catchall', address: 'whoever@demo.test', target: 'catch@demo.test' });
  });
  // Deleting the target is allowed but warned about: that mail would now bounce.
  const del = await vol.run(['alias', 'del', 'catch@demo.test']);
  assert.equal(del.code, 0);
  assert.match(del.stderr, /warning: catch@demo\.test is still named by the catch-all of demo\.test/);

  assert.match(await vol.ok(['domain', 'catchall', 'demo.test', '--clear']), /catch-all removed/);
  assert.equal((await vol.json<DomainRow>(['domain', 'show', 'demo.test'])).catchall, null);
  await vol.withDirectory((d) => assert.equal(d.resolve('whoever@demo.test')?.kind, 'unknown-local'));
});

test('--data is required, $TANDEM_DATA is its default, and a directory that is not a volume is named', async () => {
  const missing = join(vol.data, '..', 'no-such-volume');
  const [noData, fromEnv, notVolume, help] = await Promise.all([
    runTandem(['mail', 'domain', 'list']),
    runTandem(['mail', 'domain', 'list', '--json'], { env: { TANDEM_DATA: vol.data } }),
    runTandem(['mail', 'user', 'list', '--data', missing]),
    runTandem(['mail', 'domain', '--help']),
  ]);
  assertCleanFailure(noData, /required option '--data <dir>' not specified/, 'no --data');
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.deepEqual((JSON.parse(fromEnv.stdout) as DomainRow[]).map((d) => d.name), ['demo.test']);
  assertCleanFailure(notVolume, /no-such-volume is not a Tandem volume \(no cfg\/mail\.yaml\)/, 'not a volume');
  assert.equal(existsSync(missing), false, 'a mistyped --data must not create anything');
  assert.equal(help.code, 0);
  for (const sub of ['add', 'del', 'list', 'show', 'catchall']) assert.match(help.stdout, new RegExp(`^\\s+${sub}\\b`, 'm'));
});
