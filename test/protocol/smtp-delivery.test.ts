// Local delivery through the real service: aliases, lists (headers, posting policy,
// bounce address), catch-alls, sub-addresses, quotas (tempfail and reject), loop
// detection, partly failed messages, and deliverLocal() for the queue runner.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, transaction, status, RawClient, type Harness } from './smtp-harness.ts';
import { deliverLocal } from '../../src/mail/delivery/local.ts';

let h: Harness;   // quotaExceeded: tempfail (the default)
let rej: Harness; // quotaExceeded: reject

async function setup(x: Harness): Promise<void> {
  const d = x.vol.directory;
  d.addAlias('info@demo.test', ['alice@demo.test', 'bob@demo.test']);
  d.addAlias('fwd@demo.test', ['alice@demo.test', 'ext@example.net']);
  d.addAlias('loop1@demo.test', ['loop2@demo.test']);
  d.addAlias('loop2@demo.test', ['loop1@demo.test']);
  d.addList({ address: 'team@demo.test', description: 'Team list', posting: 'members', replyTo: 'list' });
  d.addListMember('team@demo.test', 'alice@demo.test');
  d.addListMember('team@demo.test', 'bob@demo.test', 'moderator');
  d.addListMember('team@demo.test', 'out@example.net');
  d.addList({ address: 'news@demo.test', posting: 'moderators' });
  d.addListMember('news@demo.test', 'alice@demo.test');
  d.addListMember('news@demo.test', 'bob@demo.test', 'moderator');
  d.addDomain('catch.test');
  d.setCatchall('catch.test', 'bob@demo.test');
  await d.addUser({ address: 'dave@demo.test', password: 'dave-pw', quotaBytes: 3000 });
}

before(async () => {
  [h, rej] = await Promise.all([startHarness(), startHarness({ delivery: { quotaExceeded: 'reject' } })]);
  await Promise.all([setup(h), setup(rej)]);
});
after(async () => {
  await Promise.all([h.close(), rej.close()]);
});

const send = (x: Harness, from: string, to: string[], body: string) => transaction(x.svc.ports.smtp!, { from, to, body });
const find = async (x: Harness, user: string, marker: string) => (await x.inbox(user)).find((m) => m.includes(marker));

test('an alias delivers one copy per target, each with its own Delivered-To and the sender as Return-Path', async () => {
  const r = await send(h, 'sender@example.org', ['info@demo.test'], 'Subject: alias fan-out\r\n\r\nhi\r\n');
  assert.equal(status(r.at(-1)!), '250 2.0.0');
  for (const u of ['alice@demo.test', 'bob@demo.test']) {
    const m = await find(h, u, 'alias fan-out');
    assert.ok(m, u);
    assert.match(m, new RegExp(`^Return-Path: <sender@example\\.org>\\r\\nDelivered-To: ${u.replace('.', '\\.')}\\r\\nReceived: from client\\.test \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby mail\\.demo\\.test \\(Tandem\\) with ESMTP id `));
  }
});

test('an alias with an external target stores the local copy and queues the external one with ORCPT', async () => {
  const r = await send(h, 'sender@example.org', ['fwd@demo.test'], 'Subject: alias forward\r\n\r\nhi\r\n');
  assert.equal(status(r.at(-1)!), '250 2.0.0');
  assert.ok(await find(h, 'alice@demo.test', 'alias forward'));
  const entry = (await h.queue()).find((e) => e.recipients.some((x) => x.address === 'ext@example.net'));
  assert.ok(entry);
  assert.equal(entry.sender, 'sender@example.org');
  assert.equal(entry.recipients[0]!.orcpt, 'rfc822;fwd@demo.test');
});

test('an alias loop is refused at RCPT with 554 5.4.6', async () => {
  const r = await send(h, 'sender@example.org', ['loop1@demo.test'], 'x');
  assert.equal(status(r[2]!), '554 5.4.6');
  assert.match(r[2]!, /loop1@demo\.test -> loop2@demo\.test -> loop1@demo\.test/);
});

test('a list post gets List-* headers, Reply-To by policy, the bounce address as Return-Path, and reaches remote members', async () => {
  const r = await send(h, 'alice@demo.test', ['team@demo.test'], 'Subject: list post\r\nReply-To: <alice-private@example.org>\r\nList-Id: <spoofed.example>\r\n\r\nhello team\r\n');
  assert.equal(status(r.at(-1)!), '250 2.0.0');
  for (const u of ['alice@demo.test', 'bob@demo.test']) {
    const m = (await find(h, u, 'list post'))!;
    assert.ok(m, u);
    assert.match(m, /^Return-Path: <team-bounces@demo\.test>\r$/m);
    assert.match(m, new RegExp(`^Delivered-To: ${u.replace('.', '\\.')}\\r$`, 'm'));
    assert.match(m, /^List-Id: "Team list" <team\.demo\.test>\r$/m);
    assert.match(m, /^List-Post: <mailto:team@demo\.test>\r$/m);
    assert.match(m, /^List-Unsubscribe: <mailto:team-owner@demo\.test\?subject=unsubscribe>\r$/m);
    assert.match(m, /^Reply-To: <team@demo\.test>\r$/m);
    assert.doesNotMatch(m, /alice-private|spoofed\.example/);
  }
  const entry = (await h.queue()).find((e) => e.recipients.some((x) => x.address === 'out@example.net'));
  assert.equal(entry?.sender, 'team-bounces@demo.test');
});

