// List header edits (RFC 2919, RFC 2369) and the per-copy outcome summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listHeaderEdit, listId } from './list-headers.ts';
import { summarize, copyKey } from './outcome.ts';
import { expandRecipients, type Lookup } from './expand.ts';
import { REPLIES } from '../../smtp/proto/reply.ts';
import type { MailingList, User } from '../../directory/directory.ts';

const base: MailingList = { address: 'team@d.test', description: 'The "A" team', posting: 'members', replyTo: 'sender', members: [{ address: 'bob@d.test', role: 'moderator' }] };

test('listHeaderEdit(): List-Id, List-Post and owner links for a members list with a moderator', () => {
  const e = listHeaderEdit(base);
  assert.deepEqual(e.add, [
    'List-Id: "The \\"A\\" team" <team.d.test>',
    'List-Post: <mailto:team@d.test>',
    'List-Help: <mailto:team-owner@d.test?subject=help>',
    'List-Subscribe: <mailto:team-owner@d.test?subject=subscribe>',
    'List-Unsubscribe: <mailto:team-owner@d.test?subject=unsubscribe>',
    'List-Owner: <mailto:team-owner@d.test>',
    'Precedence: list',
  ]);
  assert.ok(e.remove.includes('List-Id') && !e.remove.includes('Reply-To'));
});

test('listHeaderEdit(): moderated lists say List-Post: NO; replyTo=list replaces Reply-To; no owner links without moderators', () => {
  const e = listHeaderEdit({ ...base, description: '', posting: 'moderators', replyTo: 'list', members: [] });
  assert.deepEqual(e.add, ['List-Id: <team.d.test>', 'List-Post: NO (posting is limited to moderators)', 'Precedence: list', 'Reply-To: <team@d.test>']);
  assert.ok(e.remove.includes('Reply-To'));
  assert.equal(listId('a.b@x.test'), 'a.b.x.test');
});

const u = (address: string): User => ({ address, local: address.split('@')[0]!, domain: 'd.test', displayName: '', quotaBytes: 0, enabled: true, createdAt: 0, updatedAt: 0 });
const lookup: Lookup = (a) => {
  if (a === 'info@d.test') return { kind: 'alias', address: a, alias: { address: a, targets: ['alice@d.test', 'bob@d.test'] } };
  if (a === 'team@d.test') return { kind: 'list', address: a, list: { ...base, posting: 'anyone', members: [{ address: 'alice@d.test', role: 'member' }, { address: 'bob@d.test', role: 'moderator' }] } };
  return { kind: 'user', address: a, user: u(a) };
};

test('summarize(): a recipient with one stored copy is delivered; its failed copy is stranded', () => {
  const exp = expandRecipients(['info@d.test'], { lookup, sender: 's@x.test' });
  const res = new Map([[copyKey(0, 'mailbox', 'alice@d.test'), null], [copyKey(0, 'mailbox', 'bob@d.test'), REPLIES.quotaTemp('bob@d.test')]]);
  const out = summarize(['info@d.test'], exp, res);
  assert.equal(out.recipients[0]!.ok, true);
  assert.deepEqual(out.stranded.map((s) => [s.group, s.address, s.reply.code]), [[0, 'bob@d.test', 452]]);
});

test('summarize(): a recipient whose copies all failed reports the temporary failure first', () => {
  const exp = expandRecipients(['info@d.test'], { lookup, sender: 's@x.test' });
  const res = new Map([[copyKey(0, 'mailbox', 'alice@d.test'), REPLIES.quotaPerm('alice@d.test')], [copyKey(0, 'mailbox', 'bob@d.test'), REPLIES.quotaTemp('bob@d.test')]]);
  const out = summarize(['info@d.test'], exp, res);
  assert.deepEqual([out.recipients[0]!.ok, out.recipients[0]!.reply.code, out.stranded.length], [false, 452, 0]);
});

test('summarize(): failed list member copies never fail the post; they are stranded for the list owner', () => {
  const exp = expandRecipients(['team@d.test'], { lookup, sender: 's@x.test' });
  const res = new Map([[copyKey(1, 'mailbox', 'alice@d.test'), REPLIES.quotaPerm('alice@d.test')], [copyKey(1, 'mailbox', 'bob@d.test'), REPLIES.quotaPerm('bob@d.test')]]);
  const out = summarize(['team@d.test'], exp, res);
  assert.equal(out.recipients[0]!.ok, true);
  assert.equal(out.stranded.length, 2);
});

test('summarize(): a failed copy shared with a recipient that failed as a whole is not stranded (its retry covers it)', () => {
  const lk: Lookup = (a) => (a === 'solo@d.test'
    ? { kind: 'alias', address: a, alias: { address: a, targets: ['bob@d.test'] } }
    : lookup(a));
  const exp = expandRecipients(['info@d.test', 'solo@d.test'], { lookup: lk, sender: 's@x.test' });
  const res = new Map([[copyKey(0, 'mailbox', 'alice@d.test'), null], [copyKey(0, 'mailbox', 'bob@d.test'), REPLIES.quotaTemp('bob@d.test')]]);
  const out = summarize(['info@d.test', 'solo@d.test'], exp, res);
  assert.deepEqual(out.recipients.map((r) => [r.recipient, r.ok]), [['info@d.test', true], ['solo@d.test', false]]);
  assert.deepEqual(out.stranded, []);
});
