// Literal handling at the session: LITERAL+ over the limit is read and dropped with its
// command, a streamed literal of a command that fails is deleted, pipelined commands keep
// their order, and the folder watch ends when the last session leaves the folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestImap, type ImapTestServer } from './_test-harness.ts';

let s: ImapTestServer;
before(async () => { s = await startTestImap({ limits: { messageSizeBytes: 200_000 }, imap: { inlineLiteralBytes: 1024 } }); });
after(async () => { await s.stop(); });

const tmpFiles = (): string[] => readdirSync(join(s.vol.layout.runDir, 'imap-tmp'));

test('a non-synchronizing literal over the limit is skipped with its command; the next command runs', async () => {
  const c = await s.login();
  const tag = c.nextTag();
  const big = 'x'.repeat(300_000);
  c.send(`${tag} APPEND INBOX {${big.length}+}\r\n${big}\r\n`);
  assert.match((await c.until(tag)).tagged, /BAD literal too big \(300000 octets, limit 200000\)/);
  assert.ok((await c.cmd('NOOP')).ok);
  assert.deepEqual(tmpFiles(), []);
  c.close();
});

test('a streamed literal in a command that fails to parse is deleted; nothing is appended', async () => {
  const c = await s.login();
  const tag = c.nextTag();
  const body = 'y'.repeat(5000);
  c.send(`${tag} APPEND INBOX (\\Seen) {${body.length}+}\r\n${body} EXTRA)\r\n`);
  assert.match((await c.until(tag)).tagged, /BAD/);
  assert.deepEqual(tmpFiles(), []);
  assert.match((await c.cmd('STATUS INBOX (MESSAGES)')).untagged[0]!, /MESSAGES 0/);
  c.close();
});

test('pipelined commands are answered in order, each with its own tag', async () => {
  const c = await s.login();
  const m = 'Subject: p\r\n\r\nq\r\n';
  c.send(`p1 SELECT INBOX\r\np2 APPEND INBOX {${m.length}+}\r\n${m}\r\np3 NOOP\r\np4 FETCH 1 (UID)\r\n`);
  const tags: string[] = [];
  for (const t of ['p1', 'p2', 'p3', 'p4']) {
    const r = await c.until(t);
    tags.push(r.tagged.split(' ')[0]!);
    if (t === 'p2') assert.ok(r.untagged.includes('* 1 EXISTS'), `APPEND to the selected mailbox reports EXISTS: ${r.raw}`);
    if (t === 'p4') assert.deepEqual(r.untagged, ['* 1 FETCH (UID 1)']);
  }
  assert.deepEqual(tags, ['p1', 'p2', 'p3', 'p4']);
  c.close();
});

test('bad input never ends the session: garbage, unbalanced lists, a missing tag, an over-long line', async () => {
  const c = await s.login();
  assert.match((await c.cmd('FETCH 1 (FLAGS')).tagged, /BAD/);
  assert.match((await c.cmd('SELECT "unterminated')).tagged, /BAD/);
  assert.match((await c.cmd(`NOOP ${'z'.repeat(70_000)}`)).tagged, /BAD line too long/);
  c.send('\r\n');
  c.send('*\r\n');
  assert.match(await c.line(), /^\* BAD missing or invalid tag/);
  assert.ok((await c.cmd('NOOP')).ok);
  c.close();
});

test('the folder watch starts with the first session that selects a folder and ends with the last', async () => {
  const watches = s.service.deps.watches;
  // Sessions of earlier tests end asynchronously after their sockets close.
  for (let i = 0; i < 200 && watches.size !== 0; i++) await new Promise((r) => setTimeout(r, 20));
  const before = watches.size;
  assert.equal(before, 0);
  const a = await s.login();
  const b = await s.login();
  await a.cmd('SELECT Sent');
  await b.cmd('SELECT Sent');
  assert.equal(s.service.deps.watches.size, before + 1);
  await a.cmd('UNSELECT');
  assert.equal(s.service.deps.watches.size, before + 1);
  await b.cmd('SELECT Drafts');
  assert.equal(s.service.deps.watches.size, before + 1, 'Sent left, Drafts joined');
  await b.cmd('LOGOUT');
  a.close();
  for (let i = 0; i < 100 && s.service.deps.watches.size !== before; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(s.service.deps.watches.size, before);
});