test('list posting policy: non-members are refused on a members list, members on a moderators list (550 5.7.1)', async () => {
  assert.equal(status((await send(h, 'eve@example.org', ['team@demo.test'], 'x'))[2]!), '550 5.7.1');
  assert.equal(status((await send(h, 'alice@demo.test', ['news@demo.test'], 'x'))[2]!), '550 5.7.1');
  const ok = await send(h, 'bob@demo.test', ['news@demo.test'], 'Subject: moderated news\r\n\r\nhi\r\n');
  assert.equal(status(ok.at(-1)!), '250 2.0.0');
  const m = (await find(h, 'alice@demo.test', 'moderated news'))!;
  assert.match(m, /^List-Post: NO /m);
  assert.doesNotMatch(m, /^Reply-To:/m);
});

test('mail to the list bounce address reaches the moderators', async () => {
  const r = await send(h, '', ['team-bounces@demo.test'], 'Subject: a bounce for the list\r\n\r\nx\r\n');
  assert.equal(status(r.at(-1)!), '250 2.0.0');
  assert.ok(await find(h, 'bob@demo.test', 'a bounce for the list'));
  assert.equal(await find(h, 'alice@demo.test', 'a bounce for the list'), undefined);
});

test('a catch-all domain delivers any local part to its target; sub-addresses reach the base user', async () => {
  const r = await send(h, 'sender@example.org', ['whatever@catch.test', 'alice+tag@demo.test'], 'Subject: catch and tag\r\n\r\nx\r\n');
  assert.equal(status(r.at(-1)!), '250 2.0.0');
  assert.ok(await find(h, 'bob@demo.test', 'catch and tag'));
  assert.match((await find(h, 'alice@demo.test', 'catch and tag'))!, /^Delivered-To: alice@demo\.test\r$/m);
});

test('quota (tempfail): SIZE over quota is 452 4.2.2 at RCPT; a message that does not fit is 452 at DATA and not stored', async () => {
  const c = await RawClient.open(h.svc.ports.smtp!);
  try {
    await c.hello();
    await c.cmd('MAIL FROM:<sender@example.org> SIZE=5000');
    assert.equal(status(await c.cmd('RCPT TO:<dave@demo.test>')), '452 4.2.2');
    await c.cmd('RSET');
    await c.cmd('MAIL FROM:<sender@example.org>');
    assert.equal(status(await c.cmd('RCPT TO:<dave@demo.test>')), '250 2.1.5');
    assert.equal(status(await c.data(`Subject: small\r\n\r\n${'a'.repeat(500)}\r\n`)), '250 2.0.0');
    await c.cmd('MAIL FROM:<sender@example.org>');
    await c.cmd('RCPT TO:<dave@demo.test>');
    assert.equal(status(await c.data(`Subject: too big for dave\r\n\r\n${'b'.repeat(2500)}\r\n`)), '452 4.2.2');
  } finally {
    c.end();
  }
  const inbox = await h.inbox('dave@demo.test');
  assert.equal(inbox.length, 1);
  const maildirsize = readFileSync(join(h.vol.layout.maildir('demo.test', 'dave'), 'maildirsize'), 'utf8');
  assert.match(maildirsize, new RegExp(`^3000S\\n|\\n${Buffer.byteLength(inbox[0]!)} 1\\n`));
});

test('quota (tempfail), partly delivered: 250, the full mailbox is queued for retry instead of bounced', async () => {
  const r = await send(h, 'sender@example.org', ['alice@demo.test', 'dave@demo.test'], `Subject: partly full\r\n\r\n${'c'.repeat(2600)}\r\n`);
  assert.equal(status(r.at(-1)!), '250 2.0.0');
  assert.match(r.at(-1)!, /1 recipient\(s\) failed/);
  assert.ok(await find(h, 'alice@demo.test', 'partly full'));
  const entry = (await h.queue()).find((e) => e.recipients.length === 1 && e.recipients[0]!.address === 'dave@demo.test');
  assert.equal(entry?.sender, 'sender@example.org');
});

