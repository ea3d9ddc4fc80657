// `tandem mail alias ...` run as a real process against a volume from `mail init`.
// The tests share one volume and run in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeCliVolume, type CliVolume } from './cli-harness.ts';

interface AliasJson { address: string; targets: string[] }
interface AliasShow extends AliasJson { resolution: Array<{ target: string; kind: string }> }

let vol: CliVolume;
before(async () => {
  vol = await makeCliVolume();
  await Promise.all([vol.ok(['user', 'add', 'alice@demo.test'], 'wonderland\n'), vol.ok(['domain', 'add', 'other.test'])]);
});
after(() => vol.cleanup());

test('alias add forwards to local and remote targets; show says what each target is', async () => {
  const added = await vol.run(['alias', 'add', 'Postmaster@Demo.test', 'ALICE@demo.test', 'ops@Example.ORG', 'alice@demo.test', 'ghost@demo.test']);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /^added alias postmaster@demo\.test -> alice@demo\.test, ops@example\.org, ghost@demo\.test$/m);
  assert.match(added.stderr, /warning: target ghost@demo\.test is in a local domain but no user, alias or list has that address; mail to it will bounce/);
  await vol.ok(['alias', 'add', 'info@other.test', 'postmaster@demo.test']);

  const shown = await vol.json<AliasShow>(['alias', 'show', 'postmaster@demo.test']);
  assert.deepEqual(shown.targets, ['alice@demo.test', 'ghost@demo.test', 'ops@example.org']);
  assert.deepEqual(shown.resolution.map((r) => `${r.target}=${r.kind}`), ['alice@demo.test=user', 'ghost@demo.test=missing', 'ops@example.org=remote']);
  assert.match(await vol.ok(['alias', 'show', 'info@other.test']), /^targets: postmaster@demo\.test \(alias\)$/m);

  const [all, other, table] = await Promise.all([
    vol.json<AliasJson[]>(['alias', 'list']),
    vol.json<AliasJson[]>(['alias', 'list', '--domain', 'other.test']),
    vol.ok(['alias', 'list']),
  ]);
  assert.deepEqual(all.map((a) => a.address), ['info@other.test', 'postmaster@demo.test']);
  assert.deepEqual(other, [{ address: 'info@other.test', targets: ['postmaster@demo.test'] }]);
  assert.match(table, /^postmaster@demo\.test\s+alice@demo\.test,ghost@demo\.test,ops@example\.org$/m);

  await vol.withDirectory((d) => {
    assert.equal(d.resolve('postmaster@demo.test')?.kind, 'alias');
    assert.deepEqual(d.sendersFor(d.getUser('alice@demo.test')!), ['alice@demo.test', 'postmaster@demo.test']);
  });
});

test('alias commands refuse self-targets, bad targets, taken and foreign addresses with one clear line', async () => {
  await Promise.all([
    vol.fails(['alias', 'add', 'loop@demo.test', 'LOOP@demo.test'], /^tandem: alias loop@demo\.test cannot point to itself$/m),
    vol.fails(['alias', 'add', 'x@demo.test', 'alice@demo.test', 'not an address'], /target "not an address" is not a valid mail address/),
    vol.fails(['alias', 'add', 'alice@demo.test', 'ops@example.org'], /alice@demo\.test already exists as a user/),
    vol.fails(['alias', 'add', 'postmaster@demo.test', 'ops@example.org'], /postmaster@demo\.test already exists as an alias/),
    vol.fails(['alias', 'add', 'x@example.org', 'alice@demo.test'], /domain example\.org is not a local domain/),
    vol.fails(['alias', 'add', 'x@demo.test'], /missing required argument 'targets'/),
    vol.fails(['alias', 'show', 'nobody@demo.test'], /^tandem: alias nobody@demo\.test does not exist$/m),
    vol.fails(['alias', 'del', 'nobody@demo.test'], /alias nobody@demo\.test does not exist/),
    vol.fails(['alias', 'list', '--domain', 'nope.test'], /domain nope\.test is not a local domain/),
  ]);
  assert.equal((await vol.json<AliasJson[]>(['alias', 'list'])).length, 2, 'no failed command created an alias');
});

test('alias del removes the alias and warns when another alias still points to it', async () => {
  const del = await vol.run(['alias', 'del', 'postmaster@demo.test']);
  assert.equal(del.code, 0, del.stderr);
  assert.match(del.stdout, /^deleted alias postmaster@demo\.test$/m);
  assert.match(del.stderr, /warning: postmaster@demo\.test is still named by alias info@other\.test/);
  await vol.withDirectory((d) => {
    assert.equal(d.getAlias('postmaster@demo.test'), null);
    assert.deepEqual(d.sendersFor(d.getUser('alice@demo.test')!), ['alice@demo.test']);
  });
  assert.match(await vol.ok(['alias', 'show', 'info@other.test']), /postmaster@demo\.test \(missing\)/);
});
