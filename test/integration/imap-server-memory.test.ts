// Bounded memory (a standard of this project): a client that asks for a whole big mailbox
// and then stops reading must not make the server buffer it. The server writes with
// back-pressure, so its RSS stays flat until the client reads again, and then every octet
// arrives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startImap } from '../helpers/imap.ts';
import { ImapRaw } from '../helpers/imap-raw.ts';

const MESSAGES = 40;
const SIZE = 1024 * 1024;

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

test('a client that stops reading a 40 MB FETCH does not make the server buffer it', async () => {
  const f = await startImap();
  const c = await ImapRaw.open(f.port);
  try {
    const line = `${'0123456789abcdef'.repeat(4)}\r\n`;
    const body = line.repeat(Math.ceil(SIZE / line.length));
    for (let i = 0; i < MESSAGES; i++) await f.deliver('alice', Buffer.from(`Subject: big ${i}\r\n\r\n${body}`));
    await c.login();
    await c.ok('SELECT INBOX');
    await c.ok('FETCH 1 (BODY.PEEK[])'); // warm up the code path before the baseline
    const pid = f.imap.ready.pid;
    const before = rssMiB(pid);
    c.pause();
    c.send('F1 FETCH 1:* (BODY.PEEK[])\r\n');
    let peak = before;
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      peak = Math.max(peak, rssMiB(pid));
    }
    c.resume();
    const r = await c.until('F1', 60_000);
    assert.equal(r.status, 'OK', r.tagged);
    assert.equal(r.untagged.filter((l) => / FETCH \(BODY\[\] \{/.test(l)).length, MESSAGES, 'every message arrives once the client reads');
    console.log(`# server RSS ${before.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB peak while the client did not read`);
    assert.ok(peak - before < 25, `server RSS grew by ${(peak - before).toFixed(0)} MiB while the client did not read (${MESSAGES} MiB requested)`);
  } finally {
    c.end();
    await f.stop();
  }
});
