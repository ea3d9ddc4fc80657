// Table tests for recipient expansion: aliases, loops, catch-alls, lists and their
// posting policies, list service addresses, disabled users.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandRecipients, listBounceAddress, type Lookup } from './expand.ts';
import type { Recipient, User, MailingList } from '../../directory/directory.ts';

function user(address: string, enabled = true): User {
  const [local, domain] = address.split('@') as [string, string];
  return { address, local, domain, displayName: '', quotaBytes: 0, enabled, createdAt: 0, updatedAt: 0 };
}
function list(address: string, posting: MailingList['posting'], members: Array<[string, 'member' | 'moderator']>): MailingList {
  return { address, description: '', posting, replyTo: 'sender', members: members.map(([a, role]) => ({ address: a, role })) };
}

const DIRECTORY: Record<string, Recipient> = {};
const add = (r: Recipient) => { DIRECTORY[r.address] = r; };
add({ kind: 'user', address: 'alice@d.test', user: user('alice@d.test') });
add({ kind: 'user', address: 'bob@d.test', user: user('bob@d.test') });
add({ kind: 'user', address: 'carol@d.test', user: user('carol@d.test', false) });
add({ kind: 'user', address: 'fwd-keep@d.test', user: user('fwd-keep@d.test'), forward: { targets: ['x@remote.test', 'bob@d.test'], keepCopy: true } });
add({ kind: 'user', address: 'fwd-only@d.test', user: user('fwd-only@d.test'), forward: { targets: ['x@remote.test'], keepCopy: false } });
add({ kind: 'user', address: 'fwd-self@d.test', user: user('fwd-self@d.test'), forward: { targets: ['fwd-self@d.test'], keepCopy: false } });
add({ kind: 'user', address: 'osaka@d.test', user: { ...user('osaka@d.test'), home: 'osaka' } });
add({ kind: 'alias', address: 'both@d.test', alias: { address: 'both@d.test', targets: ['alice@d.test', 'osaka@d.test'] } });
add({ kind: 'alias', address: 'info@d.test', alias: { address: 'info@d.test', targets: ['alice@d.test', 'bob@d.test'] } });
add({ kind: 'alias', address: 'fwd@d.test', alias: { address: 'fwd@d.test', targets: ['alice@d.test', 'x@remote.test'] } });
add({ kind: 'alias', address: 'nested@d.test', alias: { address: 'nested@d.test', targets: ['info@d.test'] } });
add({ kind: 'alias', address: 'loop1@d.test', alias: { address: 'loop1@d.test', targets: ['loop2@d.test'] } });
add({ kind: 'alias', address: 'loop2@d.test', alias: { address: 'loop2@d.test', targets: ['loop1@d.test'] } });
add({ kind: 'alias', address: 'half@d.test', alias: { address: 'half@d.test', targets: ['carol@d.test', 'bob@d.test'] } });
add({ kind: 'alias', address: 'dead@d.test', alias: { address: 'dead@d.test', targets: ['carol@d.test'] } });
add({ kind: 'list', address: 'team@d.test', list: list('team@d.test', 'members', [['alice@d.test', 'member'], ['bob@d.test', 'moderator'], ['ext@remote.test', 'member']]) });
add({ kind: 'list', address: 'news@d.test', list: list('news@d.test', 'moderators', [['alice@d.test', 'member'], ['bob@d.test', 'moderator']]) });
add({ kind: 'list', address: 'open@d.test', list: list('open@d.test', 'anyone', [['alice@d.test', 'member'], ['team@d.test', 'member']]) });
add({ kind: 'list', address: 'empty@d.test', list: list('empty@d.test', 'anyone', []) });

// A chain deeper than the limit: deep0 -> deep1 -> ... -> deep12 -> alice.
for (let i = 0; i <= 12; i++) {
  add({ kind: 'alias', address: `deep${i}@d.test`, alias: { address: `deep${i}@d.test`, targets: [i === 12 ? 'alice@d.test' : `deep${i + 1}@d.test`] } });
}

const lookup: Lookup = (a) => {
  const addr = a.toLowerCase();
  if (DIRECTORY[addr]) return DIRECTORY[addr]!;
  if (!addr.includes('@')) return null;
  const domain = addr.split('@')[1]!;
  if (domain === 'd.test') return { kind: 'unknown-local', address: addr };
  if (domain === 'c.test') return { kind: 'catchall', address: addr, target: 'info@d.test' };
  return { kind: 'remote', address: addr };
};

interface Case { name: string; rcpt: string[]; sender?: string; mailboxes?: string[][]; remotes?: string[][]; fail?: Record<string, string> }