test('quota (reject): 552 5.2.2 at RCPT and DATA; partly delivered mail bounces to a local sender', async () => {
  const c = await RawClient.open(rej.svc.ports.smtp!);
  try {
    await c.hello();
    await c.cmd('MAIL FROM:<sender@example.org> SIZE=9000');
    assert.equal(status(await c.cmd('RCPT TO:<dave@demo.test>')), '552 5.2.2');
    await c.cmd('RSET');
    await c.cmd('MAIL FROM:<sender@example.org>');
    await c.cmd('RCPT TO:<dave@demo.test>');
    assert.equal(status(await c.data(`Subject: reject big\r\n\r\n${'d'.repeat(4000)}\r\n`)), '552 5.2.2');
  } finally {
    c.end();
  }
  const r = await send(rej, 'bob@demo.test', ['alice@demo.test', 'dave@demo.test'], `Subject: bounce me\r\n\r\n${'e'.repeat(4000)}\r\n`);
  assert.equal(status(r.at(-1)!), '250 2.0.0');
  const dsn = (await find(rej, 'bob@demo.test', 'Undelivered Mail Returned to Sender'))!;
  assert.ok(dsn);
  assert.match(dsn, /^Return-Path: <>\r$/m);
  assert.match(dsn, /Final-Recipient: rfc822; dave@demo\.test\r\nAction: failed\r\nStatus: 5\.2\.2/);
  assert.match(dsn, /Subject: bounce me/, 'the original header is attached');
  assert.equal((await rej.inbox('dave@demo.test')).length, 0);
});

test('loop detection: more than maxHops Received fields is 554 5.4.6 and nothing is stored', async () => {
  const hops = Array.from({ length: 51 }, (_, i) => `Received: from hop${i} by relay${i}; Mon, 1 Jan 2024 00:00:00 +0000\r\n`).join('');
  const r = await send(h, 'sender@example.org', ['bob@demo.test'], `${hops}Subject: looping\r\n\r\nx\r\n`);
  assert.equal(status(r.at(-1)!), '554 5.4.6');
  assert.equal(await find(h, 'bob@demo.test', 'looping'), undefined);
});

test('loop detection: a Delivered-To naming the recipient is 554 5.4.6 for it; other recipients still get the message', async () => {
  const one = await send(h, 'sender@example.org', ['alice@demo.test'], 'Delivered-To: alice@demo.test\r\nSubject: seen before\r\n\r\nx\r\n');
  assert.equal(status(one.at(-1)!), '554 5.4.6');
  const two = await send(h, 'sender@example.org', ['alice@demo.test', 'bob@demo.test'], 'Delivered-To: <ALICE@demo.test>\r\nSubject: seen by one\r\n\r\nx\r\n');
  assert.equal(status(two.at(-1)!), '250 2.0.0');
  assert.ok(await find(h, 'bob@demo.test', 'seen by one'));
  assert.equal(await find(h, 'alice@demo.test', 'seen before'), undefined);
  assert.equal(await find(h, 'alice@demo.test', 'seen by one'), undefined);
  // The remote sender is told through a bounce with the null sender, via the queue.
  const bounce = (await h.queue()).find((e) => e.sender === '' && e.recipients[0]!.address === 'sender@example.org');
  assert.ok(bounce);
});

test('deliverLocal() for the queue runner: one result per recipient, copies durable in the Maildir', async () => {
  const results = await deliverLocal(h.ctx, { sender: '', recipients: ['alice@demo.test', 'nobody@demo.test', 'info@demo.test'] },
    Buffer.from('Subject: local bounce\r\n\r\nyour mail failed\r\n'));
  assert.deepEqual(results.map((r) => [r.recipient, r.ok, r.code]), [['alice@demo.test', true, 250], ['nobody@demo.test', false, 550], ['info@demo.test', true, 250]]);
  assert.match(results[1]!.message, /^5\.1\.1 /);
  const m = (await find(h, 'bob@demo.test', 'local bounce'))!;
  assert.match(m, /^Return-Path: <>\r\nDelivered-To: bob@demo\.test\r\nReceived: by mail\.demo\.test \(Tandem\) with LOCAL id /);
  assert.equal((await h.inbox('alice@demo.test')).filter((x) => x.includes('local bounce')).length, 1, 'alice reached twice gets one copy');
});

test('when the queue cannot be written, a message that needs it gets 451 4.3.0 (retry), never a 250 that would lose a copy', async () => {
  const x = await startHarness();
  try {
    x.vol.directory.addAlias('fwd@demo.test', ['alice@demo.test', 'ext@example.net']);
    // Root ignores permissions, so make the queue unusable by putting a file in its place.
    rmSync(x.vol.layout.queueDir, { recursive: true });
    writeFileSync(x.vol.layout.queueDir, 'not a directory');
    const r = await send(x, 'sender@example.org', ['fwd@demo.test'], 'Subject: queue broken\r\n\r\nx\r\n');
    assert.equal(status(r.at(-1)!), '451 4.3.0');
    const local = await send(x, 'sender@example.org', ['bob@demo.test'], 'Subject: local only\r\n\r\nx\r\n');
    assert.equal(status(local.at(-1)!), '250 2.0.0', 'purely local mail does not need the queue');
  } finally {
    await x.close();
  }
});
