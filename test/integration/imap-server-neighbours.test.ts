// The imap process shares the volume with other programs: the pop3 process deleting mail,
// another MUA renaming files to change flags, and a second imap process appending at the
// same time. A selected session must learn of each change at its next command, and UIDs
// must stay unique across processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { startImap, eventually } from '../helpers/imap.ts';
import { ImapRaw, fetchLines } from '../helpers/imap-raw.ts';
import { startServiceProcess } from '../helpers/process.ts';
import { listMaildir } from '../../src/mail/storage/maildir.ts';

test('a selected session hears of a POP3 deletion (EXPUNGE) and of another MUA\'s flag rename (FETCH FLAGS) at NOOP', async () => {
  const f = await startImap({ listen: { address: '127.0.0.1', smtp: { port: null }, submission: { port: null }, submissions: { port: null }, pop3: { port: 0 }, pop3s: { port: null }, imap: { port: 0 }, imaps: { port: 0 }, http: { port: null }, https: { port: null }, ldap: { port: null }, ldaps: { port: null }, password: { port: null } } });
  const pop3 = await startServiceProcess('pop3', f.vol.root, { env: { TANDEM_LOG_LEVEL: 'warn' } });
  const c = await ImapRaw.open(f.port);
  try {
    for (let i = 1; i <= 3; i++) await f.deliver('alice', `Subject: n${i}\nMessage-ID: <n${i}@nb.test>\n\nbody ${i}\n`);
    await c.login();
    await c.ok('SELECT INBOX');
    const before = [...fetchLines((await c.ok('FETCH 1:* (UID)')).untagged).values()].map((v) => Number(/UID (\d+)/.exec(v)?.[1]));
    assert.equal(before.length, 3);

    // Another MUA marks message 3 as flagged by renaming its file (Maildir: flags are in the name).
    const files = (await listMaildir(f.maildir('alice'))).sort((a, b) => a.time - b.time);
    const third = files[2]!;
    const base = third.path.replace(/:2,.*$/, '');
    renameSync(third.path, `${base.replace('/new/', '/cur/')}:2,F`);
    const flagged = await eventually(async () => {
      const r = await c.ok('NOOP');
      return r.untagged.find((l) => /^\* 3 FETCH \(.*FLAGS \(\\Flagged\)/.test(l));
    }, 'the FETCH FLAGS of the renamed message');
    assert.ok(flagged);

    // POP3 deletes message 1 (DELE + QUIT applies it).
    const pop = await ImapRaw.open(pop3.port(0)).catch(() => null);
    assert.ok(pop, 'pop3 connects');
    pop.send('USER alice@demo.test\r\nPASS wonderland\r\nDELE 1\r\nQUIT\r\n');
    await pop.closedByServer();
    const expunge = await eventually(async () => {
      const r = await c.ok('NOOP');
      return r.untagged.find((l) => l === '* 1 EXPUNGE');
    }, 'the EXPUNGE of the message POP3 deleted');
    assert.ok(expunge);
    const after = [...fetchLines((await c.ok('FETCH 1:* (UID FLAGS)')).untagged).values()];
    assert.deepEqual(after.map((v) => Number(/UID (\d+)/.exec(v)?.[1])), before.slice(1), 'the others keep their UIDs');
    assert.match(after[1]!, /\\Flagged/);
  } finally {
    c.end();
    await pop3.kill();
    await f.stop();
  }
});

test('two imap processes on one volume append at the same time: every APPENDUID is unique and matches what a session then sees', async () => {
  const f = await startImap();
  const second = await startServiceProcess('imap', f.vol.root, { env: { TANDEM_LOG_LEVEL: 'warn' } });
  try {
    const append = async (port: number, who: string): Promise<Map<string, number>> => {
      const c = await ImapRaw.open(port);
      await c.login();
      const got = new Map<string, number>();
      for (let i = 0; i < 15; i++) {
        const subject = `${who}-${i}`;
        const msg = `Subject: ${subject}\r\n\r\nfrom ${who}\r\n`;
        const tag = c.nextTag();
        c.send(`${tag} APPEND INBOX {${msg.length}+}\r\n${msg}\r\n`);
        const r = await c.until(tag);
        assert.equal(r.status, 'OK', r.tagged);
        got.set(subject, Number(/\[APPENDUID \d+ (\d+)\]/.exec(r.tagged)?.[1]));
      }
      await c.logout();
      return got;
    };
    const [a, b] = await Promise.all([append(f.port, 'first'), append(second.port(0), 'second')]);
    const all = [...a.values(), ...b.values()];
    assert.equal(new Set(all).size, 30, `30 distinct UIDs: ${all.join(',')}`);
    const c = await ImapRaw.open(f.port);
    await c.login();
    await c.ok('SELECT INBOX');
    const seen = new Map<string, number>();
    for (const v of fetchLines((await c.ok('FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])')).untagged).values()) {
      seen.set(/Subject: (\S+)/.exec(v)![1]!, Number(/UID (\d+)/.exec(v)![1]));
    }
    assert.deepEqual(Object.fromEntries([...seen].sort()), Object.fromEntries([...a, ...b].sort()));
    await c.logout();
  } finally {
    await second.kill();
    await f.stop();
  }
});
