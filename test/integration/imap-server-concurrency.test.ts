// Many sessions of one user changing flags at once in the same mailbox (what a busy shared
// mailbox or several devices do): no message may be lost or reported expunged, and every
// session ends with the same view as the files on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startImap } from '../helpers/imap.ts';
import { ImapRaw, fetchLines } from '../helpers/imap-raw.ts';
import { listMaildir } from '../../src/mail/storage/maildir.ts';

const MESSAGES = 60;
const SESSIONS = 8;
const OPS = 40;

test('concurrent STOREs from several sessions on the same messages never lose or expunge a message', async () => {
  const f = await startImap();
  const clients: ImapRaw[] = [];
  try {
    for (let i = 0; i < MESSAGES; i++) await f.deliver('alice', `Subject: m${i}\nMessage-ID: <m${i}@conc.test>\n\nbody ${i}\n`);
    for (let s = 0; s < SESSIONS; s++) {
      const c = await ImapRaw.open(f.port);
      clients.push(c);
      await c.login();
      await c.ok('SELECT INBOX');
    }
    const problems: string[] = [];
    await Promise.all(clients.map(async (c, s) => {
      for (let i = 0; i < OPS; i++) {
        const seq = 1 + ((s * 7 + i * 13) % MESSAGES);
        const flag = ['\\Flagged', '\\Seen', '\\Answered'][(s + i) % 3];
        const r = i % 4 === 3
          ? await c.cmd(`FETCH ${seq}:${Math.min(MESSAGES, seq + 9)} (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])`)
          : await c.cmd(`STORE ${seq} ${(s + i) % 2 ? '+' : '-'}FLAGS (${flag})`);
        if (r.status !== 'OK') problems.push(`session ${s}: ${r.tagged}`);
        for (const u of r.untagged) if (/EXPUNGE|VANISHED/.test(u)) problems.push(`session ${s}: ${u}`);
      }
    }));
    assert.equal((await listMaildir(f.maildir('alice'))).length, MESSAGES, 'every file is still there');
    assert.deepEqual(problems, [], 'no failed command and no EXPUNGE while only flags changed');
    for (const c of clients) {
      const noop = await c.ok('NOOP');
      assert.ok(!noop.untagged.some((u) => /EXPUNGE/.test(u)), noop.untagged.join('\n'));
      assert.equal(fetchLines((await c.ok('FETCH 1:* (UID)')).untagged).size, MESSAGES);
    }
  } finally {
    for (const c of clients) c.end();
    await f.stop();
  }
});