const CASES: Case[] = [
  { name: 'a user is one mailbox', rcpt: ['alice@d.test'], mailboxes: [['alice@d.test']] },
  { name: 'a forwarding user keeping a copy gets it, and the forward targets get theirs', rcpt: ['fwd-keep@d.test'], mailboxes: [['bob@d.test', 'fwd-keep@d.test']], remotes: [['x@remote.test']] },
  { name: 'a forwarding user without a copy gets nothing itself', rcpt: ['fwd-only@d.test'], remotes: [['x@remote.test']] },
  { name: 'a user forwarding only to itself is a loop (5.4.6)', rcpt: ['fwd-self@d.test'], fail: { 'fwd-self@d.test': '554 5.4.6' } },
  { name: 'a user homed on another member system is queued for it (S7)', rcpt: ['osaka@d.test'], remotes: [['osaka@d.test']] },
  { name: 'an alias reaching a local and a member-homed user splits them', rcpt: ['both@d.test'], mailboxes: [['alice@d.test']], remotes: [['osaka@d.test']] },
  { name: 'an alias fans out to its targets', rcpt: ['info@d.test'], mailboxes: [['alice@d.test', 'bob@d.test']] },
  { name: 'an alias with an external target queues it with the original sender', rcpt: ['fwd@d.test'], mailboxes: [['alice@d.test']], remotes: [['x@remote.test']] },
  { name: 'nested aliases expand recursively', rcpt: ['nested@d.test'], mailboxes: [['alice@d.test', 'bob@d.test']] },
  { name: 'a mailbox reached twice gets one copy', rcpt: ['info@d.test', 'alice@d.test'], mailboxes: [['alice@d.test', 'bob@d.test']] },
  { name: 'an alias loop fails with 5.4.6', rcpt: ['loop1@d.test'], fail: { 'loop1@d.test': '554 5.4.6' } },
  { name: 'alias nesting past the depth limit fails with 5.4.6', rcpt: ['deep0@d.test'], fail: { 'deep0@d.test': '554 5.4.6' } },
  { name: 'a disabled user is 550 5.2.1', rcpt: ['carol@d.test'], fail: { 'carol@d.test': '550 5.2.1' } },
  { name: 'an alias to a disabled user and a live one reaches the live one', rcpt: ['half@d.test'], mailboxes: [['bob@d.test']] },
  { name: 'an alias reaching only a disabled user fails with its reason', rcpt: ['dead@d.test'], fail: { 'dead@d.test': '550 5.2.1' } },
  { name: 'an unknown local address is 550 5.1.1', rcpt: ['nobody@d.test'], fail: { 'nobody@d.test': '550 5.1.1' } },
  { name: 'a catch-all delivers to its target', rcpt: ['whoever@c.test'], mailboxes: [['alice@d.test', 'bob@d.test']] },
  { name: 'a remote address is queued', rcpt: ['x@remote.test'], mailboxes: [[]], remotes: [['x@remote.test']] },
  { name: 'a remote local part keeps its case; the domain is lower-cased', rcpt: ['John.Doe@Remote.TEST'], mailboxes: [[]], remotes: [['John.Doe@remote.test']] },
  { name: 'a member may post to a members list; copies form a list group', rcpt: ['team@d.test'], sender: 'alice@d.test', mailboxes: [[], ['alice@d.test', 'bob@d.test']], remotes: [[], ['ext@remote.test']] },
  { name: 'a member posting from a sub-address counts as the member', rcpt: ['team@d.test'], sender: 'Alice+lists@d.test', mailboxes: [[], ['alice@d.test', 'bob@d.test']] },
  { name: 'a non-member may not post to a members list', rcpt: ['team@d.test'], sender: 'eve@evil.test', fail: { 'team@d.test': '550 5.7.1' } },
  { name: 'a member may not post to a moderators list', rcpt: ['news@d.test'], sender: 'alice@d.test', fail: { 'news@d.test': '550 5.7.1' } },
  { name: 'a moderator may post to a moderators list', rcpt: ['news@d.test'], sender: 'bob@d.test', mailboxes: [[], ['alice@d.test', 'bob@d.test']] },
  { name: 'anyone may post to an open list; a nested list adds its members', rcpt: ['open@d.test'], sender: 'eve@evil.test', mailboxes: [[], ['alice@d.test', 'bob@d.test']], remotes: [[], ['ext@remote.test']] },
  { name: 'an empty list accepts the post', rcpt: ['empty@d.test'], sender: 'eve@evil.test', mailboxes: [[], []] },
  { name: 'the list bounce address reaches the moderators', rcpt: ['team-bounces@d.test'], sender: '', mailboxes: [['bob@d.test']] },
  { name: 'the list owner address reaches the moderators', rcpt: ['news-owner@d.test'], mailboxes: [['bob@d.test']] },
  { name: 'the null sender may not post to a members list', rcpt: ['team@d.test'], sender: '', fail: { 'team@d.test': '550 5.7.1' } },
  { name: 'one failing recipient does not affect another', rcpt: ['nobody@d.test', 'bob@d.test'], mailboxes: [['bob@d.test']], fail: { 'nobody@d.test': '550 5.1.1' } },
];

for (const c of CASES) {
  test(`expandRecipients(): ${c.name}`, () => {
    const exp = expandRecipients(c.rcpt, { lookup, sender: c.sender ?? 'someone@else.test' });
    const fails = Object.fromEntries(exp.failures.map((f) => [f.recipient, `${f.reply.code} ${f.reply.enhanced}`]));
    assert.deepEqual(fails, c.fail ?? {});
    if (c.mailboxes) assert.deepEqual(exp.groups.map((g) => g.mailboxes.map((m) => m.user.address).sort()), c.mailboxes);
    if (c.remotes) assert.deepEqual(exp.groups.map((g) => g.remotes.map((r) => r.address)), c.remotes);
  });
}

test('expandRecipients(): list copies carry the list bounce address as envelope sender', () => {
  const exp = expandRecipients(['team@d.test'], { lookup, sender: 'alice@d.test' });
  assert.equal(exp.groups[0]!.sender, 'alice@d.test');
  assert.equal(exp.groups[1]!.sender, 'team-bounces@d.test');
  assert.equal(exp.groups[1]!.list?.address, 'team@d.test');
  assert.equal(listBounceAddress('a.b@x.test'), 'a.b-bounces@x.test');
});

test('expandRecipients(): the loop reply names the path', () => {
  const exp = expandRecipients(['loop1@d.test'], { lookup, sender: '' });
  assert.match(exp.failures[0]!.reply.text, /loop1@d\.test -> loop2@d\.test -> loop1@d\.test/);
});
