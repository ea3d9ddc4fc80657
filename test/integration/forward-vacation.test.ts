// Forwarding and vacation replies (the webmail's per-user settings) in real delivery:
// the copies land where the settings say, and an out-of-office answer is queued once per
// sender, as an automatic response with the null sender.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from 'better-sqlite3';
import { makeTestVolume } from '../helpers/volume.ts';
import { openMailContext } from '../../src/mail/core/context.ts';
import { deliverMessage } from '../../src/mail/delivery/deliver.ts';
import { listEntryIds, readEntry, dataPath } from '../../src/mail/queue/spool.ts';

process.env.TANDEM_LOG_LEVEL ??= 'silent';

function count(dir: string): number {
  return ['new', 'cur'].reduce((n, d) => n + (existsSync(join(dir, d)) ? readdirSync(join(dir, d)).length : 0), 0);
}

function setSettings(db: Database, address: string, s: { forward?: string; keepCopy?: boolean; vacation?: boolean }): void {
  db.prepare(`INSERT INTO user_mail_settings (address, forward_to, keep_copy, vacation_enabled, vacation_subject, vacation_body, updated_at)
    VALUES (?, ?, ?, ?, 'Away', 'I am away until Monday.\nBack soon.', 0)`).run(address, s.forward ?? '', s.keepCopy === false ? 0 : 1, s.vacation ? 1 : 0);
}

const mail = (to: string, extra = ''): Buffer => Buffer.from(`From: Alice <alice@demo.test>\r\nTo: ${to}\r\nSubject: Lunch?\r\nMessage-ID: <m1@demo.test>\r\n${extra}\r\nhi\r\n`);

test('forwarding with and without a kept copy', async () => {
  const vol = await makeTestVolume();
  const ctx = await openMailContext(vol.root, 'test');
  try {
    await vol.directory.addUser({ address: 'carol@demo.test', password: 'carol-secret-1' });
    setSettings(vol.directory.database, 'bob@demo.test', { forward: 'carol@demo.test', keepCopy: false });
    const r = await deliverMessage(ctx, { sender: 'alice@demo.test', recipients: [{ address: 'bob@demo.test' }] }, mail('bob@demo.test'));
    assert.ok(r.recipients.every((x) => x.ok), JSON.stringify(r));
    assert.equal(count(vol.layout.maildir('demo.test', 'carol')), 1, 'carol got the forwarded copy');
    assert.equal(count(vol.layout.maildir('demo.test', 'bob')), 0, 'bob kept none');
    vol.directory.database.prepare("UPDATE user_mail_settings SET keep_copy = 1 WHERE address = 'bob@demo.test'").run();
    await deliverMessage(ctx, { sender: 'alice@demo.test', recipients: [{ address: 'bob@demo.test' }] }, mail('bob@demo.test'));
    assert.equal(count(vol.layout.maildir('demo.test', 'carol')), 2);
    assert.equal(count(vol.layout.maildir('demo.test', 'bob')), 1, 'bob kept a copy');
  } finally {
    ctx.directory.close();
    vol.cleanup();
  }
});

test('a vacation reply is queued once per sender, never to list or automatic mail', async () => {
  const vol = await makeTestVolume();
  const ctx = await openMailContext(vol.root, 'test');
  const replies = async (): Promise<Buffer[]> => {
    const out: Buffer[] = [];
    for (const id of await listEntryIds(vol.layout.queueDir)) {
      const e = await readEntry(vol.layout.queueDir, id);
      if (e && e.sender === '') out.push(readFileSync(dataPath(vol.layout.queueDir, id)));
    }
    return out;
  };
  const settle = async (n: number): Promise<Buffer[]> => {
    for (let i = 0; i < 100; i++) { const r = await replies(); if (r.length >= n) return r; await sleep(50); }
    return replies();
  };
  try {
    setSettings(vol.directory.database, 'bob@demo.test', { vacation: true });
    const env = { sender: 'alice@demo.test', recipients: [{ address: 'bob@demo.test' }] };
    await deliverMessage(ctx, env, mail('bob@demo.test'));
    const [first] = await settle(1);
    assert.ok(first, 'one reply queued');
    const text = first.toString();
    assert.match(text, /^To: alice@demo\.test\r$/m);
    assert.match(text, /^Auto-Submitted: auto-replied/m);
    assert.match(text, /^In-Reply-To: <m1@demo\.test>\r$/m);
    assert.match(text, /^Subject: Away\r$/m);
    assert.match(text, /I am away until Monday\.\r\nBack soon\./);
    assert.ok(!/[^\r]\n/.test(text), 'CRLF line ends only');

    await deliverMessage(ctx, env, mail('bob@demo.test'));
    await deliverMessage(ctx, env, mail('bob@demo.test', 'Precedence: bulk\r\n'));
    await deliverMessage(ctx, { ...env, sender: 'dan@demo.test' }, mail('bob@demo.test', 'Auto-Submitted: auto-generated\r\n'));
    await deliverMessage(ctx, { ...env, sender: '' }, mail('bob@demo.test'));
    await sleep(300);
    assert.equal((await replies()).length, 1, 'no second reply: same sender, bulk, automatic, null sender');
    assert.equal(count(vol.layout.maildir('demo.test', 'bob')), 5, 'every message was still delivered');
    await deliverMessage(ctx, { ...env, sender: 'erin@demo.test' }, mail('bob@demo.test'));
    assert.equal((await settle(2)).length, 2, 'a new sender gets its own reply');
  } finally {
    ctx.directory.close();
    vol.cleanup();
  }
});
