// Changes made outside this process reach sessions: flags renamed by another program
// during IDLE, QRESYNC after the index cache was lost (incomplete expunge history, with
// and without sequence-match data), and a UIDVALIDITY change under a selected mailbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestImap, type ImapTestServer } from './_test-harness.ts';

let s: ImapTestServer;
before(async () => { s = await startTestImap(); });
after(async () => { await s.stop(); });

test('IDLE: a flag change made by renaming the file (another MUA, POP3) arrives as FETCH FLAGS', async () => {
  await s.deliver('alice', 'Subject: f\n\nx\n', { mailbox: 'Drafts' });
  const a = await s.login();
  await a.cmd('SELECT Drafts');
  const tag = a.nextTag();
  a.send(`${tag} IDLE\r\n`);
  assert.equal(await a.line(), '+ idling');
  const cur = join(s.maildir('alice', 'Drafts'), 'cur');
  const [file] = readdirSync(cur);
  renameSync(join(cur, file!), join(cur, file!.replace(/:2,.*$/, ':2,FS')));
  assert.equal(await a.line(10_000), '* 1 FETCH (UID 1 FLAGS (\\Flagged \\Seen))');
  a.send('DONE\r\n');
  assert.ok((await a.until(tag)).ok);
  a.close();
});

test('QRESYNC after the index cache is lost: every known UID that is gone is reported, narrowed by sequence-match data', async () => {
  const a = await s.login();
  await a.cmd('CREATE Lost');
  for (let i = 1; i <= 6; i++) await s.deliver('alice', `Subject: ${i}\n\n${i}\n`, { mailbox: 'Lost' });
  await a.cmd('ENABLE QRESYNC');
  const sel = await a.cmd('SELECT Lost');
  const uv = /UIDVALIDITY (\d+)/.exec(sel.raw)![1]!;
  const ms = /HIGHESTMODSEQ (\d+)/.exec(sel.raw)![1]!;
  await a.cmd('LOGOUT');
  // Another program removes messages 2 and 5 while the index cache is gone: the history of
  // expunges before the rebuild is unknown.
  await s.service.close();
  const cur = join(s.maildir('alice', 'Lost'), 'cur');
  for (const f of readdirSync(cur)) {
    if (/^Subject: [25]\r$/m.test(readFileSync(join(cur, f), 'latin1'))) rmSync(join(cur, f));
  }
  rmSync(join(s.vol.layout.indexDir, 'imap'), { recursive: true, force: true });
  await s.restart();
  const b = await s.login();
  await b.cmd('ENABLE QRESYNC');
  const r = await b.cmd(`SELECT Lost (QRESYNC (${uv} ${ms} 1:6))`);
  assert.ok(r.untagged.includes('* VANISHED (EARLIER) 2,5'), r.raw);
  await b.cmd('UNSELECT');
  // The client still has UIDs 1 and 3 at sequence numbers 1 and 2, so nothing below 3 can be gone.
  const narrowed = await b.cmd(`SELECT Lost (QRESYNC (${uv} ${ms} 1:6 (1,2 1,3)))`);
  assert.ok(narrowed.untagged.includes('* VANISHED (EARLIER) 5'), narrowed.raw);
  b.close();
});

test('a UIDVALIDITY change under a selected mailbox ends the session with BYE', async () => {
  const a = await s.login();
  await a.cmd('CREATE Reborn');
  await s.deliver('alice', 'Subject: 1\n\n1\n', { mailbox: 'Reborn' });
  await a.cmd('SELECT Reborn');
  // Another process lost the uidlist and started a new one (docs/imap-store.md, known edges).
  const dir = s.maildir('alice', 'Reborn');
  writeFileSync(join(dir, 'tandem-uidlist'), `T1 V${Math.floor(Date.now() / 1000) + 1000} N1\n`);
  await s.deliver('alice', 'Subject: 2\n\n2\n', { mailbox: 'Reborn' });
  let text = '';
  for (let i = 0; i < 20 && !/BYE/.test(text); i++) text += (await a.cmd('NOOP').catch((e: Error) => ({ raw: e.message }))).raw;
  assert.match(text, /\* BYE UIDVALIDITY of Reborn changed; select it again/);
  assert.ok(await a.waitClosed());
});
