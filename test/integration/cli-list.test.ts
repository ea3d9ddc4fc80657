// `tandem mail list ...` and `list member ...` run as a real process against a volume
// from `mail init`. The tests share one volume and run in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { MailingList } from '../../src/mail/directory/directory.ts';
import { makeCliVolume, type CliVolume } from './cli-harness.ts';

let vol: CliVolume;
before(async () => {
  vol = await makeCliVolume();
  await vol.ok(['user', 'add', 'alice@demo.test'], 'wonderland\n');
});
after(() => vol.cleanup());

test('list add applies the default policies, list set changes them, list list and show report them', async () => {
  const [team, mods] = await Promise.all([
    vol.run(['list', 'add', 'Team@demo.test', '--description', 'Everyone on the team']),
    vol.run(['list', 'add', 'announce@demo.test', '--posting', 'moderators', '--reply-to', 'sender']),
  ]);
  assert.equal(team.code, 0, team.stderr);
  assert.match(team.stdout, /^added list team@demo\.test \(posting: members, reply-to: sender\)$/m);
  assert.equal(team.stderr, '');
  assert.equal(mods.code, 0, mods.stderr);
  assert.match(mods.stderr, /warning: list announce@demo\.test has posting "moderators" but no moderator yet/);

  assert.match(await vol.ok(['list', 'set', 'team@demo.test', '--posting', 'anyone', '--reply-to', 'list']), /posting: anyone, reply-to: list/);
  const shown = await vol.json<MailingList>(['list', 'show', 'team@demo.test']);
  assert.deepEqual(shown, { address: 'team@demo.test', description: 'Everyone on the team', posting: 'anyone', replyTo: 'list', members: [] });

  const [all, table] = await Promise.all([vol.json<MailingList[]>(['list', 'list']), vol.ok(['list', 'list'])]);
  assert.deepEqual(all.map((l) => [l.address, l.posting, l.replyTo]), [['announce@demo.test', 'moderators', 'sender'], ['team@demo.test', 'anyone', 'list']]);
  assert.match(table, /^team@demo\.test\s+anyone\s+list\s+0\s+Everyone on the team$/m);

  await Promise.all([
    vol.fails(['list', 'add', 'x@demo.test', '--posting', 'everybody'], /argument 'everybody' is invalid\. Allowed choices are members, anyone, moderators/),
    vol.fails(['list', 'set', 'team@demo.test', '--reply-to', 'author'], /Allowed choices are sender, list/),
    vol.fails(['list', 'set', 'team@demo.test'], /nothing to change: give --description, --posting or --reply-to/),
    vol.fails(['list', 'add', 'alice@demo.test'], /alice@demo\.test already exists as a user/),
    vol.fails(['list', 'add', 'team@demo.test'], /team@demo\.test already exists as a list/),
    vol.fails(['list', 'add', 'x@example.org'], /domain example\.org is not a local domain/),
    vol.fails(['list', 'show', 'nope@demo.test'], /^tandem: list nope@demo\.test does not exist$/m),
    vol.fails(['list', 'set', 'nope@demo.test', '--posting', 'anyone'], /list nope@demo\.test does not exist/),
    vol.fails(['list', 'list', '--domain', 'nope.test'], /domain nope\.test is not a local domain/),
  ]);
});

test('list member add and del manage members and moderators', async () => {
  assert.match(await vol.ok(['list', 'member', 'add', 'announce@demo.test', 'Alice@demo.test', '--moderator']), /added alice@demo\.test to announce@demo\.test as moderator/);
  await vol.ok(['list', 'member', 'add', 'announce@demo.test', 'carol@example.org']);
  assert.match(await vol.ok(['list', 'member', 'add', 'announce@demo.test', 'carol@example.org']), /carol@example\.org is already a member/);
  const members = (await vol.json<MailingList>(['list', 'show', 'announce@demo.test'])).members;
  assert.deepEqual(members, [{ address: 'alice@demo.test', role: 'moderator' }, { address: 'carol@example.org', role: 'member' }]);
  assert.match(await vol.ok(['list', 'show', 'announce@demo.test']), /^members:\s+alice@demo\.test \(moderator\), carol@example\.org$/m);

  // Demoting the only moderator leaves a moderated list that nobody can post to.
  const demoted = await vol.run(['list', 'member', 'add', 'announce@demo.test', 'alice@demo.test']);
  assert.match(demoted.stdout, /alice@demo\.test is now a member of announce@demo\.test \(was moderator\)/);
  assert.match(demoted.stderr, /has posting "moderators" but no moderator yet/);

  await Promise.all([
    vol.fails(['list', 'member', 'add', 'announce@demo.test', 'announce@demo.test'], /list announce@demo\.test cannot be a member of itself/),
    vol.fails(['list', 'member', 'add', 'announce@demo.test', 'not-an-address'], /member "not-an-address" is not a valid mail address/),
    vol.fails(['list', 'member', 'add', 'nope@demo.test', 'alice@demo.test'], /list nope@demo\.test does not exist/),
    vol.fails(['list', 'member', 'del', 'announce@demo.test', 'zed@example.org'], /^tandem: zed@example\.org is not a member of announce@demo\.test$/m),
  ]);
  assert.match(await vol.ok(['list', 'member', 'del', 'announce@demo.test', 'CAROL@example.org']), /removed carol@example\.org from announce@demo\.test/);
  await vol.withDirectory((d) => {
    assert.deepEqual(d.getList('announce@demo.test')?.members, [{ address: 'alice@demo.test', role: 'member' }]);
  });
});

test('list del removes the list and its members, and warns when an alias still points to it', async () => {
  await vol.ok(['alias', 'add', 'news@demo.test', 'announce@demo.test']);
  const del = await vol.run(['list', 'del', 'announce@demo.test']);
  assert.equal(del.code, 0, del.stderr);
  assert.match(del.stdout, /deleted list announce@demo\.test \(it had 1 member\)/);
  assert.match(del.stderr, /warning: announce@demo\.test is still named by alias news@demo\.test/);
  assert.deepEqual((await vol.json<MailingList[]>(['list', 'list'])).map((l) => l.address), ['team@demo.test']);
  await vol.fails(['list', 'del', 'announce@demo.test'], /list announce@demo\.test does not exist/);
});
